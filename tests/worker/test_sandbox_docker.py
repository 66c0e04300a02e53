"""DockerSandbox behaviour: streaming, stdin, exit info, container settings, cleanup."""

from __future__ import annotations

import struct

import pytest
from docker.errors import NotFound

from tests.worker.sandbox_support import (  # noqa: F401  (fixtures)
    assert_sigint_ends_the_group, collect, docker_sandbox, run, small, spec, workdir,
)
from worker.sandbox.base import Chunk, Limits, SandboxError, SandboxSpec
from worker.sandbox.docker import DockerSandbox
from worker.sandbox.docker_handle import READ_SIZE, demux


def frame(stream_id: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream_id, len(payload)) + payload


def feed(pieces: list[bytes]):
    items = iter(pieces)
    return lambda n: next(items, b"")


def joined(chunks: list[Chunk]) -> dict[str, bytes]:
    out = {"stdout": b"", "stderr": b""}
    for c in chunks:
        out[c.stream] += c.data
    return out


def test_demux_survives_any_split_of_the_stream():
    wire = frame(1, b"out one\n") + frame(2, b"\x1b[31merr\x1b[0m\n") + frame(1, b"") \
        + frame(1, b"out two")
    for cut in range(1, len(wire)):
        chunks = list(demux(feed([wire[:cut], wire[cut:]])))
        assert joined(chunks) == {"stdout": b"out one\nout two",
                                  "stderr": b"\x1b[31merr\x1b[0m\n"}, cut
    one_byte = list(demux(feed([bytes([b]) for b in wire])))
    assert joined(one_byte)["stderr"] == b"\x1b[31merr\x1b[0m\n"


def test_demux_joins_frames_of_a_stream_within_one_read():
    wire = frame(1, b"a\n") + frame(1, b"b\n") + frame(2, b"c\n") + frame(1, b"d\n")
    assert list(demux(feed([wire]))) == [
        Chunk("stdout", b"a\nb\n"), Chunk("stderr", b"c\n"), Chunk("stdout", b"d\n")]


def test_stdout_and_stderr_stay_separate_and_raw(docker_sandbox, workdir):
    script = (r"printf 'first\n'; printf '\033[1;32mgreen\033[0m\n' >&2;"
              r" printf '\xff\x00end'; exit 3")
    result = run(docker_sandbox, workdir, script, limits=small())
    assert result.stdout == b"first\n\xff\x00end"
    assert result.stderr == b"\x1b[1;32mgreen\x1b[0m\n"
    assert result.exit.exit_code == 3
    assert result.exit.oom_killed is False


def test_huge_line_without_newline_streams_in_bounded_chunks(docker_sandbox, workdir):
    size = 100 * 1000 * 1000
    handle = docker_sandbox.start(spec(
        workdir, f"head -c {size} /dev/zero | tr '\\0' x", limits=small()))
    try:
        total, biggest, chunks = 0, 0, 0
        for chunk in handle.output():
            assert chunk.stream == "stdout"
            total += len(chunk.data)
            biggest = max(biggest, len(chunk.data))
            chunks += 1
        assert handle.wait().exit_code == 0
    finally:
        handle.remove()
    assert total == size
    assert biggest <= READ_SIZE
    assert chunks > size // READ_SIZE


def test_stdin_reaches_the_command_and_close_ends_it(docker_sandbox, workdir):
    handle = docker_sandbox.start(spec(workdir, "cat; echo CLOSED", limits=small(), stdin=True))
    try:
        chunks = handle.output()
        handle.write_stdin(b'{"type": "user"}\n')
        assert next(chunks).data == b'{"type": "user"}\n'  # echoed while stdin is open
        handle.write_stdin(b"second\n")
        handle.close_stdin()
        assert collect(handle, chunks) == (b"second\nCLOSED\n", b"")
        assert handle.wait().exit_code == 0
    finally:
        handle.remove()


def test_sigint_reaches_the_whole_process_group_in_the_box(docker_sandbox, workdir):
    # bash waits for its sleep: only a signal to the group ends both (Ctrl-C).
    assert_sigint_ends_the_group(docker_sandbox, workdir)


def test_without_stdin_the_command_reads_eof(docker_sandbox, workdir):
    result = run(docker_sandbox, workdir, "cat; echo EOF", limits=small())
    assert result.stdout == b"EOF\n"


