"""The session cookie: HttpOnly, SameSite=Strict, Secure under https.

Only HTTP responses of ``auth_routes`` set or clear it, so no page script can
read the token. The Reflex handlers read it from the Cookie header of the
event WebSocket's handshake (``router.headers.cookie``, which Reflex 0.10
keeps on the server and strips from what it sends to the browser).
"""

from __future__ import annotations

from starlette.requests import cookie_parser
from starlette.responses import Response

from clawweb.settings import get_settings

BASE_NAME = "clawweb_session"


def _https() -> bool:
    return get_settings().origin.startswith("https://")


def cookie_name() -> str:
    """``__Host-`` under https: the browser then refuses it without Secure, with a
    Domain, or from a sibling subdomain."""
    return f"__Host-{BASE_NAME}" if _https() else BASE_NAME


def read_token(cookie_header: str) -> str:
    """The raw session token in a Cookie header, or ""."""
    if not cookie_header:
        return ""
    return cookie_parser(cookie_header).get(cookie_name(), "")


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(cookie_name(), token, max_age=get_settings().session_days * 86400,
                        path="/", secure=_https(), httponly=True, samesite="strict")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(cookie_name(), path="/", secure=_https(), httponly=True,
                           samesite="strict")
