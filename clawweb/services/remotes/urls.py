"""A project's remote URL, parsed once and strictly.

Accepted: ``https://host/path``, ``ssh://[user@]host[:port]/path`` and the
scp-like ``user@host:path``; ``http://`` only for hosts the operator listed in
``CLAWWEB_REMOTE_PRIVATE_HOSTS``. Never credentials in the URL (the token has
its own, encrypted field), never a local path, ``file://``, ``git://`` or a
``transport::`` address (``ext::`` runs commands). The host must be public
unless listed: a project owner is not trusted with the server's own network.
A name is checked again when it is resolved (:func:`resolve_checked`), and git
is then pinned to the addresses that passed.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from clawweb.services.remotes.errors import RemoteError
from clawweb.settings import get_settings

DEFAULT_PORTS = {"https": 443, "http": 80, "ssh": 22}
MAX_URL = 2000
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}"
                   r"[a-z0-9])?$")
_USER = re.compile(r"^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$")
# user@host:path, where no "/" comes before the ":" (git's own rule).
_SCP = re.compile(r"^(?:(?P<user>[^@/:]+)@)?(?P<host>\[[^\]/]+\]|[^@/:\[\]]+):(?P<path>.*)$")


@dataclass(frozen=True)
class RemoteURL:
    raw: str  # what the user typed (validated), what git is given
    scheme: str  # https | http | ssh
    host: str  # lower case; IPv6 without brackets
    port: int
    user: str  # ssh login ("" for http)
    path: str

    @property
    def is_ssh(self) -> bool:
        return self.scheme == "ssh"

    @property
    def host_key_alias(self) -> str:
        """How known_hosts names this host (OpenSSH's own spelling)."""
        host = self.host
        return host if self.port == 22 else f"[{host}]:{self.port}"

    @property
    def repo_path(self) -> str:
        """``owner/name`` (GitLab: ``group/sub/name``) for a forge's API."""
        path = self.path.strip("/")
        path = path[2:] if path.startswith("~/") else path
        return path.removesuffix(".git").strip("/")

    @property
    def web_host(self) -> str:
        """``host`` or ``host:port`` of the forge's web site (https, or http for listed)."""
        default = DEFAULT_PORTS.get(self.scheme)
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.is_ssh or self.port == default else f"{host}:{self.port}"


def _listed() -> set[str]:
    entries = set()
    for item in get_settings().remote_private_hosts.split(","):
        item = item.strip().lower()
        if item:
            entries.add(item)
    return entries


def _is_listed(host: str, port: int) -> bool:
    listed = _listed()
    spelled = f"[{host}]" if ":" in host else host
    return bool({host, spelled, f"{spelled}:{port}"} & listed)


def _public_ip(addr: str) -> bool:
    try:
        return ipaddress.ip_address(addr).is_global
    except ValueError:
        return False


def _check_host(host: str, port: int) -> str:
    host = host.strip("[]").lower()
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is None and (not _HOST.match(host) or host.startswith("-")):
        raise RemoteError("remotes.url_invalid")
    if _is_listed(host, port):
        return host
    if host == "localhost" or host.endswith(".localhost") or (ip is not None
                                                              and not ip.is_global):
        raise RemoteError("remotes.url_not_public")
    return host


def _check_path(path: str) -> str:
    if not path or path.lstrip("/").startswith("-") or ".." in path.split("/"):
        raise RemoteError("remotes.url_invalid")
    return path


def _parse_ssh_scp(url: str) -> RemoteURL:
    m = _SCP.match(url)
    if not m:
        raise RemoteError("remotes.url_invalid")
    user = m.group("user") or ""
    if user and not _USER.match(user):
        raise RemoteError("remotes.url_invalid")
    host = _check_host(m.group("host"), 22)
    return RemoteURL(url, "ssh", host, 22, user, _check_path(m.group("path")))


def _parse_hierarchical(url: str, schemes=tuple(DEFAULT_PORTS), need_path=True) -> RemoteURL:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        raise RemoteError("remotes.url_unsupported")
    if parts.password is not None or (scheme != "ssh" and parts.username is not None):
        raise RemoteError("remotes.url_credentials")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise RemoteError("remotes.url_invalid") from None
    if not parts.hostname or parts.query or parts.fragment:
        raise RemoteError("remotes.url_invalid")
    user = parts.username or ""
    if user and not _USER.match(user):
        raise RemoteError("remotes.url_invalid")
    host = _check_host(parts.hostname, port)
    if scheme == "http" and not _is_listed(host, port):
        raise RemoteError("remotes.url_http_not_allowed")
    path = _check_path(parts.path) if need_path or parts.path.strip("/") else parts.path
    return RemoteURL(url, scheme, host, port, user, path)


def parse(url: str) -> RemoteURL:
    """Validate a remote URL.

    Raises:
        RemoteError: ``remotes.url_invalid``, ``remotes.url_unsupported``,
            ``remotes.url_credentials``, ``remotes.url_http_not_allowed`` or
            ``remotes.url_not_public``.
    """
    url = (url or "").strip()
    if (not url or len(url) > MAX_URL or url.startswith("-")
            or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url)):
        raise RemoteError("remotes.url_invalid")
    head = url.split("/", 1)[0]
    if "::" in head:
        raise RemoteError("remotes.url_invalid")  # transport::address runs helpers
    if url.startswith("/") or url.lower().startswith("file:"):
        raise RemoteError("remotes.url_unsupported")
    if "://" in url:
        return _parse_hierarchical(url)
    if ":" in head:
        return _parse_ssh_scp(url)
    raise RemoteError("remotes.url_invalid")


def parse_web(url: str) -> RemoteURL:
    """Validate a forge API or web URL (https, or http for a listed host); path optional.

    Raises:
        RemoteError: as :func:`parse`.
    """
    url = (url or "").strip().rstrip("/")
    if (not url or len(url) > MAX_URL
            or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url)):
        raise RemoteError("remotes.url_invalid")
    return _parse_hierarchical(url, schemes=("https", "http"), need_path=False)


def resolve_checked(url: RemoteURL) -> list[str]:
    """The addresses to connect to, each checked like the host was.

    A public name that resolves to a loopback or private address (DNS
    rebinding) is refused unless the name itself is listed.

    Raises:
        RemoteError: ``remotes.url_not_public`` or ``remotes.unreachable``.
    """
    try:
        ipaddress.ip_address(url.host)
        return [url.host]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(url.host, url.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise RemoteError("remotes.unreachable", detail=str(exc)) from None
    addrs = sorted({info[4][0] for info in infos})
    if not addrs:
        raise RemoteError("remotes.unreachable")
    if not _is_listed(url.host, url.port) and not all(
            _public_ip(a) or _is_listed(a, url.port) for a in addrs):
        raise RemoteError("remotes.url_not_public")
    return addrs
