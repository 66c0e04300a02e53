"""Resolve an allowed target once, check the addresses, connect to one of them.

The allow-list names hosts, but a connection goes to an address, and DNS is
the attacker's to answer (a name can point at 127.0.0.1 or at a cloud metadata
address, or change its answer between a check and a connect). So the proxy
resolves exactly once, refuses addresses that are not public, and connects to
the address it checked: for CONNECT a TCP connection to that IP (the client's
TLS still carries the original name as SNI), for plain HTTP a request to that
IP with the original Host header.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

from worker.egress.target import Authority, IPAddress, Refused

# (host, port) -> IP addresses as text. Injectable so tests never touch DNS.
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    """getaddrinfo in the loop's thread pool; addresses in the order the OS gave them."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(info[4][0] for info in infos))


def is_public(ip: IPAddress) -> bool:
    """True for an address on the public internet (not loopback, private, link-local...)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return ip.is_global and not ip.is_multicast


def is_local(ip: IPAddress) -> bool:
    """True for an address that reaches this machine or its link (worker, metadata)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast


async def addresses_for(authority: Authority, *, resolver: Resolver, allow_private: bool,
                        timeout: float) -> list[str]:
    """The addresses to connect to for an allow-listed ``authority``.

    A listed IP literal is used as it is (the owner named that address), except
    that one on this machine or its link (the worker's own services, a cloud
    metadata endpoint) is refused. A name is resolved once, and only its public
    addresses are kept. ``allow_private`` lifts both rules: for tests, whose
    servers live on loopback.

    Raises:
        Refused: ``private_address`` or ``unresolvable``.
    """
    if authority.ip is not None:
        if is_local(authority.ip) and not allow_private:
            raise Refused("private_address", authority.host)
        return [authority.host]
    try:
        async with asyncio.timeout(timeout):
            answers = await resolver(authority.host, authority.port)
    except (OSError, TimeoutError, UnicodeError):
        raise Refused("unresolvable", authority.host) from None
    kept = [a for a in answers
            if (ip := _ip(a)) is not None and (allow_private or is_public(ip))]
    if not kept:
        raise Refused("private_address" if answers else "unresolvable", authority.host)
    return kept


async def open_tcp(addresses: list[str], port: int, *, timeout: float):
    """A TCP connection to the first of ``addresses`` that answers: (reader, writer)."""
    error: OSError | None = None
    for address in addresses:
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.open_connection(address, port, limit=1 << 16)
        except TimeoutError:
            error = OSError(f"connect to {address} timed out")
        except OSError as exc:
            error = exc
    raise error or OSError("no address to connect to")


def url_host(address: str) -> str:
    """An address as it goes in a URL: IPv6 in brackets."""
    return f"[{address}]" if ":" in address else address


def _ip(address: str) -> IPAddress | None:
    # getaddrinfo may append a scope ("fe80::1%eth0"); the scope is not the address.
    try:
        return ipaddress.ip_address(str(address).split("%", 1)[0])
    except ValueError:
        return None
