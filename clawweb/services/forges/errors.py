"""The error forge adapters raise; ``detail`` is the forge's (redacted) message."""

from __future__ import annotations

from clawweb.services.errors import ServiceError


class ForgeError(ServiceError):
    def __init__(self, key: str, *, detail: str = "", **params):
        super().__init__(key, **params)
        self.detail = detail
