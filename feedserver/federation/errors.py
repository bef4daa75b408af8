"""Federation failures, rendered as problem+json like every FeedserverError."""

from __future__ import annotations

from feedserver.errors import FeedserverError


class SignatureRejected(FeedserverError):
    """Missing, malformed, stale, replayed or non-verifying request signature, or a body
    that does not match its Content-Digest."""

    status, code, title = 401, "signature-rejected", "The request signature is not acceptable"


class NotAPartner(FeedserverError):
    """The signing key is not a pinned key of a partner, or not of the activity's server."""

    status, code, title = 403, "not-a-partner", "The signing key is not a partner's"


class InvalidProof(FeedserverError):
    status, code, title = 422, "invalid-proof", "An object's integrity proof does not verify"


class BadActivity(FeedserverError):
    status, code, title = 422, "bad-activity", "The activity is not one we accept"


class InviteRejected(FeedserverError):
    status, code, title = 403, "invite-rejected", "The invitation is unknown, used or expired"


class PartnerUnreachable(FeedserverError):
    status, code, title = 502, "partner-unreachable", "The partner server did not answer well"


class VerifierUnavailable(FeedserverError):
    """A signature-verifying worker process ended before it answered; the sender retries."""

    status, code, title = 503, "verifier-unavailable", "Signatures cannot be verified right now"
    retry_after = 5
