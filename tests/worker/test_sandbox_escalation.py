"""Privilege escalation from inside a task's container (RELIABILITY.md: setuid copy,
``sudo``, ``mount``, ``unshare -r``), on a real dockerd with the real runner image.

Every attempt prints what it tried and how it failed, so a probe that did not
run (a missing binary, a typo) fails the test instead of passing it.
"""

from __future__ import annotations

import os

import pytest

from tests.support.services import need
from tests.worker.sandbox_support import (  # noqa: F401  (fixtures)
    SANDBOX_KINDS, run, sandbox_of_kind, small, workdir,
)


@pytest.fixture(params=SANDBOX_KINDS)
def docker_sandbox(request, tmp_path):
    """Every promise here holds for a cold start and for a warm pool's container."""
    yield from sandbox_of_kind(request.param, tmp_path)


# Each attempt prints what it tried, its exit status and its error, so the test
# can tell "refused" from "not there" or "never ran".
ESCALATION = r"""
echo PROBE_RAN
echo UID:$(id -u)
grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status
try() {
  name=$1; shift
  out=$("$@" 2>&1 </dev/null); rc=$?
  echo "TRIED:$name:$rc:$(printf %s "$out" | tr '\n' ' ' | cut -c1-160)"
  [ $rc -eq 0 ] && echo "ESCALATED:$name"
}
for c in sudo su mount unshare nsenter setpriv capsh; do echo "HAVE:$c:$(command -v $c)"; done
try sudo sudo -n true
try su su -c true root
try mount mount -t tmpfs none /tmp
try unshare unshare -r true
try unshare-net unshare -r -n true
try unshare-mount unshare -m true
try nsenter nsenter -t 1 -m -u -n true
try setpriv setpriv --reuid=0 --regid=0 --clear-groups true
echo DONE
"""


def test_non_root_without_capabilities_or_escalation(docker_sandbox, workdir):
    result = run(docker_sandbox, workdir, ESCALATION, limits=small())
    out = result.out
    assert "PROBE_RAN" in out and "DONE" in out, result.err
    assert "UID:1000" in out
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert f"{cap}:\t0000000000000000" in out, out
    assert "NoNewPrivs:\t1" in out
    assert "Seccomp:\t2" in out  # a seccomp filter is on (never unconfined)
    tried = {line.split(":")[1]: line for line in out.splitlines() if line.startswith("TRIED:")}
    assert set(tried) == {"sudo", "su", "mount", "unshare", "unshare-net", "unshare-mount",
                          "nsenter", "setpriv"}
    have = dict(line.split(":", 2)[1:] for line in out.splitlines() if line.startswith("HAVE:"))
    assert have["sudo"] == ""  # not in the image: nothing to escalate through
    assert tried["sudo"].startswith("TRIED:sudo:127:")
    # The rest exist in the image, ran, and were refused for lack of privilege.
    refusal = {"su": "Authentication failure", "mount": "must be superuser",
               "unshare": "Operation not permitted", "unshare-net": "Operation not permitted",
               "unshare-mount": "Operation not permitted", "nsenter": "Operation not permitted",
               "setpriv": "Operation not permitted"}
    for name, reason in refusal.items():
        assert have[name.split("-")[0]], f"{name} is not in the image: the probe would be vacuous"
        # The reason proves it ran (setpriv exits 127 for a refused setresuid).
        assert int(tried[name].split(":")[2]) != 0 and reason in tried[name], tried[name]
    assert "ESCALATED" not in out


def test_setuid_copies_do_not_escalate(docker_sandbox, workdir):
    """A setuid-root binary planted in the working copy, and a setuid copy made
    inside, both run with the runner's uid."""
    prepare = r"""
    cp /usr/bin/id /workspace/suid-id && echo COPIED
    cp /bin/bash /tmp/b && chmod u+s /tmp/b && echo "TMP_MODE:$(stat -c %a:%u /tmp/b)"
    echo "TMP_EUID:$(/tmp/b -p -c 'id -u')"
    awk '$5 == "/tmp" || $5 == "/workspace" {print "MOUNT:" $5 ":" $6}' /proc/self/mountinfo
    """
    first = run(docker_sandbox, workdir, prepare, limits=small())
    assert "COPIED" in first.out, first.err
    assert "TMP_MODE:4755:1000" in first.out  # the bit is set, on a file the runner owns
    assert "TMP_EUID:1000" in first.out
    mounts = dict(line.split(":")[1:] for line in first.out.splitlines()
                  if line.startswith("MOUNT:"))
    assert "nosuid" in mounts["/tmp"].split(",")
    planted = workdir / "suid-id"
    need(os.geteuid() == 0, "root", "run the sandbox tests as root: this one plants a "
         "setuid-root file, as a hostile working copy could hold one")
    # As a hostile working copy could hold it: owned by root, setuid.
    os.chown(planted, 0, 0)
    planted.chmod(0o4755)
    try:
        probe = r"""
        echo "WS_MODE:$(stat -c %a:%u /workspace/suid-id)"
        echo "EUID:$(/workspace/suid-id -u)"
        echo "RUID:$(/workspace/suid-id -ru)"
        """
        second = run(docker_sandbox, workdir, probe, limits=small())
    finally:
        planted.unlink()
    out = second.out
    assert "WS_MODE:4755:0" in out, second.err  # inside, it really is setuid root
    assert "EUID:1000" in out and "RUID:1000" in out, out
