"""User-facing messages for the service's own error codes (uploads, auth, lifecycle).

Decision reason codes (document, liveness, face, policy) live with the policy in
``app.policy``; ``message_for`` looks in both.
"""

from __future__ import annotations

API_MESSAGES: dict[str, str] = {
    "unauthorized": "Missing or invalid credentials.",
    "invalid_api_key": "The API key is missing, unknown or revoked.",
    "insufficient_scope": "This API key is not allowed to do that.",
    "invalid_client_secret": "This verification link is not valid. Ask for a new link.",
    "forbidden": "You are not allowed to do that.",
    "csrf_failed": "Your session form expired. Reload the page and try again.",
    "not_found": "Not found.",
    "validation_error": "The request is not valid.",
    "invalid_state": "That is not possible in the verification's current state.",
    "verification_expired": "This verification has expired. Ask for a new link.",
    "verification_canceled": "This verification was canceled.",
    "upload_too_large": "The file is too large.",
    "unsupported_media_type": "This file type is not supported. Upload a JPEG, PNG or WebP photo.",
    "image_corrupt": "The image could not be read. Take or upload the photo again.",
    "image_too_large": "The image has too many pixels. Use a photo of at most 40 megapixels.",
    "upload_pixels_exceeded": (
        "The photos of this upload have too many pixels together. Send smaller frames."
    ),
    "image_too_small": "The image is too small. Use a photo of at least 100 x 100 pixels.",
    "video_corrupt": "The video could not be read. Record it again.",
    "document_missing": "Upload a photo of your document first.",
    "selfie_missing": "Take your selfie first.",
    "challenge_missing": "Start the selfie step again to get a new challenge.",
    "challenge_expired": "The selfie challenge expired. Start the selfie step again.",
    "challenge_replayed": "This selfie challenge was already used. Start the selfie step again.",
    "challenge_foreign": "This selfie challenge belongs to another verification.",
    "attempts_exceeded": "Too many attempts. This verification is closed.",
    "invalid_credentials": "Wrong email or password.",
    "already_decided": "This case was already decided.",
    "webhook_url_refused": (
        "Webhook URLs must point at a public address (not loopback, private, link-local or "
        "metadata addresses)."
    ),
    "redacted": "The data of this verification was deleted. Ask for a new link.",
    "already_submitted": "These photos were already sent. Wait for the result.",
    "verification_in_progress": (
        "This account has a verification being processed or reviewed; wait for its decision."
    ),
    "concurrent_request": "Another request changed this at the same time. Try again.",
    "rate_limited": "Too many requests. Wait a moment and try again.",
    "idempotency_key_reused": "This Idempotency-Key was used with a different request.",
    "idempotency_conflict": "A request with this Idempotency-Key is still in progress.",
    "not_ready": (
        "The service cannot take verifications now: the database is unreachable or no worker "
        "consumes the pipeline queue."
    ),
}


def message_for(code: str) -> str:
    """The user-facing message for any code the service emits."""
    if code in API_MESSAGES:
        return API_MESSAGES[code]
    from app.policy import REASON_MESSAGES

    return REASON_MESSAGES.get(code, code.replace("_", " ").capitalize() + ".")
