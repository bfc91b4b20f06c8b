"""Name normalisation and pairwise scoring for watchlist screening.

``prepare()`` turns a raw name into a ``PreparedName``: romanised (any script, via
``anyascii``), lower-cased, stripped of titles and punctuation, legal-form words ("Co., Ltd.",
"Company Limited", "JSC", "GmbH") canonicalised and set aside, and a phonetic key per token
that folds romanisation variants together (pinyin / Wade-Giles / Cantonese spellings:
``hs``/``x``, ``ch``/``q``/``zh``/``j``, ``p``/``b``, ``t``/``d``, ``k``/``g``, vowels).

``score()`` aligns the tokens of two names (word order free; joined or hyphenated given names
split or merged; initials matching the word they abbreviate), computes a handful of
similarity features and combines them with a logistic model whose weights were fitted on one
half of the labelled pairs (``benchmarks/bench_screening.py`` says which half and reports on
the other). It returns a ``NameScore`` with the probability-like score and the alignment that
explains it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from anyascii import anyascii
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

Kind = Literal["person", "organisation", "any"]

TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "sir",
        "madam",
        "mme",
        "mlle",
        "herr",
        "frau",
        "he",
        "hon",
        "haji",
        "hajji",
        "sheikh",
        "shaikh",
        "president",
        "prasident",
        "general",
        "gen",
        "col",
        "colonel",
        "maj",
        "major",
        "capt",
        "captain",
        "lt",
        "doctor",
        "engineer",
        "eng",
    ]
)
STOP_WORDS = frozenset(["the", "of", "and", "de", "del", "la", "le", "y", "et", "und"])
# legal-form words, canonicalised; they are kept aside and weigh little in the score
LEGAL_FORMS: dict[str, str] = {
    **{w: "ltd" for w in ("limited", "ltd", "ltda")},
    **{w: "co" for w in ("company", "co", "companies", "cia", "compania")},
    **{w: "corp" for w in ("corporation", "corp", "korporatsiya")},
    **{w: "inc" for w in ("incorporated", "inc")},
    **{w: "llc" for w in ("llc",)},
    **{w: "plc" for w in ("plc",)},
    **{w: "jsc" for w in ("jsc", "ojsc", "pjsc", "cjsc", "ao", "oao", "pao", "zao", "aozt")},
    **{w: "llc" for w in ("ooo", "tov", "too")},
    **{w: "gmbh" for w in ("gmbh", "mbh")},
    **{w: "ag" for w in ("ag", "aktiengesellschaft")},
    **{w: "sa" for w in ("sa", "sas", "sarl", "sl", "srl", "spa", "sae")},
    **{w: "bv" for w in ("bv", "nv")},
    **{w: "pte" for w in ("pte", "pty", "pvt", "private")},
    **{w: "group" for w in ("group", "holding", "holdings")},
    **{w: "fze" for w in ("fze", "fzco", "fzc", "fzl", "llp", "lp", "kg", "ab", "as", "oy")},
    **{w: "est" for w in ("establishment", "est")},
    **{w: "llc" for w in ("srl", "raspundere", "limitata", "societatea", "cu")},
    **{w: "sirketi" for w in ("sirketi", "ticaret", "anonim", "limited sirketi")},
}
# multi-word legal forms, folded to one token before tokenising
_PHRASES = [
    (re.compile(r"\bjoint[- ]stock company\b"), " jsc "),
    (re.compile(r"\bpublic limited company\b"), " plc "),
    (re.compile(r"\blimited liability company\b"), " llc "),
    (re.compile(r"\bsp\.? ?z ?o\.? ?o\.?"), " llc "),
    (re.compile(r"\bs\.? ?a\.? ?r\.? ?l\.?(?=\s|$)"), " sa "),
    (re.compile(r"\bp\.? ?l\.? ?c\.?(?=\s|$)"), " plc "),
    (re.compile(r"\bs\.a\.(?=\s|$)"), " sa "),
    (re.compile(r"\bl\.l\.c\.?(?=\s|$)"), " llc "),
    (re.compile(r"\bco\.,? ?ltd\.?"), " co ltd "),
    (re.compile(r"&"), " and "),
    # academic degrees after a name ("B.A.", "Ph.D.")
    (re.compile(r"\b(?:b\.a|m\.a|b\.sc|m\.sc|ph\.d|m\.d|dipl\.-ing)\.?(?=\s|$)"), " "),
]
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7"}
_ORDINALS = {"first": "1", "second": "2", "third": "3", "1st": "1", "2nd": "2", "3rd": "3"}
_NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "ten": "10"}

# phonetic folding, applied in order to a token (romanisation variants, common spellings)
_PHONETIC = [
    ("sch", "s"),
    ("tch", "s"),
    ("hs", "s"),
    ("zh", "s"),
    ("ch", "s"),
    ("sh", "s"),
    ("ts", "s"),
    ("tz", "s"),
    ("dz", "s"),
    ("ph", "f"),
    ("kh", "h"),
    ("gh", "g"),
    ("th", "t"),
    ("dh", "d"),
    ("q", "s"),
    ("x", "s"),
    ("j", "s"),
    ("z", "s"),
    ("c", "s"),
    ("k", "g"),
    ("p", "b"),
    ("t", "d"),
    ("v", "f"),
    ("w", "f"),
    ("y", "i"),
]
_VOWELS = re.compile(r"[aeiou]+")
_REPEATS = re.compile(r"(.)\1+")


@dataclass(frozen=True)
class PreparedName:
    """A name ready for comparison: tokens, legal forms, phonetic keys."""

    original: str
    tokens: tuple[str, ...]
    legal: tuple[str, ...]
    keys: tuple[str, ...]
    numbers: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


@dataclass(frozen=True)
class NameScore:
    """How alike two names are, with the token alignment that explains it."""

    score: float  # 0..1, calibrated on the tuning half of the labelled pairs
    aligned: tuple[tuple[str, str, float], ...]  # (query token, candidate token, similarity)
    unmatched_query: tuple[str, ...]
    unmatched_candidate: tuple[str, ...]
    features: tuple[float, ...]


def phonetic_key(token: str) -> str:
    """A coarse sound key: consonant classes kept, each vowel run folded to one ``a``."""
    key = token
    for src, dst in _PHONETIC:
        key = key.replace(src, dst)
    key = _REPEATS.sub(r"\1", key)
    key = key.replace("h", "") if len(key) > 1 else key
    head, rest = key[:1], key[1:]
    if head in "aeiou":
        head = "a"
    return head + _VOWELS.sub("a", rest)


_SYLLABIC = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_CANONICAL = {"ibn": "bin", "ben": "bin", "bint": "bin", "el": "al", "ul": "al"}


def _romanise(name: str) -> str:
    """Latin letters for any script; Chinese, Japanese and Korean syllables become separate
    words so that a pinyin given name compares syllable by syllable."""
    if _SYLLABIC.search(name):
        return " ".join(anyascii(ch) for ch in name)
    return anyascii(name)


_LONG_LEGAL_WORDS = [w for w in LEGAL_FORMS if len(w) >= 7]


def _misspelt_legal_form(token: str) -> str | None:
    """A long legal-form word with one slip ("Comany", "Corporatoin")."""
    if len(token) < 6:
        return None
    for word in _LONG_LEGAL_WORDS:
        if abs(len(word) - len(token)) <= 1 and OSA.distance(word, token, score_cutoff=1) <= 1:
            return LEGAL_FORMS[word]
    return None


@lru_cache(maxsize=200_000)
def prepare(name: str) -> PreparedName:
    """Normalise a raw name (any script) for comparison."""
    text = _romanise(name).lower()
    # "SURNAME, Given" -> "Given SURNAME" is not needed: matching is order-free
    text = text.replace("'", "").replace("`", "").replace("\u2019", "")
    for pattern, repl in _PHRASES:
        text = pattern.sub(repl, text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    raw = text.split()
    tokens: list[str] = []
    legal: list[str] = []
    numbers: list[str] = []
    for i, tok in enumerate(raw):
        form = LEGAL_FORMS.get(tok) or _misspelt_legal_form(tok)
        if form and (i > 0 or len(raw) > 1):
            legal.append(form)
            continue
        if tok in TITLES and len(raw) > 2:
            continue
        if tok in STOP_WORDS and len(raw) > 2:
            continue
        number = (
            _ORDINALS.get(tok)
            or _NUMBER_WORDS.get(tok)
            or (_ROMAN.get(tok) if i > 0 else None)
            or (tok if tok.isdigit() else None)
        )
        if number is not None:
            numbers.append(number)
            continue
        tokens.append(_CANONICAL.get(tok, tok))
    # a word written twice in a row ("Shoigu Shoigu") counts once
    tokens = [t for n, t in enumerate(tokens) if n == 0 or tokens[n - 1] != t]
    if not tokens and legal:  # a name made of legal words only ("Holding Company")
        tokens, legal = legal, []
    return PreparedName(
        name,
        tuple(tokens),
        tuple(sorted(legal)),
        tuple(phonetic_key(t) for t in tokens),
        tuple(sorted(numbers)),
    )


def spelling_similarity(a: str, b: str) -> float:
    """1 - edits / length, where swapping two neighbouring letters (the commonest typing
    slip) costs half an edit, dropping or adding a letter three quarters, and replacing one
    letter by another (which more often makes a different name: Jian / Qian) a whole edit."""
    longest = max(len(a), len(b))
    if not longest:
        return 1.0
    with_swaps = OSA.distance(a, b)
    swaps = Levenshtein.distance(a, b) - with_swaps
    # a dropped or doubled letter costs three quarters of an edit
    light = Levenshtein.distance(a, b, weights=(3, 3, 4)) / 4
    return max(0.0, 1.0 - min(light, with_swaps - 0.5 * swaps) / longest)


def _token_similarity(a: str, b: str, key_a: str, key_b: str) -> float:
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:  # an initial matches the word it abbreviates
        return 0.9 if a[0] == b[0] and max(len(a), len(b)) >= 3 else 0.0
    lev = OSA.normalized_similarity(a, b)  # a swap of neighbours is one edit
    jw = JaroWinkler.similarity(a, b)
    base = max(lev, 0.5 * (lev + jw))
    if key_a == key_b:
        # same sound key (a romanisation variant): half way to a full match, not more
        base = max(base, min(0.9, 0.5 * (base + 1.0)))
    return base


def _merge_adjacent(p: PreparedName) -> list[tuple[str, str, int]]:
    """Tokens, plus each pair of neighbours joined (joined / hyphenated given names)."""
    out = [(t, k, 1) for t, k in zip(p.tokens, p.keys, strict=True)]
    for i in range(len(p.tokens) - 1):
        joined = p.tokens[i] + p.tokens[i + 1]
        out.append((joined, phonetic_key(joined), 2))
    return out


def align(
    q: PreparedName, c: PreparedName
) -> tuple[list[tuple[str, str, float]], set[int], set[int]]:
    """Greedy best-first alignment of tokens (a joined pair may stand for two tokens)."""
    qs, cs = _merge_adjacent(q), _merge_adjacent(c)
    nq, nc = len(q.tokens), len(c.tokens)
    pairs: list[tuple[float, int, int]] = []
    for i, (ta, ka, wa) in enumerate(qs):
        for j, (tb, kb, wb) in enumerate(cs):
            if (wa == 2 and wb == 2) or (min(len(ta), len(tb)) == 1 and wa + wb > 2):
                continue  # an initial stands for one word, never for two joined ones
            sim = _token_similarity(ta, tb, ka, kb)
            if sim >= 0.5:
                # prefer covering more tokens at equal similarity
                pairs.append((sim + 0.001 * (wa + wb), i, j))
    pairs.sort(reverse=True)
    used_q: set[int] = set()
    used_c: set[int] = set()
    aligned: list[tuple[str, str, float]] = []

    def members(index: int, n: int) -> set[int]:
        return {index} if index < n else {index - n, index - n + 1}

    for sim, i, j in pairs:
        mq, mc = members(i, nq), members(j, nc)
        if mq & used_q or mc & used_c:
            continue
        used_q |= mq
        used_c |= mc
        aligned.append((qs[i][0], cs[j][0], min(1.0, round(sim, 3))))
    return aligned, set(range(nq)) - used_q, set(range(nc)) - used_c


def features(q: PreparedName, c: PreparedName) -> tuple[tuple[float, ...], NameScore]:
    """The similarity features of a pair (and the alignment, for explanations)."""
    aligned, free_q, free_c = align(q, c)
    sims = [s for _, _, s in aligned]
    short, long_ = (q, c) if len(q.tokens) <= len(c.tokens) else (c, q)
    free_short = free_q if short is q else free_c
    free_long = free_c if short is q else free_q
    side = 0 if short is q else 1
    # per token of the shorter name: its aligned similarity (0 when left over)
    per_token = {a if side == 0 else b: s for a, b, s in aligned}
    short_len = sum(len(t) for t in short.tokens) or 1
    short_mean = (
        sum(per_token.get(t, 0.0) * len(t) for t in short.tokens) / short_len
        if not any(len(t) > 0 and t not in per_token for t in short.tokens)
        else sum(s * len(a if side == 0 else b) for a, b, s in aligned) / short_len
    )
    short_min = 0.0 if free_short else (min(sims) if sims else 0.0)
    long_free = len(free_long) / max(1, len(long_.tokens))
    # initials stand for the word they abbreviate in the whole-string comparisons
    expand = {a: b for a, b, s in aligned if len(a) == 1 and s >= 0.9}
    expand_c = {b: a for a, b, s in aligned if len(b) == 1 and s >= 0.9}
    q_words = [expand.get(t, t) for t in q.tokens]
    c_words = [expand_c.get(t, t) for t in c.tokens]
    # the candidate's words in the query's order (aligned first), so that order is free
    order = {b: n for n, (_, b, _) in enumerate(aligned)}
    c_ordered = sorted(c_words, key=lambda w: order.get(w, len(order)))
    q_order = {a: n for n, (a, _, _) in enumerate(aligned)}
    q_ordered = sorted(q_words, key=lambda w: q_order.get(w, len(q_order)))
    joined = spelling_similarity("".join(q_ordered), "".join(c_ordered))
    sorted_sim = Levenshtein.normalized_similarity(
        " ".join(sorted(q_words)), " ".join(sorted(c_words))
    )
    keys_sim = Levenshtein.normalized_similarity("".join(sorted(q.keys)), "".join(sorted(c.keys)))
    all_exact = 1.0 if not free_short and all(s >= 1.0 for s in sims) else 0.0
    numbers_differ = 1.0 if q.numbers != c.numbers else 0.0
    legal_differ = 1.0 if (q.legal and c.legal and set(q.legal) != set(c.legal)) else 0.0
    weak = [s for s in sims if s < 1.0]
    weakest_pair = min(aligned, key=lambda t: t[2])[:2] if aligned else None
    second_min = sorted(sims)[1] if len(sims) > 1 else (sims[0] if sims else 0.0)
    feats = (
        short_mean,
        short_min,
        1.0 - len(free_short) / max(1, len(short.tokens)),
        long_free,
        joined,
        sorted_sim,
        keys_sim,
        all_exact,
        numbers_differ,
        legal_differ,
        float(len(weak)),
        1.0 if len(short.tokens) == 1 else 0.0,
        second_min,
        float(len(free_long)),
        sum(1 for x in sims if x >= 1.0) / max(1, len(short.tokens)),
        1.0
        if weakest_pair and phonetic_key(weakest_pair[0]) == phonetic_key(weakest_pair[1])
        else 0.0,
        1.0 if weakest_pair and weakest_pair[0][:1] == weakest_pair[1][:1] else 0.0,
    )
    explanation = NameScore(
        0.0,
        tuple(aligned),
        tuple(q.tokens[i] for i in sorted(free_q)),
        tuple(c.tokens[i] for i in sorted(free_c)),
        feats,
    )
    return feats, explanation


# Logistic weights fitted on the tuning half (see benchmarks/bench_screening.py --fit).
WEIGHTS: tuple[float, ...] = (
    3.1781,
    5.0844,
    -3.8872,
    0.6558,
    3.8093,
    0.7996,
    -0.0846,
    0.0674,
    -1.1743,
    -1.0979,
    0.5324,
    -0.1356,
    -3.2112,
    -0.3776,
    -2.0004,
    1.9371,
    0.1101,
)
BIAS = -2.7354
MATCH_THRESHOLD = 0.43  # best F1 on the tuning half


def combine(feats: tuple[float, ...], weights: tuple[float, ...], bias: float) -> float:
    """The logistic combination of features."""
    z = bias + sum(w * f for w, f in zip(weights, feats, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


def score(query: str | PreparedName, candidate: str | PreparedName) -> NameScore:
    """Score two names (0..1) with the alignment that explains the score."""
    q = prepare(query) if isinstance(query, str) else query
    c = prepare(candidate) if isinstance(candidate, str) else candidate
    if not q.tokens or not c.tokens:
        return NameScore(0.0, (), q.tokens, c.tokens, ())
    feats, explanation = features(q, c)
    return NameScore(
        combine(feats, WEIGHTS, BIAS),
        explanation.aligned,
        explanation.unmatched_query,
        explanation.unmatched_candidate,
        feats,
    )
