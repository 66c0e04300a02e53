"""A task as the API shows it: the stored reason for programs, and the same in words."""

from __future__ import annotations

from clawweb.i18n import stored
from clawweb.models import Task, TaskStatus
from clawweb.rest.schemas import task_out


def test_the_ending_reason_comes_as_stored_and_in_words():
    reason = stored.encode("tasks.ended.exit_code", code=3)
    task = Task(id=5, project_id=1, command="false", status=TaskStatus.failed, exit_code=3,
                failure_reason=reason)
    out = task_out(task)
    assert stored.decode(out.failure_reason)["key"] == "tasks.ended.exit_code"
    assert out.failure_text == "exited with code 3"
