"""``manage submit`` / ``manage task``: a task as a user, with that user's rights."""

from __future__ import annotations

import json

from sqlmodel import select

from clawweb import manage
from clawweb.models import Project, Task, TaskStatus, User


def _run(capsys, *argv):
    code = manage.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_submit_queues_a_task_as_the_user(session, redis_url, capsys):
    session.add(User(username="alice"))
    session.commit()
    code, out, _ = _run(capsys, "submit", "--user", "alice", "--project", "demo",
                        "--create-project", "--", "echo", "hi")
    assert code == 0
    shown = json.loads(out)
    task = session.get(Task, shown["id"])
    assert (task.command, task.trigger, shown["status"]) == ("echo hi", "api", "queued")
    assert session.exec(select(Project)).one().slug == "demo"
    code, out, _ = _run(capsys, "task", str(task.id), "--wait", "0.6")
    assert code == 1 and json.loads(out)["status"] == "queued"  # no worker: not done


def test_submit_refuses_what_the_user_may_not_do(session, redis_url, capsys):
    session.add_all([User(username="alice"), User(username="mallory")])
    session.commit()
    assert _run(capsys, "submit", "--user", "alice", "--project", "demo", "--create-project",
                "--", "true")[0] == 0
    code, _, err = _run(capsys, "submit", "--user", "mallory", "--project", "demo", "--",
                        "true")
    assert code == 2 and "refused" in err
    assert _run(capsys, "submit", "--user", "nobody", "--project", "demo", "--", "true")[0] == 2
    assert _run(capsys, "submit", "--user", "alice", "--project", "nope", "--", "true")[0] == 2
    assert len(session.exec(select(Task)).all()) == 1


def test_task_shows_status_and_stdout(session, redis_url, capsys):
    from clawweb.models import TaskEvent

    alice = User(username="alice")
    project = Project(name="p", slug="p")
    session.add_all([alice, project])
    session.commit()
    task = Task(project_id=project.id, created_by=alice.id, command="x",
                status=TaskStatus.succeeded, exit_code=0)
    session.add(task)
    session.commit()
    session.add_all([TaskEvent(task_id=task.id, seq=1, ts=1, type="output",
                               data={"stream": "stdout", "text": "a\n"}),
                     TaskEvent(task_id=task.id, seq=2, ts=2, type="output",
                               data={"stream": "stderr", "text": "noise\n"})])
    session.commit()
    code, out, _ = _run(capsys, "task", str(task.id), "--wait", "5")
    assert code == 0
    assert json.loads(out) == {"id": task.id, "status": "succeeded", "exit_code": 0,
                               "failure_reason": "", "worker": "", "stdout": "a\n"}
