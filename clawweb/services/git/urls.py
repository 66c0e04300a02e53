"""Which clone sources are allowed, and pinning an https host to checked addresses.

A clone source comes from a user: only public ``https://`` URLs, ``file://``
URLs and absolute local paths pass, and a name is resolved once, here, and
handed to curl, so it cannot re-resolve to an address inside our network.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from clawweb.services.git.runner import GitError


_AUTH = re.compile(
    r"Authentication failed|could not read (Username|Password)|terminal prompts disabled"
    r"|returned error: (401|403)|HTTP Basic: Access denied|Invalid username or password",
    re.I)
_UNREACHABLE = re.compile(
    r"Could not resolve host|Failed to connect|Connection refused|Connection timed out"
    r"|Network is unreachable|No route to host|Operation timed out|SSL|TLS"
    r"|Couldn't connect|Connection reset|Empty reply from server|unable to access",
    re.I)
_NOT_A_REPO = re.compile(
    r"does not appear to be a git repository|not a git repository|does not exist"
    r"|not found|returned error: 404|not valid: is this a git repository"
    r"|dubious ownership|Could not read from remote repository",
    re.I)


def classify_clone_error(stderr: str) -> str:
    """Map git's stderr from a clone/fetch to a message key (order matters)."""
    for pattern, key in ((_AUTH, "git.auth_required"), (_NOT_A_REPO, "git.not_a_repo"),
                         (_UNREACHABLE, "git.unreachable")):
        if pattern.search(stderr or ""):
            return key
    return "git.clone_failed"


def _public_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in ("localhost", "") or host.endswith(".localhost"):
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return True  # a name; we do not resolve it here


def check_url(url: str) -> str:
    """Validate a clone source; return it normalised.

    Accepts public ``https://`` URLs, ``file://`` URLs and absolute local paths.

    Raises:
        GitError: ``git.url_invalid``, ``git.url_unsupported``,
            ``git.url_credentials`` or ``git.url_not_public``.
    """
    url = (url or "").strip()
    if not url or url.startswith("-") or any(c.isspace() or ord(c) < 32 for c in url):
        raise GitError("git.url_invalid")
    if url.startswith("/"):
        return url
    # "transport::address" (ext::, fd::) runs commands; scp-like "host:path" is ssh.
    if "::" in url.split("/", 1)[0] or re.match(r"^[^/:]+:(?!//)", url):
        raise GitError("git.url_unsupported")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise GitError("git.url_invalid")
        return url
    if scheme != "https":
        raise GitError("git.url_unsupported" if scheme else "git.url_invalid")
    if not parts.hostname:
        raise GitError("git.url_invalid")
    if parts.username or parts.password:
        raise GitError("git.url_credentials")
    if not _public_host(parts.hostname):
        raise GitError("git.url_not_public")
    return url


def pin_public_host(url: str) -> list[str]:
    """git options that pin an https URL's host to addresses checked to be public.

    Resolving here and handing curl the result (``http.curloptResolve``) means a
    name that resolves, or re-resolves, to a loopback or private address cannot
    make the server fetch from inside its own network; redirects are refused
    for the same reason. Other URLs need no options.

    Raises:
        GitError: ``git.url_not_public`` or ``git.unreachable`` (name unknown).
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        return []
    port = parts.port or 443
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise GitError("git.unreachable", stderr=str(exc)) from None
    addrs = sorted({info[4][0] for info in infos})
    if not addrs or not all(_public_host(a) for a in addrs):
        raise GitError("git.url_not_public")
    pinned = ",".join(f"[{a}]" if ":" in a else a for a in addrs)
    return ["-c", f"http.curloptResolve={parts.hostname}:{port}:{pinned}",
            "-c", "http.followRedirects=false"]