def test_container_carries_the_hardening_and_labels(docker_sandbox, workdir):
    limits = Limits(memory_mb=200, cpus=0.5, pids=50, tmpfs_mb=20, nofile=512)
    handle = docker_sandbox.start(spec(workdir, "exit 0", limits=limits, task_id=42,
                                       labels={"clawweb.attempt": "2"}))
    try:
        collect(handle)
        info = docker_sandbox.api.inspect_container(handle.id)
    finally:
        handle.remove()
    hc, cfg = info["HostConfig"], info["Config"]
    assert cfg["User"] == "1000:1000" and cfg["WorkingDir"] == "/workspace"
    assert cfg["Labels"]["clawweb"] == docker_sandbox.instance
    assert cfg["Labels"]["clawweb.task"] == "42"
    assert cfg["Labels"]["clawweb.worker"] == docker_sandbox.worker_name
    assert cfg["Labels"]["clawweb.attempt"] == "2"
    assert hc["CapDrop"] == ["ALL"] and not hc["CapAdd"] and not hc["Privileged"]
    assert hc["SecurityOpt"] == ["no-new-privileges"]  # no seccomp=unconfined
    assert hc["ReadonlyRootfs"] is True and hc["NetworkMode"] == "none"
    assert hc["Memory"] == hc["MemorySwap"] == 200 * 1024 * 1024
    assert hc["NanoCpus"] == 500_000_000 and hc["PidsLimit"] == 50
    assert hc["Ulimits"] == [{"Name": "nofile", "Soft": 512, "Hard": 512}]
    assert hc["Init"] is True and hc["LogConfig"]["Type"] == "none"
    assert "size=20m" in hc["Tmpfs"]["/tmp"]
    assert [(m["Type"], m["Source"], m["Target"], m.get("ReadOnly", False))
            for m in hc["Mounts"]] == [("bind", str(workdir), "/workspace", False)]
    assert not hc["Binds"]


def test_extra_mounts_are_mounted_even_inside_home(docker_sandbox, workdir, tmp_path):
    extra, session = tmp_path / "bridge", tmp_path / "session"
    for path in (extra, session):
        path.mkdir()
        path.chmod(0o777)
        (path / "hello").write_text(f"from {path.name}")
    script = "cat /run/clawweb/hello ~/.claude/hello; echo ok > ~/.claude/written"
    result = run(docker_sandbox, workdir, script, limits=small(), extra_mounts={
        str(extra): "/run/clawweb", str(session): "/home/runner/.claude"})
    assert result.stdout == b"from bridgefrom session", result.stderr
    assert (session / "written").read_text() == "ok\n"  # agent session files persist


def test_missing_mount_source_is_an_error_not_a_new_host_dir(docker_sandbox, workdir,
                                                              tmp_path):
    missing = tmp_path / "not-there"
    with pytest.raises(SandboxError):
        docker_sandbox.start(spec(workdir, "true", extra_mounts={str(missing): "/run/x"}))
    assert not missing.exists()
    assert docker_sandbox.remove_orphans(set()) == []


def test_missing_image_is_a_sandbox_error_and_leaves_nothing(docker_sandbox, workdir):
    broken = DockerSandbox(image="clawweb-no-such-image:never", instance=docker_sandbox.instance)
    with pytest.raises(SandboxError):
        broken.start(spec(workdir, "true"))
    assert broken.remove_orphans(set()) == []


def test_failing_start_removes_the_created_container(docker_sandbox, workdir, tmp_path):
    # The container is created, then start fails (a file cannot be mounted
    # over a directory): nothing may be left behind.
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(SandboxError, match="cannot start"):
        docker_sandbox.start(spec(workdir, "true", extra_mounts={str(a_file): "/usr"}))
    assert docker_sandbox.remove_orphans(set()) == []


def test_missing_command_is_the_commands_failure(docker_sandbox, workdir):
    handle = docker_sandbox.start(SandboxSpec(
        task_id=1, argv=["/no/such/binary"], workdir=workdir, limits=small()))
    try:
        collect(handle)
        assert handle.wait().exit_code == 127
    finally:
        handle.remove()


def test_remove_is_idempotent_and_wait_after_remove_is_an_error(docker_sandbox, workdir):
    handle = docker_sandbox.start(spec(workdir, "exit 0", limits=small()))
    collect(handle)
    handle.remove()
    handle.remove()
    with pytest.raises(NotFound):
        docker_sandbox.api.inspect_container(handle.id)
    with pytest.raises(SandboxError):
        handle.wait()


def test_plain_sigkill_is_not_reported_as_oom(docker_sandbox, workdir):
    result = run(docker_sandbox, workdir, "kill -9 $$", limits=small())
    assert result.exit.exit_code == 137
    assert result.exit.oom_killed is False


def test_oom_is_found_even_when_the_daemon_does_not_flag_it(docker_sandbox, workdir,
                                                            monkeypatch):
    # Some daemons only set State.OOMKilled when PID 1 itself died; under
    # --init the bomb is a child. The event log must still tell.
    real_inspect = docker_sandbox.api.inspect_container

    def unflagged(cid):
        info = real_inspect(cid)
        info["State"]["OOMKilled"] = False
        return info

    monkeypatch.setattr(docker_sandbox.api, "inspect_container", unflagged)
    bomb = "python3 -c 'x = [bytearray(2**20) for _ in range(1024)]; print(\"SURVIVED\")'"
    result = run(docker_sandbox, workdir, bomb, limits=small(memory_mb=64))
    assert b"SURVIVED" not in result.stdout
    assert result.exit.exit_code == 137
    assert result.exit.oom_killed is True
