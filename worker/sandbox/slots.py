"""Task containers started before their working copy exists, bound to it through a slot.

Most of a cold start is dockerd creating and starting the container. A *slot
container* is made with exactly the hardening of ``DockerSandbox`` (same host
config, ``--network none``, same limits), running only a small waiter that reads
the task's environment and argv from stdin and then ``exec``s it. The working
copy does not exist yet when the container starts, so ``/workspace`` is bound
from an empty *slot* directory on the host that is its own shared mount, with
``rslave`` propagation into the container. When a task takes the container, the
worker bind-mounts the task's working copy onto the slot; the mount propagates
into the container's ``/workspace`` (one way: the container cannot mount
anything, and ``rslave`` would not carry it back), the waiter ``cd``s into it
and runs the command.

What stays true: a container runs one task and is destroyed (``remove``); a
slot is used once and removed with it; nothing from the waiter survives the
``exec``; the working copy remains the only writable host mount. The warm pool
(``pool.py``) keeps such containers ready before any task.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from worker.sandbox.base import Limits, SandboxError, SandboxSpec
from worker.sandbox.docker import INIT_ENV, LABEL_TASK, RUNNER_UID, WORKSPACE, DockerSandbox
from worker.sandbox.docker_calls import force_remove, infrastructure
from worker.sandbox.docker_handle import DockerHandle
from worker.taskfs import mounts_under

log = logging.getLogger(__name__)

POOL_TASK_LABEL = "pool"
# Reads "<n>\0" then n "NAME=value\0", "<m>\0" then m argv words "\0", byte by
# byte (bash's read on a pipe never takes more than it needs, so an agent's
# stdin protocol that follows reaches the command intact). 111: a broken header.
WAITER = r"""
IFS= read -r -d '' n || exit 111
for ((i = 0; i < n; i++)); do IFS= read -r -d '' e || exit 111; export -- "$e"; done
IFS= read -r -d '' m || exit 111
args=()
for ((i = 0; i < m; i++)); do IFS= read -r -d '' a || exit 111; args+=("$a"); done
cd /workspace || exit 111
unset n m i e a
exec "${args[@]}"
"""


def header(env: dict[str, str], argv: list[str]) -> bytes:
    """What the waiter reads: the task's environment and argv, NUL-separated."""
    if not argv:
        raise SandboxError("a task needs a command")
    fields = [str(len(env)), *(f"{k}={v}" for k, v in env.items()), str(len(argv)), *argv]
    if any("\0" in f for f in fields):
        raise SandboxError("NUL in a task's environment or argv")
    return b"".join(f.encode() + b"\0" for f in fields)


def _mount(*args: str) -> None:
    proc = subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)
    if proc.returncode:
        raise SandboxError(f"mount {' '.join(args)}: {proc.stderr.strip()[:300]}")


def _umount_all(path: Path) -> None:
    """Unmount every mount stacked on ``path`` (the working copy, then the slot)."""
    for _ in range(8):
        proc = subprocess.run(["umount", str(path)], capture_output=True, text=True,
                              timeout=30)
        if proc.returncode:
            return  # nothing (more) mounted there
    raise SandboxError(f"cannot unmount pool slot {path}")


@dataclass
class _Warm:
    cid: str
    name: str
    sock: socket.socket
    slot: Path                  # bound at /workspace
    limits: Limits
    # Further mount targets (an agent's bridge socket and session folder), each
    # bound from a slot of its own: {container path: slot}.
    extra: dict[str, Path] = field(default_factory=dict)

    def slots(self) -> list[Path]:
        return [self.slot, *self.extra.values()]


class PooledHandle(DockerHandle):
    """A pool container running one task; ``remove`` also removes its slot."""

    def __init__(self, warm: _Warm, api):
        super().__init__(api, warm.cid, warm.name, warm.sock)
        self.slot = warm.slot
        self._slots = warm.slots()

    def remove(self) -> None:
        super().remove()
        # The container is gone, so nothing holds the slots: take the working
        # copy off them (host code reads it next) and drop them for good.
        _drop_slots(self._slots)


def targets_of(spec: SandboxSpec) -> tuple[str, ...]:
    """The container paths of ``spec``'s extra mounts, in a fixed order."""
    return tuple(sorted(spec.extra_mounts.values()))


def _plain_dir(path: Path, what: str) -> Path:
    """``path`` if it is the very directory it names (mount(8) follows symlinks)."""
    path = Path(path).absolute()
    if path.is_symlink() or path.resolve() != path or not path.is_dir():
        raise SandboxError(f"{what} {path} is not a plain directory")
    return path


def _new_slot(path: Path) -> None:
    path.mkdir(parents=True)
    # Its own peer group: mounts on it reach only the container's copy.
    _mount("--bind", str(path), str(path))
    _mount("--make-private", str(path))
    _mount("--make-shared", str(path))


