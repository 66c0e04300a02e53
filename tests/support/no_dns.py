"""For tests that use real-looking names: no name is looked up, so nothing can dial it.

``refuse_dns(monkeypatch)`` replaces ``socket.getaddrinfo`` in this process
with one that answers IP literals as the real one does (numerically, no
lookup: the tests' own Redis and servers on loopback keep working) and, for a
name, records it and fails as an unknown name does. Code that would resolve a
name and then connect to it (a clone, a fetch, a forge API call) fails closed
instead. The test asserts the returned list stays empty: a name asked means a
check before it let the name through.

Only this process: a subprocess (git itself) resolves on its own, which is why
the code under test pins addresses it resolved here before git runs.
"""

from __future__ import annotations

import ipaddress
import socket


def refuse_dns(monkeypatch) -> list[str]:
    """Patch ``socket.getaddrinfo``; returns the names it was asked (keep it empty)."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        text = host.decode() if isinstance(host, bytes) else str(host or "")
        try:
            ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
        except ValueError:
            asked.append(text)
            raise socket.gaierror(socket.EAI_NONAME, f"test: no DNS for {text!r}") from None
        return real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked
