"""The REST API under ``/api/v1`` (FastAPI, mounted on the Reflex backend by ``clawweb/api.py``).

Routes are thin, like Reflex handlers: resolve the caller (``deps``), call the
same services the UI calls, turn rows into typed models (``schemas``). Rights
are checked by the services; the token adds its scope, project restriction and
rate limit on top, never more than its user has.
"""
