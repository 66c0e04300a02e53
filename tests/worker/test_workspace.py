"""A task's working copy on the host: prepared, saved and removed without trusting it.

Real git, real temp dirs. Every hostile-content test first shows what the naive
code would have done (so the test cannot pass vacuously).
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from clawweb.models import Project, Task
from clawweb.services import git
from clawweb.services.projects import service as projects
from worker import workspace


@pytest.fixture
def project(session) -> Project:
    p = Project(name="P", slug="p")
    session.add(p)
    session.commit()
    git.init_empty(projects.project_repo_path(p), branch="main")
    return p


def make_task(session, project, **kw) -> Task:
    task = Task(project_id=project.id, **{"command": "run", **kw})
    session.add(task)
    session.commit()
    task.branch = task.branch or f"clawweb/task-{task.id}"
    session.add(task)
    session.commit()
    return task


def plain_git(cwd: Path, *args: str) -> None:
    """git as the agent in the container would run it (its own identity, no hardening)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
           "GIT_AUTHOR_NAME": "agent", "GIT_AUTHOR_EMAIL": "agent@x",
           "GIT_COMMITTER_NAME": "agent", "GIT_COMMITTER_EMAIL": "agent@x",
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def push_to_main(project: Project, tmp: Path, build) -> None:
    """Commit what ``build(workdir)`` makes onto the project's main branch."""
    repo = projects.project_repo_path(project)
    w = tmp / "seed"
    subprocess.run(["git", "clone", "-q", str(repo), str(w)], check=True)
    build(w)
    plain_git(w, "add", "-A")
    plain_git(w, "commit", "-qm", "seed")
    plain_git(w, "push", "-q", "origin", "HEAD:main")


def finish(task, project, prepared) -> workspace.Outcome:
    return workspace.finish(task, project, prepared.workdir, prepared.base_sha)


def release(prepared) -> None:
    workspace.release(prepared)


# --- 0: a task's own commits are never lost ----------------------------------------

def test_an_agent_commit_with_a_clean_tree_is_published_and_counted(session, project):
    task = make_task(session, project)
    prep = workspace.prepare(task, project)
    try:
        (prep.workdir / "a.txt").write_text("x\ny\n")
        plain_git(prep.workdir, "add", "-A")
        plain_git(prep.workdir, "commit", "-qm", "agent commit")
        out = finish(task, project, prep)
    finally:
        release(prep)
    repo = projects.project_repo_path(project)
    assert out.commit_sha and git.resolve(repo, task.branch) == out.commit_sha
    assert (out.files_changed, out.insertions, out.deletions) == (1, 2, 0)
    assert out.unpublished == ""
    assert git.recent_commits(repo, task.branch)[0]["subject"] == "agent commit"


def test_leftovers_are_committed_on_top_and_counted_against_the_base(session, project):
    task = make_task(session, project)
    prep = workspace.prepare(task, project)
    try:
        (prep.workdir / "a.txt").write_text("x\n")
        plain_git(prep.workdir, "add", "-A")
        plain_git(prep.workdir, "commit", "-qm", "agent commit")
        (prep.workdir / "b.txt").write_text("1\n2\n3\n")     # not committed by the agent
        out = finish(task, project, prep)
    finally:
        release(prep)
    repo = projects.project_repo_path(project)
    assert (out.files_changed, out.insertions) == (2, 4)
    subjects = [c["subject"] for c in git.recent_commits(repo, task.branch)]
    assert subjects[1] == "agent commit" and subjects[0] == "run"  # the task's command


