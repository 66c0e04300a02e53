"""The multi-host test's namespaces never outlive it (tests/integration/netns.py).

No packet is sent here: the checks read iproute2's tables only.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.integration import netns
from tests.integration.fleet import wait_for
from tests.integration.netns import Hosts


def _namespaces() -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def test_hosts_have_only_their_own_subnet_and_go_away_whole():
    hosts = Hosts(["a", "b"])
    try:
        hosts.up()
        for name in ("a", "b"):
            routes = subprocess.run(["ip", "-n", hosts.ns(name), "route"], check=True,
                                    capture_output=True, text=True).stdout.split("\n")
            # No default route: nothing sent inside can leave the namespaces.
            assert [r.split()[0] for r in routes if r] == [f"{netns.SUBNET}.0/24"]
        sleeper = hosts.run("a", ["sleep", "300"])
        wait_for(lambda: hosts.pids("a"), 10, "the process inside host a")
    finally:
        hosts.down()
    assert sleeper.wait(10) != 0  # killed with its host
    assert hosts.leftovers() == []
    assert not [n for n in _namespaces() if n.startswith(hosts.prefix)]


def test_a_host_that_fails_to_come_up_leaves_nothing_behind():
    hosts = Hosts(["a", "b/c"])  # "b/c" is no valid namespace name: up() fails there
    with pytest.raises(subprocess.CalledProcessError):
        hosts.up()
    assert hosts.leftovers() == []
    assert not [n for n in _namespaces() if n.startswith(hosts.prefix)]


def test_namespaces_of_a_killed_run_are_swept_by_the_next():
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = f"cw{dead.pid}x00-w1"  # as a run with that (now gone) pid names them
    subprocess.run(["ip", "netns", "add", stale], check=True)
    sleeper = subprocess.Popen(["ip", "netns", "exec", stale, "sleep", "300"])
    hosts = Hosts(["a"])
    try:
        hosts.up()
        assert stale not in _namespaces()
        assert sleeper.wait(10) != 0  # killed with its namespace
    finally:
        hosts.down()
        if stale in _namespaces():
            netns._remove(stale)
        if sleeper.poll() is None:
            sleeper.kill()
