"""The one error remote operations raise; ``detail`` is redacted git or forge text."""

from __future__ import annotations

from clawweb.services.errors import ServiceError


class RemoteError(ServiceError):
    """A remote operation failed; ``key`` says why in the user's words.

    ``detail`` keeps the (already redacted) tail of git's stderr or the
    forge's message for the audit log and the UI's "details" line.
    """

    def __init__(self, key: str, *, detail: str = "", **params):
        super().__init__(key, **params)
        self.detail = detail
