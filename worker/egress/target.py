"""One strict parser for every egress target: Host header, absolute-form URL, CONNECT.

Whatever the container sends is hostile, and every URL parser reads odd input
its own way (``http://pypi.org:1@evil.test/`` is pypi.org to a naive split and
evil.test to an HTTP client). So this parser does not try to understand odd
input: it accepts one plain shape and refuses everything else. An authority
is a lowercase LDH host name (A-labels only; one trailing dot dropped) or a
canonical IP literal, and an optional decimal port. No userinfo, no percent
escapes, no backslashes, no Unicode, no numeric host names that an OS would
read as an address (``2130706433``, ``0x7f.1``, ``127.1``).

The property tests in tests/worker/test_egress_target.py hold this parser
against httpx's own: whatever we accept, httpx would connect to the same host.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)\Z")
_PORT = re.compile(r"[1-9][0-9]{0,4}\Z")
_AUTHORITY_CHARS = re.compile(r"[A-Za-z0-9.:\[\]-]*\Z")
# What may follow the authority in a request target: printable ASCII without
# a backslash or a fragment (neither belongs on the wire).
_PATH_CHARS = re.compile(r"[\x21-\x7e]*\Z")


class Refused(Exception):
    """The proxy will not forward this request; ``reason`` is a short code for events."""

    def __init__(self, reason: str, host: str = "", detail: str = ""):
        super().__init__(f"{reason}: {detail or host}")
        self.reason, self.host, self.detail = reason, host, detail


@dataclass(frozen=True)
class Authority:
    """Where a request goes: a normalised host and a port."""

    host: str  # lowercase A-label name, or an IP literal in canonical text (no brackets)
    port: int
    ip: IPAddress | None = None

    def __str__(self) -> str:
        host = f"[{self.host}]" if self.ip is not None and self.ip.version == 6 else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class Target:
    """A parsed request: its form, its authority and (not for CONNECT) its path."""

    form: str  # "origin" | "absolute" | "connect"
    authority: Authority
    path: str = ""  # path and query, e.g. "/v1/messages?beta=true"


def parse_authority(text: str, *, default_port: int | None) -> Authority:
    """``host[:port]`` as a strict Authority.

    Args:
        text: the authority as it came in (Host header, CONNECT target, URL part).
        default_port: the port when none is given; None means a port is required.

    Raises:
        Refused: ``bad_target`` for anything but the one plain shape.
    """
    if not _AUTHORITY_CHARS.match(text):
        raise Refused("bad_target", detail=_show(text))
    host_text, port_text = _split_port(text)
    if port_text is None:
        if default_port is None:
            raise Refused("bad_target", detail=_show(text))
        port = default_port
    elif _PORT.match(port_text) and int(port_text) <= 65535:
        port = int(port_text)
    else:
        raise Refused("bad_target", detail=_show(text))
    if host_text.startswith("["):
        ip = _ipv6(host_text, text)
        return Authority(str(ip), port, ip)
    host, ip = _host(host_text, text)
    return Authority(host, port, ip)


def parse_target(method: str, target: str, host_headers: list[str]) -> Target:
    """The request line's target, checked against its Host header(s).

    Origin-form (``/path``) takes its authority from the one Host header;
    absolute-form (``http://host/path``) and CONNECT (``host:port``) carry
    their own, and a Host header, when sent, must name the same place.

    Raises:
        Refused: ``bad_target`` for a malformed target, ``host_mismatch`` when
            the Host header points somewhere else.
    """
    if len(host_headers) > 1:
        raise Refused("bad_target", detail="more than one Host header")
    if method == "CONNECT":
        authority = parse_authority(target, default_port=None)
        _same_host(authority, host_headers, default_port=443)
        return Target("connect", authority)
    if target.startswith("/"):
        path = _path(target, target)
        if not host_headers:
            raise Refused("bad_target", detail="no Host header")
        return Target("origin", parse_authority(host_headers[0], default_port=80), path)
    if target[:7].lower() != "http://":
        raise Refused("bad_target", detail=_show(target))
    rest = target[7:]
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority = parse_authority(rest[:cut], default_port=80)
    path = rest[cut:]
    path = _path("/" + path if path.startswith("?") or not path else path, target)
    _same_host(authority, host_headers, default_port=80)
    return Target("absolute", authority, path)


def _split_port(text: str) -> tuple[str, str | None]:
    if text.startswith("["):
        host, sep, rest = text.partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise Refused("bad_target", detail=_show(text))
        return host + "]", (rest[1:] if rest else None)
    if text.count(":") > 1:
        raise Refused("bad_target", detail=_show(text))
    host, sep, port = text.partition(":")
    return host, (port if sep else None)


def _ipv6(host_text: str, text: str) -> ipaddress.IPv6Address:
    try:
        return ipaddress.IPv6Address(host_text[1:-1])
    except ValueError:
        raise Refused("bad_target", detail=_show(text)) from None


def _host(host_text: str, text: str) -> tuple[str, IPAddress | None]:
    host = host_text.lower()
    if host.endswith("."):
        host = host[:-1]
    labels = host.split(".")
    if not host or len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise Refused("bad_target", detail=_show(text))
    if _NUMERIC_LABEL.match(labels[-1]):
        # Only a canonical dotted quad: inet_aton reads "127.1" or "0x7f.1"
        # as addresses, and no top-level domain is numeric.
        try:
            ip = ipaddress.IPv4Address(host)
        except ValueError:
            raise Refused("bad_target", detail=_show(text)) from None
        if str(ip) != host:
            raise Refused("bad_target", detail=_show(text))
        return host, ip
    return host, None


def _path(path: str, target: str) -> str:
    if not _PATH_CHARS.match(path) or "\\" in path or "#" in path or path.startswith("//"):
        raise Refused("bad_target", detail=_show(target))
    return path


def _same_host(authority: Authority, host_headers: list[str], *, default_port: int) -> None:
    if not host_headers:
        return
    try:
        claimed = parse_authority(host_headers[0], default_port=default_port)
    except Refused:
        raise Refused("host_mismatch", authority.host, _show(host_headers[0])) from None
    if (claimed.host, claimed.port) != (authority.host, authority.port):
        raise Refused("host_mismatch", authority.host, _show(host_headers[0]))


def _show(text: str) -> str:
    """Hostile text made safe and short for a log line or an event."""
    return text.encode("ascii", "backslashreplace").decode()[:200]
