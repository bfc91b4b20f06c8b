"""The MRZ reader's tunables (``OcrParams``) and the types its stages share: a chain of
glyph boxes found on a text line, the geometry of a read line, and the read itself."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from app.vision.document.mrz import (
    MrzResult,
)


@dataclass(frozen=True)
class OcrParams:
    """Tunables of the MRZ reader (defaults measured on the specimens and synthetic sets)."""

    work_max_side: int = 1600  # the component search runs at about this size
    # Candidate line groups read per image, largest first. On the 320 benchmark images
    # and 20 specimens every valid read came from the first group but one (the second:
    # 100_pass2-uto); each further group costs up to ~0.3 s on a failing image.
    max_groups: int = 2
    # A group read at least this OCR-B-like (mean best template correlation) is taken
    # for the document's one MRZ, read or not: no further group is read (a failing image
    # no longer pays for reading other text). Measured on the specimens and the seed 7
    # hard tier: first groups that were printed text 0.61-0.79 (the MRZ came second);
    # groups read after the MRZ at most 0.86; the 112 exact reads 0.84-0.97, 103 >= 0.9.
    mrz_glyph_score: float = 0.9
    min_chain: int = 14  # glyphs in a chain to count as a text line
    min_glyph_score: float = 0.55  # mean best correlation below this: not OCR-B / not legible
    use_tesseract: bool = True
    # A read is valid only when a second engine (Tesseract on the same rectified lines)
    # agrees on every position no check digit covers (see ``confirm.py``). Turning this
    # off is for measurements only: without it, confident glyph errors in names pass.
    require_confirmation: bool = True
    # The network's scores are log-probabilities: a runner-up within this many nats of
    # the best is offered to the check-digit search, and in fields no check digit covers
    # a runner-up within ``net_unchecked_margin`` makes the read unproven.
    net_runner_up_margin: float = 3.0
    net_close_margin: float = 1.5  # second try when the wide runner-ups are ambiguous
    net_unchecked_margin: float = 1.1
    # The names prior (``name_grammar.NamePrior``), on names lines softer than
    # ``min_second_opinion_sharpness``: the weight of its trigram evidence against the
    # network's log-probabilities, and the clip of each trigram's evidence (nats). 0
    # turns it off. Chosen on seed 7's hard tier (weights 0.35 / 0.5 / 0.75 / 1.0:
    # 106 / 107 / 107 / 106 exact; clip 2 / 3 / 4: 107 each); seeds 202 and 303 held
    # out (benchmarks/NOTES-mrz.md, round 11, where the other variants are).
    name_prior_weight: float = 0.5
    name_prior_clip: float = 3.0
    # A read left unproven reports a names letter as the network's runner-up (within
    # ``net_runner_up_margin``) that Tesseract reads there, when Tesseract reads at least
    # this share of the names letters as the network does (seed 404: 15 of 17 and 14 of
    # 15; seed 7 hard_0036, where Tesseract read MACDOMALO<SSWILLTAN, 17 of 21). Hard
    # tiers of seeds 7/202/303/404: 107/101/98/97 exact -> 107/101/98/99, and seed 505,
    # measured only once this was chosen, 98 -> 99; with no such share, seed 7 lost
    # hard_0036 (WILLIAM -> WILLTAM).
    names_agreement_for_runner_ups: float = 0.85
    # A position no check digit covers is "settled" when the network's best character
    # leads its runner-up by this many nats and the template classifier reads the same
    # character. A read whose unchecked positions are all settled, that used no
    # runner-up, and whose every cell leads by ``net_checked_margin`` needs no second
    # engine; Tesseract reads only the lines that are not settled that way. Calibrated
    # on the tuning seeds 101 and 202 (16,500 cells): no wrong unchecked cell was
    # settled at 2.0 or above; 3.0 keeps a margin (benchmarks/NOTES-mrz.md).
    net_settled_margin: float = 3.0
    net_checked_margin: float = 1.1
    # Lines less crisp than this (``_stroke_sharpness``) settle nothing on their own.
    # Measured: every valid read of the normal tier (seed 202) >= 0.70; a blurred hard
    # line (seed 7) where both classifiers read E as F with a wide margin: 0.57.
    min_settle_sharpness: float = 0.65
    # Lines less crisp than this are read by the networks trained on heavy blur
    # (``glyphnet.py``: "soft", "soft-wide"). Seed 7 hard tier 56 -> 63 exact at 0.55,
    # from lines at 0.24-0.48; at 0.65 the first soft network misread the specimen
    # 25_pass-uto (lines at 0.63 and 0.64: ANNA -> QNNA). Round 8, with the pair retrained
    # on sheared glyphs: 0.65, the crispness below which no line settles anyway, reads
    # the specimens and normal tiers as 0.55 did and the hard tiers (seeds 7/202/303)
    # 96/93/90 -> 97/95/90 exact (seed 7 hard_0036: low resolution, mild blur, which the
    # sharp network misread in 17 cells); hard valid reads 10/14/11 -> 10/13/11.
    soft_network_below: float = 0.65
    # The pair of networks (``glyphnet.WEIGHTS_PATHS`` kinds: pitch-wide, 2.8 pitches
    # wide) that reads those soft lines: the pair fine-tuned on reader-cut lines of
    # generated photographs (``benchmarks/photo_tuning.py``, which harvests those lines
    # with the rendered-only pair, "soft" and "soft-wide").
    soft_networks: tuple[str, str] = ("soft-photo", "soft-wide-photo")
    # Below this crispness a failed read gets no Tesseract second opinion (the slowest
    # step of a failing image). Every specimen and normal-tier read measures >= 0.6.
    min_second_opinion_sharpness: float = 0.5
    # Below this crispness a read the checks prove is not sent to Tesseract for the
    # confirmation of its unchecked positions; it stays unproven. Hard tiers of seeds 7
    # and 202: the softest confirmed read measured 0.42, while 51 of the 129 exact reads
    # left unproven lay below 0.35 (each a Tesseract run of 0.2-0.6 s for nothing).
    min_confirm_sharpness: float = 0.35
    # A lattice moved by one cell that reads within this many nats of the chosen one
    # makes the line's placement uncertain; the other lines decide when one placement
    # lines up with them better by ``lattice_slip_alignment`` pitches, else the read
    # is not proven (an unchecked names line has no other defence against a slip).
    lattice_slip_margin: float = 3.0
    lattice_slip_alignment: float = 0.5
    # Lines whose first or last cells lie further apart than this (pitches, along the
    # lines) are not proven: a slip is about 1.0; exact reads measured at most 0.61
    # (hard tier, strong perspective; 99th percentile 0.51).
    max_line_misalignment: float = 0.8
    # Text tilted by more than this (degrees) is rotated level for the glyph chaining
    # (motion blur glues tilted glyphs into runs whose boxes are taller than a glyph).
    deskew_min_deg: float = 4.0
    # Lattice steps allowed around the fitted pitch, and the cost of a step that differs
    # from the previous step (nats per squared strip pixel).
    lattice_step_tolerance: float = 0.15
    lattice_step_cost: float = 0.1
    # When no MRZ-like group of glyph chains is found, the print is searched again with
    # this share of the image's contrast as the ink threshold (instead of
    # ``_PRINT_CONTRAST_SHARE``): a dark desk or a glare spot widens the image's contrast,
    # and a faint MRZ then falls under the usual threshold. Hard tiers, seeds 7/202/303:
    # 93/90/87 -> 95/93/90 exact at 0.1; with the 55 % overlap rule of ``_group_lines``
    # 96/93/90 at 0.1, against 96/91 (seeds 7/202) at 0.07 and 96/93 at 0.13.
    faint_contrast_share: float = 0.1
    # A country field is reported as the network reads it; the likeliest code on the
    # ICAO list stands in only when every cell it changes is a near tie (its letter within
    # this many nats of the cell's best): the list breaks ties between readings of the
    # same glyphs, never replaces a legible code (a German specimen's BDR read clearly,
    # D at -0.01 nats and L below -7, had become Belarus's BLR).
    country_tie_margin: float = 1.1


@dataclass(frozen=True)
class LineGeometry:
    """One MRZ line in input-image pixels: centre-line end points and character pitch."""

    start: tuple[float, float]  # centre of the first cell
    end: tuple[float, float]  # centre of the last cell
    pitch: float
    cap_height: float


@dataclass(frozen=True)
class MrzRead:
    """An MRZ reading plus where it was found."""

    result: MrzResult
    lines: tuple[LineGeometry, ...] = ()
    engine: str = "none"
    glyph_score: float = 0.0
    upside_down: bool = False
    corners: np.ndarray | None = field(default=None, repr=False)  # MRZ band TL,TR,BR,BL
    touches_border: bool = False  # the MRZ's ink reaches the edge of the frame
    # Crispness of the blurriest line (``_stroke_sharpness``); 0 when nothing was found.
    stroke_sharpness: float = 0.0

    @property
    def char_height_px(self) -> float:
        """Median cap height of the MRZ glyphs in input pixels (0 when not found)."""
        return float(np.median([g.cap_height for g in self.lines])) if self.lines else 0.0

    @property
    def angle_deg(self) -> float:
        """Direction of the MRZ lines (0 = left-to-right horizontal, image y down)."""
        if not self.lines:
            return 0.0
        g = self.lines[0]
        return math.degrees(math.atan2(g.end[1] - g.start[1], g.end[0] - g.start[0]))


# --------------------------------------------------------------------------- line finding


@dataclass
class _Chain:
    idx: list[int]
    cx: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cy: np.ndarray = field(default_factory=lambda: np.zeros(0))
    height: float = 0.0
    slope: float = 0.0
    intercept: float = 0.0
    left: float = 0.0
    right: float = 0.0
    pitch: float = 0.0
