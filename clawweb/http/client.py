"""Who sent a request: the client address, whether it can be trusted, its Origin.

The address is resolved exactly as Reflex resolves it for event handlers
(``reflex/app.py`` ``_build_static_router_data`` with ``trusted_proxy_hops``),
so the sign-in route and the WebSocket handlers count the same address.
"""

from __future__ import annotations

from collections.abc import Mapping

from clawweb.settings import get_settings

# Headers a reverse proxy adds. Their presence while no hops are trusted means
# the peer address is probably the proxy's, shared by every user behind it.
PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def client_address(peer: str, headers: Mapping[str, str], hops: int) -> tuple[str, bool]:
    """The client's address and whether it is the client's own.

    Args:
        peer: The TCP peer of the connection.
        headers: Request headers, lower-case names.
        hops: Trusted reverse proxies that append to X-Forwarded-For.

    Returns:
        ``(address, trusted)``. ``trusted`` is False when no hops are configured
        but a proxy header is present: then the peer may be a proxy that many
        people share, and must not be locked out (see ``services.throttle``).
    """
    if hops:
        forwarded = [p.strip() for p in headers.get("x-forwarded-for", "").split(",")
                     if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops], True
        return peer, True
    return peer, not any(headers.get(name) for name in PROXY_HEADERS)


def request_address(peer: str, headers: Mapping[str, str]) -> tuple[str, bool]:
    """``client_address`` with the configured hops; notes a probably missing setting."""
    from clawweb.services.accounts import throttle

    hops = get_settings().trusted_proxy_hops
    address, trusted = client_address(peer, headers, hops)
    if not trusted:
        throttle.note_forwarded_header()
    return address, trusted


def same_origin(headers: Mapping[str, str]) -> bool:
    """True when the request's Origin is clawweb's own (CLAWWEB_PUBLIC_URL).

    Browsers send Origin on every POST, so a cross-site form or fetch aimed
    at a sign-in route is told apart from our own page's.
    """
    return headers.get("origin", "") == get_settings().origin
