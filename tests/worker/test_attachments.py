"""Attachments in the working copy: copied in, named to the command, never written elsewhere.

Real git and real task disks; a committed ``attachments`` link or file is the
hostile repository's way to make the worker write outside the working copy.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from clawweb.services import git
from clawweb.services.projects import service as projects
from clawweb.services.tasks import attachments as att, service as tasks
from clawweb.settings import get_settings
from worker import attachments, jobs, workspace
from worker.sandbox import FakeRun

from tests.worker.claude_support import claude_env, docker_sandbox  # noqa: F401
from tests.worker.test_jobs import sandbox, world  # noqa: F401 - the same task world
from tests.worker.test_workspace import push_to_main

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def submit_with(session, user, project, files: dict[str, bytes], command="run"):
    up = att.start_upload(session, user, project.id)
    for name, data in files.items():
        up.write(name, 0, data)
    ids = [a["id"] for a in att.finish_upload(session, user, up)]
    return tasks.submit_task(session=session, user=user, project_id=project.id,
                             command=command, idempotency_key=f"k-{time.monotonic_ns()}",
                             attachment_ids=ids)


def test_the_files_are_in_the_working_copy_and_named_to_the_command(session, world, sandbox):
    alice, project = world
    seen = {}

    def handler(spec):
        folder = spec.workdir / "attachments"
        seen["files"] = {p.name: p.read_bytes() for p in folder.iterdir()}
        seen["modes"] = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
        seen["env"] = spec.env.get("CLAWWEB_ATTACHMENTS")
        (spec.workdir / "made.txt").write_text("the agent's work\n")
        return FakeRun(output=[("stdout", b"ok\n")], exit_code=0)

    sandbox.handler = handler
    task = submit_with(session, alice, project, {"a.txt": b"hello\n", "照片.png": b"\x89PNG"})
    assert jobs.run_task(task.id) == "succeeded"
    assert seen["files"] == {"a.txt": b"hello\n", "照片.png": b"\x89PNG"}
    assert set(seen["modes"].values()) == {0o666}  # the container's uid can read them
    assert seen["env"] == "attachments/a.txt\nattachments/照片.png"
    # Not committed unless the agent chooses to: clawweb's commit has only its work.
    repo = projects.project_repo_path(project)
    files = git.git_out(["--git-dir", str(repo), "ls-tree", "-r", "--name-only",
                         f"clawweb/task-{task.id}"]).split()
    assert files == ["made.txt"]
    # The server's copies go once the task has ended (no retry can need them);
    # the rows stay for the task page.
    assert [a["name"] for a in att.for_task(session, task.id)] == ["a.txt", "照片.png"]
    assert list(get_settings().attachments_dir.iterdir()) == []


def test_a_claude_prompt_names_the_files():
    assert attachments.prompt_with("Describe it", ["attachments/a.png", "attachments/b c.txt"]) \
        == "Describe it\n\nAttached files (in the working copy): attachments/a.png, " \
           "attachments/b c.txt"
    assert attachments.prompt_with("Describe it", []) == "Describe it"


@pytest.mark.parametrize("planted", ["link", "file"])
def test_a_committed_attachments_link_or_file_is_refused(session, world, sandbox, tmp_path,
                                                         planted):
    alice, project = world
    outside = tmp_path / "outside"
    outside.mkdir()

    def build(w: Path):
        if planted == "link":
            os.symlink(outside, w / "attachments")
        else:
            (w / "attachments").write_text("a file\n")

    push_to_main(project, tmp_path, build)
    task = submit_with(session, alice, project, {"a.txt": b"x"})
    assert jobs.run_task(task.id) == "failed"
    session.expire_all()
    done = session.get(type(task), task.id)
    assert "attachments.error.folder_taken" in done.failure_reason
    assert sandbox.specs == []  # nothing ran
    assert list(outside.iterdir()) == []  # nothing written through the link


def test_a_committed_link_inside_attachments_is_never_written_through(session, world, tmp_path):
    alice, project = world
    target = tmp_path / "host.txt"
    target.write_text("host file\n")

    def build(w: Path):
        (w / "attachments").mkdir()
        os.symlink(target, w / "attachments" / "a.txt")

    push_to_main(project, tmp_path, build)
    task = submit_with(session, alice, project, {"a.txt": b"overwritten?"})
    prep = workspace.prepare(task, project)
    try:
        with pytest.raises(attachments.AttachmentError) as exc:
            attachments.place(session, task, prep.workdir)
    finally:
        workspace.release(prep)
    assert exc.value.key == "attachments.error.name_taken"
    assert target.read_text() == "host file\n"


def test_a_task_without_attachments_gets_no_folder(session, world, sandbox):
    alice, project = world
    seen = {}

    def handler(spec):
        seen["has"] = (spec.workdir / "attachments").exists()
        seen["env"] = spec.env.get("CLAWWEB_ATTACHMENTS")
        return FakeRun(output=[], exit_code=0)

    sandbox.handler = handler
    task = submit_with(session, alice, project, {})
    assert jobs.run_task(task.id) == "succeeded"
    assert seen == {"has": False, "env": None}


def test_the_prompt_claude_gets_names_the_attached_files(claude_env):
    import json

    from tests.fixtures.fake_anthropic import text
    from worker.agents import AgentContext, ClaudeAgent
    from worker.sandbox import Limits

    h = claude_env
    h.api.push(text("Seen."))
    task = h.task("Describe the photo")
    ctx = AgentContext(  # as the harness runs it, with the files the job found
        task=task, project=h.project, sandbox=h.sandbox, workdir=h.workdir(),
        limits=Limits(memory_mb=1024, pids=256), worker_name="test-worker",
        emit=lambda t, d: h.events.append((t, json.loads(json.dumps(d)))),
        emit_output=lambda s, b: h.output.append((s, b)),
        should_stop=h.stop.is_set, mark_started=lambda: None,
        attachments=["attachments/photo.png"])
    result = ClaudeAgent().run(ctx)
    assert result.exit_code == 0, (result.failure_reason, h.output[-5:])
    sent = h.api.main_requests[0].text()  # JSON: the prompt's newlines are escaped
    assert "Describe the photo\\n\\nAttached files (in the working copy): " \
        "attachments/photo.png" in sent
