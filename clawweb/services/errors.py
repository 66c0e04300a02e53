"""Errors that services raise and the UI shows. ``key`` is a message-catalog key."""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key = key
        self.params = params


class PermissionDenied(ServiceError):
    def __init__(self, key: str = "errors.forbidden", **params):
        super().__init__(key, **params)


class NotFound(ServiceError):
    def __init__(self, key: str = "errors.not_found", **params):
        super().__init__(key, **params)


class InvalidInput(ServiceError):
    pass


class Unavailable(ServiceError):
    """A backing service (Redis, Docker) is down; nothing was done."""

    def __init__(self, key: str = "errors.redis_unavailable", **params):
        super().__init__(key, **params)
