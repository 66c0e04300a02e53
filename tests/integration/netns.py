"""Hosts of our own for multi-host tests: network namespaces on one bridge.

``Hosts(["data", "w1", ...])`` makes one namespace per host plus a hub
namespace holding a bridge, and joins each host to it with a veth pair
(created straight inside the namespaces: nothing appears in the machine's own
namespace, which has no route to them). Addresses are 10.213.77.x/24 and exist
only inside these namespaces, so nothing a test sends can leave the machine.
``down()`` kills what still runs inside and deletes every namespace (their
veths go with them). Namespace names carry the pid of the test process that
made them (``cw<pid>x<hex>-<host>``), so ``up()`` first sweeps away what a
killed earlier run left behind (its pid is gone), and never what a live run
still uses.

A test's own sockets reach a host through :meth:`Hosts.inside`, which runs a
function in a thread that switched to that host's namespace (``setns``): a
socket keeps the namespace it was made in, whichever thread reads it later.
"""

from __future__ import annotations

import ctypes
import os
import re
import secrets
import shutil
import signal
import subprocess
import threading
import time

from tests.support.services import need

CLONE_NEWNET = 0x40000000
SUBNET = "10.213.77"
# cw<pid>x<hex>-<host>: veth names (prefix + "h0") stay within Linux's 15 characters.
OURS = re.compile(r"^(cw(\d+)x[0-9a-f]{2})-\S+")


def _ip(*args: str) -> str:
    return subprocess.run(["ip", *args], check=True, capture_output=True, text=True).stdout


def available() -> None:
    """Skip (locally) or fail (CI) without root and iproute2."""
    need(os.geteuid() == 0 and shutil.which("ip") is not None
         and shutil.which("unshare") is not None,
         "network namespaces (root, iproute2, util-linux)", "run ./scripts/test as root")


class Hosts:
    def __init__(self, names: list[str]):
        available()
        self.prefix = f"cw{os.getpid()}x{secrets.token_hex(1)}"
        self.names = list(names)
        self.hub = f"{self.prefix}-hub"
        self._made: list[str] = []

    def ns(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def addr(self, name: str) -> str:
        return f"{SUBNET}.{10 + self.names.index(name)}"

    def up(self) -> "Hosts":
        """Make every namespace and veth; on any failure, undo what was made."""
        sweep_stale()
        try:
            self._make()
        except BaseException:
            self.down()
            raise
        return self

    def _make(self) -> None:
        _ip("netns", "add", self.hub)
        self._made.append(self.hub)
        _ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.hub, "link", "set", "br0", "up")
        for i, name in enumerate(self.names):
            ns, here, there = self.ns(name), f"{self.prefix}h{i}", f"{self.prefix}b{i}"
            _ip("netns", "add", ns)
            self._made.append(ns)
            _ip("link", "add", "name", here, "netns", ns, "type", "veth",
                "peer", "name", there, "netns", self.hub)
            _ip("-n", self.hub, "link", "set", there, "master", "br0", "up")
            _ip("-n", ns, "addr", "add", f"{self.addr(name)}/24", "dev", here)
            _ip("-n", ns, "link", "set", here, "up")
            _ip("-n", ns, "link", "set", "lo", "up")

    def command(self, name: str, argv: list[str], hostname: str = "") -> list[str]:
        """``argv`` run on host ``name`` (with a UTS namespace of its own when
        ``hostname`` is given, so it also reports its own host name)."""
        if hostname:
            argv = ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"',
                    hostname, *argv]
        return ["ip", "netns", "exec", self.ns(name), *argv]

    def run(self, name: str, argv: list[str], hostname: str = "",
            **popen) -> subprocess.Popen:
        return subprocess.Popen(self.command(name, argv, hostname), **popen)

    def pids(self, name: str) -> list[int]:
        out = subprocess.run(["ip", "netns", "pids", self.ns(name)], capture_output=True,
                             text=True).stdout
        return [int(p) for p in out.split()]

    def crash(self, name: str) -> list[int]:
        """SIGKILL every process on host ``name`` (a power cut of that host)."""
        pids = self.pids(name)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while self.pids(name) and time.monotonic() < deadline:
            time.sleep(0.1)
        return pids

    def inside(self, name: str, fn, *args, timeout: float = 60):
        """``fn(*args)`` in a thread that lives in host ``name``'s network namespace."""
        box: dict = {}

        def run() -> None:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            fd = os.open(f"/run/netns/{self.ns(name)}", os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns failed")
            finally:
                os.close(fd)
            try:
                box["value"] = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                box["error"] = exc

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(timeout)
        if "error" in box:
            raise box["error"]
        if thread.is_alive():
            raise TimeoutError(f"{fn} on {name} took over {timeout}s")
        return box.get("value")

    def down(self) -> None:
        """Kill what runs inside, then delete every namespace (veths go with them)."""
        for ns in reversed(self._made):
            _remove(ns)
        self._made.clear()

    def leftovers(self) -> list[str]:
        """Namespaces and root-namespace links with our prefix that still exist."""
        netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
        return [line for line in (netns + links).splitlines() if self.prefix in line]


def _kill_inside(ns: str) -> None:
    out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
    for pid in out.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass


def _remove(ns: str) -> None:
    """Kill every process in namespace ``ns`` and delete it (its veth ends go too)."""
    deadline = time.monotonic() + 10
    _kill_inside(ns)
    while subprocess.run(["ip", "netns", "pids", ns], capture_output=True,
                         text=True).stdout.strip() and time.monotonic() < deadline:
        time.sleep(0.1)
        _kill_inside(ns)
    subprocess.run(["ip", "netns", "delete", ns], capture_output=True)


def sweep_stale() -> list[str]:
    """Delete namespaces an earlier, killed test run made (its pid is gone)."""
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    swept = []
    for line in listing.splitlines():
        match = OURS.match(line)
        if match and not _alive(int(match.group(2))):
            ns = line.split()[0]
            _remove(ns)
            swept.append(ns)
    return swept


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
