"""FakeSandbox: the scripted stand-in the engine's unit tests run against."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from worker.sandbox import BACKENDS, get_sandbox
from worker.sandbox.base import Chunk, SandboxError, SandboxSpec
from worker.sandbox.docker import DockerSandbox
from worker.sandbox.fake import KILLED_EXIT, FakeRun, FakeSandbox


def spec(**kwargs) -> SandboxSpec:
    return SandboxSpec(task_id=kwargs.pop("task_id", 1), argv=["bash", "-lc", "x"],
                       workdir=Path("/nonexistent"), **kwargs)


def test_backends_are_chosen_by_name():
    assert BACKENDS == {"docker": DockerSandbox, "fake": FakeSandbox}
    assert isinstance(get_sandbox("fake"), FakeSandbox)
    with pytest.raises(KeyError, match="nope"):
        get_sandbox("nope")


def test_default_handler_exits_zero_silently():
    handle = FakeSandbox().start(spec())
    assert list(handle.output()) == []
    assert handle.wait().exit_code == 0


def test_script_plays_chunks_in_order_with_exit_info():
    seen = []

    def handler(s: SandboxSpec) -> FakeRun:
        seen.append(s)
        return FakeRun(output=[("stdout", b"a\n"), 0.01, Chunk("stderr", b"b\n"),
                               ("stdout", b"\x1b[31mc\x1b[0m")], exit_code=2, oom_killed=True)

    sandbox = FakeSandbox(handler)
    handle = sandbox.start(spec(task_id=9))
    assert list(handle.output()) == [Chunk("stdout", b"a\n"), Chunk("stderr", b"b\n"),
                                     Chunk("stdout", b"\x1b[31mc\x1b[0m")]
    info = handle.wait()
    assert (info.exit_code, info.oom_killed) == (2, True)
    assert seen[0].task_id == 9 and sandbox.specs == seen and sandbox.handles == [handle]


def test_wait_does_not_need_anyone_reading_output():
    handle = FakeSandbox(lambda s: FakeRun(output=[("stdout", b"x")] * 100)).start(spec())
    assert handle.wait().exit_code == 0
    assert len(list(handle.output())) == 100


def test_kill_ends_a_hanging_run():
    handle = FakeSandbox(lambda s: FakeRun(output=[("stdout", b"ready")], hang=True)).start(spec())
    chunks = handle.output()
    assert next(chunks).data == b"ready"
    threading.Timer(0.05, handle.kill).start()
    assert list(chunks) == []
    assert handle.wait().exit_code == KILLED_EXIT
    assert handle.killed
    handle.kill()  # safe twice
    handle.remove()
    handle.remove()
    assert handle.removed


def test_kill_interrupts_a_long_delay_and_skips_the_rest():
    run = FakeRun(output=[("stdout", b"before"), 3600.0, ("stdout", b"after")])
    handle = FakeSandbox(lambda s: run).start(spec())
    chunks = handle.output()
    assert next(chunks).data == b"before"
    handle.kill()
    assert list(chunks) == []
    assert handle.wait().exit_code == KILLED_EXIT


def test_kill_after_exit_keeps_the_real_exit_code():
    handle = FakeSandbox(lambda s: FakeRun(exit_code=5)).start(spec())
    assert handle.wait().exit_code == 5
    handle.kill()
    assert handle.wait().exit_code == 5 and not handle.killed


def test_stdin_replies_and_close_ends_the_run():
    def on_stdin(data: bytes):
        return [("stdout", b"echo:" + data)]

    handle = FakeSandbox(lambda s: FakeRun(on_stdin=on_stdin, exit_code=0)).start(
        spec(stdin=True))
    chunks = handle.output()
    handle.write_stdin(b"hello")
    assert next(chunks).data == b"echo:hello"
    handle.close_stdin()
    assert list(chunks) == []
    assert handle.wait().exit_code == 0
    assert bytes(handle.stdin_data) == b"hello" and handle.stdin_closed
    with pytest.raises(BrokenPipeError):
        handle.write_stdin(b"late")


def test_handler_errors_simulate_a_backend_that_cannot_start():
    def handler(s):
        raise SandboxError("dockerd is down")

    with pytest.raises(SandboxError, match="dockerd is down"):
        FakeSandbox(handler).start(spec())


def test_remove_orphans_reports_dead_workers_only():
    sandbox = FakeSandbox()
    sandbox.orphans = {"dead": ["clawweb-task-1-aa"], "alive": ["clawweb-task-2-bb"]}
    assert sandbox.remove_orphans({"alive"}) == ["clawweb-task-1-aa"]
    assert sandbox.remove_orphans({"alive"}) == []
    assert sandbox.orphans == {"alive": ["clawweb-task-2-bb"]}
