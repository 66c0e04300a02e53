"""Allow-list matching for egress hosts.

Entries are host names (``pypi.org``), host:port (``registry.npmjs.org:443``)
or a leading-dot suffix (``.pythonhosted.org`` matches any subdomain, not the
bare domain). Matching is exact and case-insensitive: no wildcards in the
middle, no IP ranges, so an entry means exactly what it says.
"""

from __future__ import annotations


def split_host_port(hostport: str, default_port: int = 80) -> tuple[str, int]:
    """``"[::1]:8080"`` -> ("::1", 8080); ``"example.org"`` -> ("example.org", default)."""
    hostport = hostport.strip()
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif hostport.count(":") == 1:
        host, _, port = hostport.partition(":")
    else:
        host, port = hostport, ""
    try:
        return host.lower().rstrip("."), int(port) if port else default_port
    except ValueError:
        return host.lower().rstrip("."), default_port


def host_allowed(hostport: str, allow_hosts: list[str]) -> bool:
    """True when ``hostport`` matches one of ``allow_hosts``."""
    host, port = split_host_port(hostport, default_port=0)
    for entry in allow_hosts:
        e_host, e_port = split_host_port(entry, default_port=0)
        if e_port and port and e_port != port:
            continue
        if e_host.startswith("."):
            if host.endswith(e_host) and host != e_host[1:]:
                return True
        elif host == e_host and host:
            return True
    return False
