"""A small installation to back up: users, a project with branches, keys, secrets."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from clawweb.models import Project, ProjectMember, ProjectRemote, ProjectRole, Role, Task, \
    TaskEvent, TaskStatus, User
from clawweb.services import crypto, git
from clawweb.services.accounts import passwords
from clawweb.services.agents import credentials
from clawweb.services.projects import service as projects
from clawweb.services.remotes.store import secret_aad

PASSPHRASE = "correct horse battery staple"
API_KEY = "sk-ant-api03-backup-test-key-WXYZ"
REMOTE_TOKEN = "glpat-backup-remote-token-1234"
VAPID_PEM = b"-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n"


def use_data_dir(monkeypatch, path: Path):
    """Point this process at another data dir (fresh settings, engine, Redis clients)."""
    from clawweb import settings as settings_mod
    from tests.conftest import clear_process_caches

    monkeypatch.setenv("CLAWWEB_DATA_DIR", str(path))
    clear_process_caches()
    return settings_mod.get_settings()


@dataclass
class World:
    alice_id: int
    project_id: int
    task_id: int
    branch_sha: str


def build_world(settings, *, vapid: bool = True) -> World:
    """Migrated database, a user with a password and an API key, a project whose
    bare repository has a task branch, a finished task with output, a remote token."""
    from clawweb import db, manage

    manage.migrate()
    with Session(db.get_engine(), expire_on_commit=False) as s:
        alice = User(username="alice", role=Role.admin,
                     password_hash=passwords.hash_password("alice-password-123"))
        project = Project(name="Demo", slug="demo")
        s.add_all([alice, project])
        s.commit()
        s.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.owner))
        repo = projects.project_repo_path(project)
        git.init_empty(repo, branch="main")
        sha = _commit_branch(repo, "clawweb/task-1")
        task = Task(project_id=project.id, created_by=alice.id, command="echo hi",
                    status=TaskStatus.succeeded, branch="clawweb/task-1", commit_sha=sha,
                    exit_code=0)
        s.add(task)
        s.commit()
        s.add(TaskEvent(task_id=task.id, seq=1, ts=1.0, type="output",
                        data={"stream": "stdout", "text": "hello from the task\n"}))
        s.add(ProjectRemote(project_id=project.id, url="https://gitlab.example/x.git",
                            token_ciphertext=crypto.encrypt(
                                REMOTE_TOKEN, aad=secret_aad("token", project.id))))
        s.commit()
        credentials.set_user_credential(session=s, user=alice, kind="api_key", secret=API_KEY)
        world = World(alice.id, project.id, task.id, sha)
    if vapid:
        fd = os.open(settings.data_dir / "vapid_private.pem", os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(VAPID_PEM)
    save_transcript(settings, world.task_id, b'{"type":"user"}\n')
    return world


def save_transcript(settings, task_id: int, data: bytes) -> Path:
    folder = settings.data_dir / "claude" / f"task-{task_id}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "0b6a0c52-1f7c-4d51-9d2f-9a3c1e2b4d5f.jsonl"
    path.write_bytes(data)
    return path


def _commit_branch(repo: Path, branch: str) -> str:
    """A commit with one file on ``branch`` (plumbing, no work tree)."""
    bare = ["--git-dir", str(repo)]
    blob = git.run_git(bare + ["hash-object", "-w", "--stdin"], input=b"work\n").stdout
    tree = git.run_git(bare + ["mktree"], input=b"100644 blob " + blob.strip() + b"\tf.txt\n")
    base = git.resolve(repo, "main")
    sha = git.run_git(bare + ["commit-tree", tree.stdout.decode().strip(), "-p", base,
                              "-m", "task work"]).stdout.decode().strip()
    git.run_git(bare + ["update-ref", f"refs/heads/{branch}", sha])
    return sha


def check_world(world: World, *, secrets: bool = True) -> None:
    """Everything ``build_world`` made is there in the current data dir."""
    from clawweb import db
    from clawweb.settings import get_settings

    settings = get_settings()
    with Session(db.get_engine(), expire_on_commit=False) as s:
        alice = s.get(User, world.alice_id)
        assert alice.username == "alice"
        assert passwords.verify_password("alice-password-123", alice.password_hash)
        project = s.get(Project, world.project_id)
        repo = projects.project_repo_path(project)
        assert git.branches(repo) == ["clawweb/task-1", "main"]
        assert git.resolve(repo, "clawweb/task-1") == world.branch_sha
        assert git.default_branch(repo) == "main"
        task = s.get(Task, world.task_id)
        assert task.status == TaskStatus.succeeded and task.commit_sha == world.branch_sha
        events = s.exec(select(TaskEvent).where(TaskEvent.task_id == task.id)).all()
        assert [e.data["text"] for e in events] == ["hello from the task\n"]
        transcript = settings.data_dir / "claude" / f"task-{task.id}"
        assert [p.read_bytes() for p in transcript.iterdir()] == [b'{"type":"user"}\n']
        if secrets:
            resolved = credentials.resolve(session=s, user_id=alice.id)
            assert resolved.secret == API_KEY
            remote = s.get(ProjectRemote, project.id)
            assert crypto.decrypt(remote.token_ciphertext,
                                  aad=secret_aad("token", project.id)) == REMOTE_TOKEN
            assert (settings.data_dir / "vapid_private.pem").read_bytes() == VAPID_PEM
            assert (settings.data_dir / "vapid_private.pem").stat().st_mode & 0o777 == 0o600
            assert (settings.data_dir / "secret.key").stat().st_mode & 0o777 == 0o600