def _drop_slots(slots: list[Path]) -> None:
    for slot in slots:
        _umount_all(slot)
        # Never delete through a mount: a working copy still bound here would go
        # with the slot before the host saved the work.
        if mounts_under(slot):
            raise SandboxError(f"pool slot {slot} is still mounted")
        shutil.rmtree(slot, ignore_errors=True)


class SlotSandbox(DockerSandbox):
    """``DockerSandbox`` that can make slot containers and hand them to a task.

    Args:
        slots_dir: host directory for the slots (under the data dir in production);
            each worker's slots are in a folder named for it.
        **kwargs: as for ``DockerSandbox``.
    """

    def __init__(self, *, slots_dir: Path, **kwargs):
        super().__init__(**kwargs)
        self.slots_dir = slots_dir / self.worker_name

    def claim(self, limits: Limits, targets: tuple[str, ...], *, task_id: int = 0,
              labels: dict[str, str] | None = None) -> _Warm:
        """A started slot container for a spec of ``limits`` and mount ``targets``."""
        return self._make(limits, targets, task_id=task_id, labels=labels)

    @staticmethod
    def fits(warm: _Warm, spec: SandboxSpec) -> bool:
        """Whether ``warm`` was made for ``spec``'s limits and mount targets."""
        return warm.limits == spec.limits and set(warm.extra) == set(spec.extra_mounts.values())

    def _hand_over(self, warm: _Warm, spec: SandboxSpec) -> PooledHandle:
        if not self.fits(warm, spec):
            raise SandboxError("a slot container of another shape")
        # Every source checked before the first bind: nothing half-bound.
        binds = [(_plain_dir(spec.workdir, "working copy"), warm.slot)]
        binds += [(_plain_dir(Path(source), "mount source"), warm.extra[target])
                  for source, target in spec.extra_mounts.items()]
        for source, slot in binds:
            _mount("--bind", str(source), str(slot))
        handle = PooledHandle(warm, self.api)
        try:
            warm.sock.sendall(header(spec.env, spec.argv))
        except OSError as exc:
            raise SandboxError(f"the warm container is gone: {exc}") from exc
        if not spec.stdin:
            handle.close_stdin()  # the command reads EOF, as without stdin
        return handle

    def _make(self, limits: Limits, targets: tuple[str, ...] = (), *, task_id: int = 0,
              labels: dict[str, str] | None = None) -> _Warm:
        """A started slot container: for the pool (``task_id`` 0) or for one task."""
        slot = self.slots_dir / secrets.token_hex(8)
        extra = {target: slot.with_name(f"{slot.name}-{i}")
                 for i, target in enumerate(targets, 1)}
        name = f"clawweb-task-{task_id}-{slot.name}" if task_id else f"clawweb-pool-{slot.name}"
        warm = _Warm("", name, None, slot, limits, extra)
        cid = sock = None
        try:
            for path in warm.slots():
                _new_slot(path)
            spec = SandboxSpec(task_id=task_id, argv=[], workdir=slot, limits=limits,
                               labels=dict(labels or {}),
                               extra_mounts={str(p): t for t, p in extra.items()})
            host_config = self._host_config(spec)
            for mount in host_config["Mounts"]:
                mount["BindOptions"] = {"Propagation": "rslave"}
            labels = self._labels(spec)
            if not task_id:
                labels[LABEL_TASK] = POOL_TASK_LABEL
            with infrastructure("cannot create a warm container"):
                cid = self.api.create_container(
                    self.image, ["bash", "-c", WAITER], name=name, user=RUNNER_UID,
                    working_dir=WORKSPACE, environment=dict(INIT_ENV), labels=labels,
                    hostname="sandbox", stdin_open=True, tty=False, network_disabled=True,
                    use_config_proxy=False, host_config=host_config)["Id"]
                sock = self._attach(cid, True)
                self.api.start(cid)
            warm.cid, warm.sock = cid, sock
            return warm
        except BaseException:
            if sock is not None:
                sock.close()
            warm.cid = cid or ""
            self._destroy(warm)
            raise

    def _destroy(self, warm: _Warm) -> None:
        try:
            if warm.sock is not None:
                warm.sock.close()
            if warm.cid:
                with infrastructure("cannot remove a warm container"):
                    force_remove(self.api, warm.cid)
            _drop_slots(warm.slots())
        except SandboxError:
            log.exception("could not remove warm container %s", warm.name)

    def remove_orphans(self, alive_worker_names) -> list[str]:
        removed = super().remove_orphans(alive_worker_names)
        # Slots of dead workers (their containers went just above).
        for worker_dir in self.slots_dir.parent.glob("*"):
            if worker_dir.is_dir() and worker_dir.name not in alive_worker_names:
                for slot in worker_dir.iterdir():
                    _umount_all(slot)
                # As in _drop_slots: never delete through a mount that would not go.
                if mounts_under(worker_dir):
                    log.warning("slots of %s are still mounted; left in place", worker_dir)
                    continue
                shutil.rmtree(worker_dir, ignore_errors=True)
        return removed
