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
"""

from __future__ import annotations

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


def decode_name_field(log_probs: np.ndarray) -> str:
    """The field text that the grammar allows with the highest total log-probability.

    ``log_probs``: (cells, 27) log-probabilities over ``NAME_ALPHABET`` per cell. When the
    cells' first choices already form a valid field, they are the answer.
    """
    scores = np.asarray(log_probs, np.float64)
    n_cells = len(scores)
    if n_cells == 0:
        return ""
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
