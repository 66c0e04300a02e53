"""Which hosts a mail, ntfy or webhook channel may send to.

The server connects to whatever host a member types, so a channel could point
at Redis on loopback, the database, or a cloud metadata address. Private,
loopback and link-local targets are refused unless an admin listed them in
``CLAWWEB_NOTIFY_PRIVATE_HOSTS`` (a mail relay on the LAN, say). Adding a
channel checks the host as typed, without DNS; sending resolves the name and
checks every address it has, so a public-looking name pointed at 127.0.0.1
is refused too. apprise resolves again when it connects, so a name that
changes its answer between the two lookups is the remaining gap (a name you
do not control can only reach hosts reachable anyway).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import parse_qs, urlsplit

from clawweb.services.errors import InvalidInput
from clawweb.settings import get_settings

REFUSED = "private address refused"
_DEFAULT_PORTS = {"json": 80, "jsons": 443, "ntfy": 80, "ntfys": 443, "mailto": 25,
                  "mailtos": 587}


def _listed(host: str, port: int | None) -> bool:
    entries = {e.strip().lower() for e in get_settings().notify_private_hosts.split(",")}
    spelled = f"[{host}]" if ":" in host else host
    return bool({host, spelled, f"{spelled}:{port}"} & (entries - {""}))


def _private_literal(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False


def check(host: str, port: int | None, field: str) -> None:
    """Refuse a private host as typed (no DNS), unless listed.

    Raises:
        InvalidInput: ``notify.channel.private_host``.
    """
    host = host.strip("[]").lower()
    if _private_literal(host) and not _listed(host, port):
        raise InvalidInput("notify.channel.private_host", field=field)


def _hosts(url: str) -> list[tuple[str, int | None]]:
    parts = urlsplit(url)
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    found = [(parts.hostname or "", port)]
    smtp = parse_qs(parts.query).get("smtp", [])
    return found + [(h, port) for h in smtp]


def _addresses(host: str, port: int | None) -> set[str]:
    try:
        return {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        return set()  # apprise will fail to connect and say so


def refusal(url: str) -> str:
    """Why a stored channel URL must not be sent to now ("" when it may).

    Only for URLs this server builds for mail, ntfy and webhook channels; the
    chat kinds always go to their platform's fixed public host.
    """
    if urlsplit(url).scheme not in _DEFAULT_PORTS:
        return ""
    for host, port in _hosts(url):
        host = host.strip("[]").lower()
        if _listed(host, port):
            continue
        if _private_literal(host) or any(_private_literal(a.split("%")[0])
                                         for a in _addresses(host, port)):
            return REFUSED
    return ""