def test_the_auto_commit_says_what_was_done_by_whom(session, project):
    from clawweb.models import User

    alice = User(username="alice", display_name="Alice Liddell", email="alice@example.test")
    session.add(alice)
    session.commit()
    task = make_task(session, project, created_by=alice.id,
                     command="Add a greeting\n\nto the readme, please")
    prep = workspace.prepare(task, project)
    try:
        (prep.workdir / "README.md").write_text("hello\n")
        out = workspace.finish(task, project, prep.workdir, prep.base_sha,
                               summary="I added a greeting to README.md.")
    finally:
        release(prep)
    repo = projects.project_repo_path(project)
    shown = subprocess.run(["git", "--git-dir", str(repo), "log", "-1",
                            "--format=%an <%ae>%n%cn <%ce>%n%B", out.commit_sha],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    assert shown[0] == "Alice Liddell <alice@example.test>"  # the author asked for it
    assert shown[1] == "clawweb <clawweb@localhost>"  # clawweb committed it
    assert shown[2] == "Add a greeting"
    body = "\n".join(shown[3:])
    assert "to the readme, please" in body and "I added a greeting to README.md." in body
    assert f"Clawweb-Task: {task.id}" in body


def test_nothing_changed_says_so(session, project):
    task = make_task(session, project)
    prep = workspace.prepare(task, project)
    try:
        out = finish(task, project, prep)
    finally:
        release(prep)
    assert out.commit_sha == "" and out.unpublished == "workspace.nothing_changed"
    assert not git.branch_exists(projects.project_repo_path(project), task.branch)


def test_an_agent_commit_on_a_repository_without_commits_is_counted(session, tmp_path):
    p = Project(name="E", slug="e")
    session.add(p)
    session.commit()
    bare = projects.project_repo_path(p)
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    task = make_task(session, p)
    prep = workspace.prepare(task, p)
    try:
        assert prep.base_sha is None
        (prep.workdir / "a.txt").write_text("x\n")
        plain_git(prep.workdir, "add", "-A")
        plain_git(prep.workdir, "commit", "-qm", "first")
        out = finish(task, p, prep)
    finally:
        release(prep)
    assert out.commit_sha and out.files_changed == 1 and out.insertions == 1


# --- 1: nothing the repository holds is followed on the host -------------------------

def naive_give_to_sandbox(workdir: Path) -> None:
    """The code this replaced: os.walk lists symlinked dirs, os.chmod follows them."""
    for root, dirs, files in os.walk(workdir):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o777)
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | 0o666)


def test_prepare_never_chmods_through_committed_links(session, project, tmp_path):
    outside = tmp_path / "cron.d"          # stands in for /etc/cron.d
    outside.mkdir(mode=0o700)
    secret = tmp_path / "secret.key"
    secret.write_text("host secret\n")
    secret.chmod(0o600)

    def build(w: Path):
        (w / "sub").mkdir()
        (w / "sub" / "ok.txt").write_text("ok\n")
        os.symlink(outside, w / "x")
        os.symlink(secret, w / "sub" / "key")

    push_to_main(project, tmp_path, build)
    # The trap fires with the naive walk...
    trap = tmp_path / "trap"
    subprocess.run(["git", "clone", "-q", str(projects.project_repo_path(project)), str(trap)],
                   check=True)
    assert (trap / "x").is_symlink()
    naive_give_to_sandbox(trap)
    assert stat.S_IMODE(outside.stat().st_mode) == 0o777, "the naive walk chmods the target"
    outside.chmod(0o700)

    task = make_task(session, project)
    prep = workspace.prepare(task, project)
    try:
        assert (prep.workdir / "x").is_symlink() and (prep.workdir / "sub" / "key").is_symlink()
        assert stat.S_IMODE(outside.stat().st_mode) == 0o700
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        assert secret.read_text() == "host secret\n"
        # ...and the real entries were still handed to the sandbox user.
        assert stat.S_IMODE((prep.workdir / "sub").stat().st_mode) == 0o777
        assert stat.S_IMODE((prep.workdir / "sub" / "ok.txt").stat().st_mode) & 0o666 == 0o666
        out = finish(task, project, prep)
    finally:
        release(prep)
    assert out.unpublished == "workspace.nothing_changed"
    assert stat.S_IMODE(outside.stat().st_mode) == 0o700
    assert list(outside.iterdir()) == [] and secret.read_text() == "host secret\n"


def test_links_planted_by_the_task_are_committed_as_links(session, project, tmp_path):
    secret = tmp_path / "secret.key"
    secret.write_text("host secret\n")
    task = make_task(session, project)
    prep = workspace.prepare(task, project)
    try:
        os.symlink(secret, prep.workdir / "leak")
        os.symlink(tmp_path, prep.workdir / "leakdir")
        out = finish(task, project, prep)
    finally:
        release(prep)
    repo = projects.project_repo_path(project)
    blob = git.run_git(["--git-dir", str(repo), "show", f"{out.commit_sha}:leak"]).stdout
    assert blob == str(secret).encode()          # the link text, never the content
    assert out.files_changed == 2
    assert secret.read_text() == "host secret\n"


def test_a_repository_bigger_than_the_disk_fails_clearly_and_leaves_nothing(
        session, project, tmp_path, monkeypatch, settings):
    def build(w: Path):
        (w / "big.bin").write_bytes(os.urandom(20 * 1024 * 1024))   # does not compress

    push_to_main(project, tmp_path, build)
    monkeypatch.setenv("CLAWWEB_TASK_DISK_MB", "16")
    from clawweb import settings as settings_mod
    settings_mod.get_settings.cache_clear()
    from worker.taskfs import TaskFsError
    task = make_task(session, project)
    with pytest.raises(TaskFsError) as err:
        workspace.prepare(task, project)
    assert (err.value.key, err.value.params) == ("workspace.disk_full", {"limit_mb": 16})
    assert list(settings.workspaces_dir.iterdir()) == []
