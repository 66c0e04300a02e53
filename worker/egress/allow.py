"""Allow-list matching for egress hosts.

Entries are host names (``pypi.org``), host:port (``registry.npmjs.org:443``),
a leading-dot suffix (``.pythonhosted.org`` matches any subdomain, not the
bare domain), or an IP literal (``10.0.0.5:3141``, ``[fd00::1]:80``). An entry
without a port admits ports 80 and 443 only. Matching is exact on the
normalised form that ``worker.egress.target`` produces: no wildcards in the
middle, no IP ranges, and a name never matches an address (or the other way
round), so an entry means exactly what it says. Unicode names are stored as
their IDNA A-labels, which is what a client puts on the wire.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import idna

from worker.egress.target import Authority, IPAddress, Refused, parse_authority

log = logging.getLogger(__name__)

DEFAULT_PORTS = frozenset({80, 443})


@dataclass(frozen=True)
class Entry:
    """One allow-list line, parsed."""

    host: str  # A-label name, suffix without its dot, or canonical IP text
    port: int | None = None  # None: 80 and 443
    suffix: bool = False
    ip: IPAddress | None = None

    def admits(self, authority: Authority) -> bool:
        ports = DEFAULT_PORTS if self.port is None else {self.port}
        if authority.port not in ports or (self.ip is None) != (authority.ip is None):
            return False
        if self.ip is not None:
            return self.ip == authority.ip
        if self.suffix:
            return authority.host.endswith("." + self.host)
        return authority.host == self.host


def parse_entry(text: str) -> Entry:
    """One allow-list entry; raises ``Refused("bad_entry")`` when it is not one."""
    text = text.strip()
    suffix = text.startswith(".")
    body = text[1:] if suffix else text
    try:
        # Port 0 cannot be written, so it marks "no port given".
        auth = parse_authority(_a_labels(body), default_port=0)
    except (Refused, idna.IDNAError, UnicodeError):
        raise Refused("bad_entry", detail=text[:200]) from None
    if suffix and auth.ip is not None:
        raise Refused("bad_entry", detail=text[:200])
    return Entry(auth.host, auth.port or None, suffix, auth.ip)


class AllowList:
    """A project's allow-list; bad entries are dropped (and logged), never widened."""

    def __init__(self, entries: Iterable[str]):
        self.entries: list[Entry] = []
        for text in entries:
            try:
                self.entries.append(parse_entry(text))
            except Refused:
                log.warning("egress: ignoring allow-list entry %r", str(text)[:200])

    def match(self, authority: Authority) -> Entry | None:
        """The entry that admits ``authority``, or None."""
        return next((e for e in self.entries if e.admits(authority)), None)


def host_allowed(hostport: str, allow_hosts: Iterable[str], default_port: int = 443) -> bool:
    """True when ``hostport`` (parsed strictly) matches one of ``allow_hosts``."""
    try:
        authority = parse_authority(hostport, default_port=default_port)
    except Refused:
        return False
    return AllowList(allow_hosts).match(authority) is not None


def _a_labels(text: str) -> str:
    """A Unicode host name as IDNA A-labels; ASCII text is left alone."""
    if text.isascii():
        return text
    host, sep, port = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
    return idna.encode(host, uts46=True).decode("ascii") + sep + port
