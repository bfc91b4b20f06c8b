"""The MRZ names field's grammar, for reading blurred names.

No check digit covers a name. ICAO 9303 (part 3) does fix the field's shape: the primary
identifier, ``<<``, the secondary identifier, then fillers to the end of the field;
components within an identifier are separated by one ``<``. So the field starts with a
letter, and once a second ``<<`` (or ``<<<`` right after the primary identifier) begins
the padding, nothing but fillers follows. Under heavy blur a filler run can read as
letters (``INIGO<<<<CSYY<<``) or a letter as a filler (``WILLIAM<<ENRY``); both break
the grammar.

``decode_name_field`` returns the text with the best network score among those the grammar
allows (a Viterbi search over six states). Pure: arrays in, a string out.

Under blur a letter can lose to a look-alike by a nat or two (JOHNSGN, DALEMBCRT,
WTLLIAM), and the grammar cannot tell. A ``NamePrior`` adds what names look like: letter
trigram statistics of name components (``name_prior_training.py`` builds them from Faker's
person-name lists, MIT, with the benchmark generator's own names left out), as clipped
pointwise mutual information added to the network's log-probabilities. It reorders near
ties only; the reader still needs a second engine to settle any letter it changed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NAME_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ<"
_FILLER = 26  # index of "<" in NAME_ALPHABET

# States: what the last cell was.
_SURNAME, _SURNAME_GAP, _SEPARATOR, _GIVEN, _GIVEN_GAP, _PADDING = range(6)
_LETTER_STATES = (_SURNAME, _GIVEN)
# For each state, the states it may be entered from (a letter state is entered by a
# letter, the others by a filler).
_ENTERED_FROM: tuple[tuple[int, ...], ...] = (
    (_SURNAME, _SURNAME_GAP),  # a surname letter
    (_SURNAME,),  # the first "<" after a surname component
    (_SURNAME_GAP,),  # the second: the primary/secondary separator
    (_GIVEN, _SEPARATOR, _GIVEN_GAP),  # a given-name letter
    (_GIVEN,),  # the first "<" after a given-name component
    (_SEPARATOR, _GIVEN_GAP, _PADDING),  # padding to the end of the field
)


NAME_PRIOR_PATH = Path(__file__).with_name("name-prior.npz")
_START = 26  # context index of "no letter yet" (the component's start)


class NamePriorMissing(RuntimeError):
    """The name prior's file is missing or does not fit this code (re-run its training)."""


@dataclass(frozen=True)
class NamePrior:
    """What name components look like, as bonuses in nats added to a letter's score.

    ``letters[a, b, c]``: letter ``c`` after letters ``a``, ``b`` of the same component
    (index 26 = the component's start); ``ends[a, b]``: the component ending after ``a``,
    ``b``. Each is ``weight * clip(log P(event | a, b) - log P(event), -clip, clip)``.
    """

    letters: np.ndarray  # (27, 27, 26)
    ends: np.ndarray  # (27, 27)
    version: str


def name_prior_from_model(
    log_probs: np.ndarray, unigram: np.ndarray, *, weight: float, clip: float, version: str
) -> NamePrior:
    """A prior from trigram log-probabilities (27, 27, 27: next = 26 letters then the end)
    and the events' unigram log-probabilities (27,)."""
    pmi = weight * np.clip(log_probs - unigram[None, None, :], -clip, clip)
    return NamePrior(letters=pmi[:, :, :26].copy(), ends=pmi[:, :, 26].copy(), version=version)


_prior_lock = threading.Lock()
_priors: dict[tuple[float, float], NamePrior] = {}


def load_name_prior(weight: float, clip: float, path: Path = NAME_PRIOR_PATH) -> NamePrior:
    """The shipped prior at this weight and clip, read once per process."""
    key = (weight, clip)
    with _prior_lock:
        if key not in _priors:
            try:
                with np.load(path) as archive:
                    log_probs = archive["log_probs"].astype(np.float64)
                    unigram = archive["unigram"].astype(np.float64)
                    version = str(archive["version"])
            except (OSError, KeyError, ValueError) as error:
                raise NamePriorMissing(f"{path}: {error}") from error
            if log_probs.shape != (27, 27, 27) or unigram.shape != (27,):
                raise NamePriorMissing(f"{path}: shapes {log_probs.shape}, {unigram.shape}")
            _priors[key] = name_prior_from_model(
                log_probs, unigram, weight=weight, clip=clip, version=version
            )
        return _priors[key]


