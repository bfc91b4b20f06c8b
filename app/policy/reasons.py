"""Reason codes: their user-facing messages and what each one does to a decision.

A message says what was found, never what happens next: one verification can carry reasons
of several actions (a decline, a new capture, a review), and the result page states the
outcome once, from the status.

Codes are stable once shipped. DESIGN §3 lists the core set; the ones added here are marked.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

REASON_MESSAGES: Mapping[str, str] = MappingProxyType(
    {
        # document capture
        "document_unreadable": "We could not read your document. Take a new photo in good light, "
        "with the whole document in the frame.",
        "document_blurry": "The photo of your document is blurry. Hold the camera still and "
        "take it again.",
        "document_glare": "There is glare on your document. Avoid direct light and take the photo "
        "again.",
        "document_cropped": "Part of your document is cut off. Fit all four corners in the "
        "frame and take the photo again.",
        "document_expired": "Your document has expired. Use a valid document.",
        "document_unsupported": "This type of document is not accepted. Use a passport or "
        "national identity card.",
        "mrz_not_found": "We could not find the machine-readable zone (the lines of letters and "
        "<<< at the bottom). Take a photo that shows it clearly.",
        "mrz_check_failed": "We could not read the machine-readable zone reliably. Take a sharper "
        "photo of your document.",
        "data_mismatch": "The details printed on your document do not agree with each other.",
        "underage": "You do not meet the minimum age requirement.",
        "restricted_jurisdiction": "We cannot verify documents from this country or nationality.",
        # selfie and liveness
        "selfie_no_face": "We could not see a face in your selfie. Face the camera in good light.",
        "selfie_multiple_faces": "More than one face is in your selfie. Make sure only you are "
        "in the picture.",
        "liveness_failed": "We could not confirm that the selfie was taken live.",
        "liveness_challenge_failed": "The requested movements were not detected. Try the selfie "
        "step again and follow the prompts.",
        "liveness_replay_suspected": "The selfie appears to be a recording or a photo of a "
        "screen or print.",
        "liveness_not_checked": "Your selfie could not be checked for liveness.",
        # face matching and duplicates
        "face_mismatch": "Your selfie does not clearly match the photo on your document.",
        "face_match_uncertain": "We could not confidently match your selfie to your document "
        "photo.",
        "face_model_not_calibrated": "We could not compare your selfie with your document "
        "automatically.",
        "duplicate_face": "Your selfie could not be told apart from another verification's "
        "automatically.",
        "duplicate_document": "Your document could not be told apart from another "
        "verification's automatically.",
        # lifecycle
        "attempts_exceeded": "Too many attempts. This verification is closed.",
        # added by the policy/faces core
        "selfie_quality_low": "Your face is too small, blurry or turned away in the selfie. "
        "Look straight at the camera, closer, in good light.",
        "face_portrait_not_found": "We could not find the photo of your face on your document. "
        "Take a photo of the page with your portrait.",
        "face_quality_low": "The photo on your document is too small or blurry to compare. "
        "Take a closer, sharper photo of your document.",
        "ocr_low_confidence": "Parts of your document were hard to read.",
        "document_data_incomplete": "Your document's dates could not be read.",
        "check_not_run": "A verification step could not be completed.",
        "check_inconclusive": "A verification step was inconclusive.",
        "review_sampled": "Your verification was selected for a routine manual review.",
        # added by organisations (entity screening and the 50 % rule)
        "organisation_restricted": "Access for your organisation is restricted. Contact the "
        "platform's support team if you believe this is wrong.",
        "ownership_unknown": "We could not establish who owns your organisation from the "
        "information we have.",
        "organisation_controlled": "Your organisation's ownership or control needs a closer look.",
        "watchlist_match": "Your details are similar to an entry we are required to check against.",
        # added by the document reader
        "document_country_unknown": "Your document's country code is not one we recognise.",
    }
)

Action = Literal["decline", "resubmit", "review"]

# What a reason does when it comes from a check that did not pass. Codes whose action
# depends on the policy (expiry, jurisdiction, liveness failure) are resolved in decide().
FIXED_ACTIONS: Mapping[str, Action] = MappingProxyType(
    {
        "document_unreadable": "resubmit",
        "document_blurry": "resubmit",
        "document_glare": "resubmit",
        "document_cropped": "resubmit",
        "document_unsupported": "resubmit",  # another document may be accepted
        "mrz_not_found": "resubmit",
        "mrz_check_failed": "resubmit",
        "selfie_no_face": "resubmit",
        "selfie_multiple_faces": "resubmit",
        "selfie_quality_low": "resubmit",
        "face_portrait_not_found": "resubmit",
        "face_quality_low": "resubmit",
        "liveness_challenge_failed": "resubmit",
        "underage": "decline",
        "liveness_replay_suspected": "decline",
        "attempts_exceeded": "decline",
        "data_mismatch": "review",
        "face_mismatch": "review",  # a face mismatch alone never auto-declines
        "face_match_uncertain": "review",
        "face_model_not_calibrated": "review",  # no thresholds for this template model
        "liveness_not_checked": "review",
        "duplicate_face": "review",
        "duplicate_document": "review",
        "ocr_low_confidence": "review",
        "document_data_incomplete": "review",
        "check_not_run": "review",
        "check_inconclusive": "review",
        "review_sampled": "review",
        "organisation_restricted": "decline",
        "ownership_unknown": "review",
        "organisation_controlled": "review",
        "watchlist_match": "review",  # a name match is never a decision by itself
        "document_country_unknown": "review",  # printed code not on the ICAO list
    }
)

# Codes that the user can fix by trying again: the capture-quality family.
RESUBMIT_CODES = frozenset(code for code, action in FIXED_ACTIONS.items() if action == "resubmit")
