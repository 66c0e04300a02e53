"""``manage submit`` and ``manage task``: run a task as a user from the command line.

For smoke checks after an install or an upgrade (the compose test uses them):
the task goes through ``services.tasks.service.submit_task`` exactly as one submitted
from the UI, with that user's rights, and is run by whatever worker is up.
Output is one JSON object: id, status, exit code, failure reason, stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid

from sqlmodel import Session, select

from clawweb.models import TERMINAL_STATUSES, Project, Task, TaskEvent, TaskStatus, User
from clawweb.services.errors import ServiceError

POLL_SECONDS = 0.5


def add_commands(sub) -> None:
    """Register ``submit`` and ``task`` on an argparse subparsers object."""
    s = sub.add_parser("submit", help="queue a shell task as a user")
    s.add_argument("--user", required=True, help="user name; the task runs with their rights")
    s.add_argument("--project", required=True, help="project slug")
    s.add_argument("--create-project", action="store_true",
                   help="create the project (empty repository) when it does not exist")
    s.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                   help="wait up to this long for the task to end")
    s.add_argument("command_words", nargs=argparse.REMAINDER, metavar="-- COMMAND")
    t = sub.add_parser("task", help="a task's status and output as JSON")
    t.add_argument("task_id", type=int)
    t.add_argument("--wait", type=float, default=0, metavar="SECONDS")


def _project(s: Session, user: User, slug: str, create: bool) -> Project:
    from clawweb.services.projects import service as projects

    project = s.exec(select(Project).where(Project.slug == slug)).first()
    if project is None and create:
        project = projects.create_project(session=s, user=user, name=slug)
    if project is None:
        raise LookupError(f"no project {slug!r} (pass --create-project to make it)")
    return project


def submit(args: argparse.Namespace) -> int:
    from clawweb.db import get_engine
    from clawweb.services.tasks import service as tasks

    words = args.command_words[1:] if args.command_words[:1] == ["--"] else args.command_words
    if not words:
        print("nothing to run: give the command after --", file=sys.stderr)
        return 2
    with Session(get_engine(), expire_on_commit=False) as s:
        user = s.exec(select(User).where(User.username == args.user)).first()
        if user is None:
            print(f"no user {args.user!r}", file=sys.stderr)
            return 2
        try:
            project = _project(s, user, args.project, args.create_project)
            task = tasks.submit_task(session=s, user=user, project_id=project.id,
                                     command=" ".join(words), trigger="api",
                                     idempotency_key=uuid.uuid4().hex)
        except LookupError as exc:
            print(exc, file=sys.stderr)
            return 2
        except ServiceError as exc:
            print(f"refused: {exc.key} {exc.params or ''}".rstrip(), file=sys.stderr)
            return 2
        task_id = task.id
    return _report(task_id, args.wait)


def show(args: argparse.Namespace) -> int:
    return _report(args.task_id, args.wait)


def _report(task_id: int, wait: float) -> int:
    from clawweb.db import get_engine

    deadline = time.monotonic() + wait
    with Session(get_engine()) as s:
        while True:
            s.expire_all()
            task = s.get(Task, task_id)
            if task is None:
                print(f"no task {task_id}", file=sys.stderr)
                return 2
            if task.status in TERMINAL_STATUSES or time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS)
        events = s.exec(select(TaskEvent).where(TaskEvent.task_id == task_id,
                                                TaskEvent.type == "output")
                        .order_by(TaskEvent.seq)).all()
        out = "".join(e.data.get("text", "") for e in events
                      if e.data.get("stream") == "stdout")
        print(json.dumps({"id": task.id, "status": task.status.value,
                          "exit_code": task.exit_code, "failure_reason": task.failure_reason,
                          "worker": task.worker_name, "stdout": out}))
        if not wait:
            return 0
        return 0 if task.status == TaskStatus.succeeded else 1