def decode_name_field(
    log_probs: np.ndarray,
    prior: NamePrior | None = None,
    *,
    candidates: int = 5,
    margin: float = 3.0,
) -> str:
    """The field text that the grammar allows with the highest total score.

    ``log_probs``: (cells, 27) log-probabilities over ``NAME_ALPHABET`` per cell. Without
    a ``prior`` the score is the network's alone, and when the cells' first choices
    already form a valid field, they are the answer. With one, each component's letters
    also score by the prior, but a cell's letter can only become one of its
    ``candidates`` best letters within ``margin`` nats of its best: the prior reorders
    near ties, it does not overrule a clear reading.
    """
    scores = np.asarray(log_probs, np.float64)
    n_cells = len(scores)
    if n_cells == 0:
        return ""
    if prior is not None:
        return _decode_with_prior(scores, prior, min(max(candidates, 1), 26), margin)
    best_letter = np.argmax(scores[:, :_FILLER], axis=1)
    letter_score = scores[np.arange(n_cells), best_letter]
    filler_score = scores[:, _FILLER]
    total = np.full(6, -np.inf)
    total[_SURNAME] = letter_score[0]  # the field opens with the primary identifier
    came_from = np.zeros((n_cells, 6), np.int8)
    for cell in range(1, n_cells):
        new = np.empty(6)
        for state, sources in enumerate(_ENTERED_FROM):
            source = max(sources, key=lambda s: total[s])
            came_from[cell, state] = source
            emit = letter_score[cell] if state in _LETTER_STATES else filler_score[cell]
            new[state] = total[source] + emit
        total = new
    state = int(np.argmax(total))
    out: list[str] = []
    for cell in range(n_cells - 1, -1, -1):
        out.append(NAME_ALPHABET[best_letter[cell]] if state in _LETTER_STATES else "<")
        state = int(came_from[cell, state])
    return "".join(reversed(out))


def _decode_with_prior(scores: np.ndarray, prior: NamePrior, k: int, margin: float) -> str:
    """The grammar's Viterbi search with the prior's trigram bonuses.

    A letter state remembers the component's last two letters, as slots into each cell's
    ``k`` candidates (slot ``k`` of the older one: the component started at the newer
    one). Filler states forget them.
    """
    n_cells = len(scores)
    cand = np.argsort(-scores[:, :_FILLER], axis=1, kind="stable")[:, :k]  # (cells, k)
    emit = np.take_along_axis(scores, cand, axis=1)
    emit[emit < emit[:, :1] - margin] = -np.inf
    filler = scores[:, _FILLER]
    start_row = np.full(k, _START)
    # letters[g]: (k + 1, k) scores of [older slot, newer slot]; g 0 surname, 1 given.
    letters = np.full((2, k + 1, k), -np.inf)
    letters[0, k] = emit[0] + prior.letters[_START, _START, cand[0]]
    fillers = np.full(4, -np.inf)  # surname gap, separator, given-name gap, padding
    # Back-pointers per cell: the older slot a continuing letter came from, the filler a
    # starting letter came from, and each filler's source (a letter state or a filler).
    cont_from = np.zeros((n_cells, 2, k, k), np.int64)
    start_from = np.zeros((n_cells, 2), np.int64)
    filler_from: list[list[tuple[str, int, int]]] = [[] for _ in range(n_cells)]
    for cell in range(1, n_cells):
        older = np.concatenate([cand[cell - 2] if cell >= 2 else start_row, [_START]])
        newer = cand[cell - 1]
        new_letters = np.full((2, k + 1, k), -np.inf)
        # A letter continuing the component: [older slot, newer slot, this cell's slot].
        bonus = prior.letters[older[:, None, None], newer[None, :, None], cand[cell][None, None, :]]
        for g, sources in ((0, (0,)), (1, (1, 2))):
            through = letters[g][:, :, None] + bonus
            best_older = np.argmax(through, axis=0)
            new_letters[g, :k] = np.take_along_axis(through, best_older[None], axis=0)[0]
            cont_from[cell, g] = best_older
            # A letter starting a component: after the surname's first filler (a further
            # surname component), after the separator or a given name's filler.
            source = max(sources, key=lambda t: fillers[t])
            new_letters[g, k] = fillers[source] + prior.letters[_START, _START, cand[cell]]
            start_from[cell, g] = source
        new_letters += emit[cell][None, None, :]
        new_fillers = np.full(4, -np.inf)
        froms: list[tuple[str, int, int]] = []
        for g, target in ((0, 0), (1, 2)):
            ended = letters[g] + prior.ends[older[:, None], newer[None, :]]
            flat = int(np.argmax(ended))
            new_fillers[target] = ended.flat[flat]
            froms.append(("letter", g, flat))
        new_fillers[1] = fillers[0]  # the separator follows the surname's first filler
        padding_source = max((1, 2, 3), key=lambda t: fillers[t])
        new_fillers[3] = fillers[padding_source]
        new_fillers += filler[cell]
        filler_from[cell] = [
            froms[0],
            ("filler", 0, 0),
            froms[1],
            ("filler", padding_source, 0),
        ]
        letters, fillers = new_letters, new_fillers
    # The best final state, then back through the cells.
    finals = [(float(letters[g].max()), "letter", g, int(np.argmax(letters[g]))) for g in (0, 1)]
    finals += [(float(fillers[t]), "filler", t, 0) for t in range(4)]
    _, kind, state, flat = max(finals, key=lambda f: f[0])
    out: list[str] = []
    for cell in range(n_cells - 1, -1, -1):
        if kind == "letter":
            older_slot, newer_slot = divmod(flat, k)
            out.append(NAME_ALPHABET[cand[cell][newer_slot]])
            if cell == 0:
                break
            if older_slot < k:
                flat = int(cont_from[cell, state, older_slot, newer_slot]) * k + older_slot
            else:
                kind, state, flat = "filler", int(start_from[cell, state]), 0
        else:
            out.append("<")
            if cell == 0:
                break
            kind, state, flat = filler_from[cell][state]
    return "".join(reversed(out))
