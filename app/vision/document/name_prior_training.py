"""Build the names prior (``name-prior.npz``, used by ``name_grammar.decode_name_field``).

Source: the person-name lists of Faker (MIT licence; first and last names of every locale
whose names are in Latin script), each name split into components and transliterated to
the MRZ alphabet the ICAO way (``viz.fold_name``: Ä -> AE, Ø -> OE, ß -> SS ...).

The benchmark generator's own name components (``benchmarks.synth.documents.NAMES``) are
left out, so that the synthetic tiers measure how the prior does on names it has not
seen; the archive lists them (``excluded``) and a test checks that the list is still the
generator's.

Model: letter trigrams over components (``^^NAME$``), interpolated with bigrams and
unigrams by Witten-Bell smoothing. Counts are of distinct components (the lists carry no
frequencies). Faker is needed only here, not at run time::

    uv run --with faker==40.63.0 python -m app.vision.document.name_prior_training
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from app.vision.document.name_grammar import NAME_PRIOR_PATH
from app.vision.document.viz import fold_name

VERSION = "name-prior-1"
_END = 26  # index of the end of a component among the predicted events
_START = 26  # index of the start among the contexts


def faker_name_components() -> set[str]:
    """Every name component (two letters or more) in Faker's person providers."""
    import faker.providers.person as person  # only the builder needs Faker

    components: set[str] = set()
    for module_info in pkgutil.iter_modules(person.__path__):
        module = importlib.import_module(f"{person.__name__}.{module_info.name}")
        provider = getattr(module, "Provider", None)
        if provider is None:
            continue
        for attribute in dir(provider):
            if not attribute.startswith(("first_names", "last_names")):
                continue
            names = getattr(provider, attribute)
            if isinstance(names, dict):  # some locales weight their names
                names = list(names)
            if isinstance(names, list | tuple):
                components |= split_components(n for n in names if isinstance(n, str))
    return components


def split_components(names: Iterable[str]) -> set[str]:
    """MRZ-alphabet components of printed names (ICAO transliteration, split at spaces,
    hyphens and fillers); components of one letter are dropped."""
    out: set[str] = set()
    for name in names:
        for part in re.split(r"[ <]+", fold_name(name)):
            if len(part) >= 2:
                out.add(part)
    return out


def generator_components() -> set[str]:
    """The benchmark generator's name components, as its MRZ lines spell them."""
    from benchmarks.synth.documents import NAMES, transliterate

    names = [name for pools in NAMES.values() for pool in pools.values() for name in pool]
    return {part for name in names for part in transliterate(name).split("<") if len(part) >= 2}


def trigram_model(components: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
    """(log P(next | two back, one back) as (27, 27, 27), log P(next) as (27,)).

    Contexts: letters A-Z, then 26 for the start; events: A-Z, then 26 for the end."""
    counts = np.zeros((27, 27, 27))
    for component in components:
        symbols = [_START, _START, *(ord(char) - ord("A") for char in component), _END]
        for k in range(2, len(symbols)):
            counts[symbols[k - 2], symbols[k - 1], symbols[k]] += 1
    bigram_counts = counts.sum(axis=0)
    unigram_counts = bigram_counts.sum(axis=0)
    unigram = (unigram_counts + 1) / (unigram_counts.sum() + 27)
    bigram = _witten_bell(bigram_counts, unigram[None, :])
    trigram = _witten_bell(counts, bigram[None, :, :])
    return np.log(trigram), np.log(unigram)


def _witten_bell(counts: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Interpolate counts over the last axis with the lower-order distribution."""
    total = counts.sum(axis=-1, keepdims=True)
    types = (counts > 0).sum(axis=-1, keepdims=True)
    seen = total > 0
    weight = np.where(seen, total / np.maximum(total + types, 1), 0.0)
    observed = np.where(seen, counts / np.maximum(total, 1), 0.0)
    result: np.ndarray = weight * observed + (1 - weight) * lower
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=NAME_PRIOR_PATH)
    args = parser.parse_args(argv)
    excluded = generator_components()
    source = faker_name_components()
    components = source - excluded
    log_probs, unigram = trigram_model(sorted(components))
    np.savez_compressed(
        args.out,
        log_probs=log_probs.astype(np.float32),
        unigram=unigram.astype(np.float32),
        version=np.array(VERSION),
        components=np.array(len(components)),
        excluded=np.array(sorted(excluded)),
    )
    print(
        f"{args.out}: {len(components)} components "
        f"({len(source)} from Faker, {len(source & excluded)} of the generator's left out)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
