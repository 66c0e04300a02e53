"""Reading and shipping a task's work with rights checked and every action audited."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from clawweb.models import AuditEvent, Task, TaskStatus
from clawweb.services.agents import credentials
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied
from clawweb.services.review import actions, gitobj, merge, service
from tests.services.review.world import make_world


@pytest.fixture
def w(session, tmp_path, settings):
    return make_world(session, tmp_path, settings)


def _audits(session, action):
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


def _merge(w, user, task, strategy="", head=None):
    target = service.load_target(session=w.session, user=user, task_id=task.id)
    return actions.merge_task(session=w.session, user=user, task_id=task.id, strategy=strategy,
                              expected_head=head or target.head, ip="127.0.0.9")


def test_a_viewer_reads_the_change_but_may_not_ship(w):
    task = w.task({"b.txt": "b\n"})
    target = service.load_target(session=w.session, user=w.viewer, task_id=task.id)
    assert target.head == task.commit_sha and target.base == w.builder.tip("main")
    assert not target.can_ship and target.role.value == "viewer"
    assert [c.path for c in service.changed_files(target)[0]] == ["b.txt"]
    assert [c["sha"] for c in service.branch_commits(target)] == [task.commit_sha]
    with pytest.raises(PermissionDenied) as err:
        _merge(w, w.viewer, task)
    assert err.value.key == "review.ship_forbidden"
    assert w.builder.tip("main") == target.base


def test_a_stranger_sees_nothing(w):
    task = w.task({"b.txt": "b\n"})
    with pytest.raises(NotFound):
        service.load_target(session=w.session, user=w.stranger, task_id=task.id)
    with pytest.raises(NotFound):
        actions.merge_task(session=w.session, user=w.stranger, task_id=task.id, strategy="",
                           expected_head=task.commit_sha)


def test_an_editor_merges_with_the_project_default_and_it_is_audited(w):
    task = w.task({"b.txt": "b\n"})
    old = w.builder.tip("main")
    result = _merge(w, w.editor, task)
    assert result.strategy == "merge" and w.builder.tip("main") == result.sha
    assert gitobj.out(w.builder.bare, "log", "-1", "--format=%an <%ae>|%cn|%s", result.sha) == \
        f"Editor <editor@example.invalid>|clawweb|Merge branch '{task.branch}' " \
        f"(task #{task.id}: make it so)"
    row = w.session.get(Task, task.id)
    w.session.refresh(row)
    assert (row.merge_state, row.merged_sha, row.merge_base_sha) == ("merged", result.sha, old)
    assert row.merged_at is not None
    [event] = _audits(w.session, "task.merge")
    assert event.actor_id == w.editor.id and event.ip == "127.0.0.9"
    assert event.after == {"strategy": "merge", "default_tip": result.sha}
    assert event.before["head"] == task.commit_sha and event.before["default_tip"] == old


def test_a_merged_task_still_shows_what_it_changed(w):
    task = w.task({"b.txt": "b\n"})
    _merge(w, w.editor, task, strategy="ff")
    target = service.load_target(session=w.session, user=w.viewer, task_id=task.id)
    assert [c.path for c in service.changed_files(target)[0]] == ["b.txt"]


def test_a_follow_ups_commits_join_the_review_of_the_branch(w):
    task = w.task({"b.txt": "b\n"})
    w.builder.commit("main", {"elsewhere.txt": "main moved on\n"}, "unrelated work on main")
    follow = w.task({"c.txt": "c\n"}, branch=task.branch, parent_id=task.id)
    for shown in (task, follow):
        target = service.load_target(session=w.session, user=w.viewer, task_id=shown.id)
        assert [c["sha"] for c in service.branch_commits(target)] == \
            [follow.commit_sha, task.commit_sha]  # newest first, nothing from main
        assert [c.path for c in service.changed_files(target)[0]] == ["b.txt", "c.txt"]


def test_owner_only_shipping_refuses_editors(w):
    actions.update_ship_settings(session=w.session, user=w.owner, project_id=w.project.id,
                                 merge_strategy="squash", ship_role="owner")
    task = w.task({"b.txt": "b\n"})
    with pytest.raises(PermissionDenied):
        _merge(w, w.editor, task)
    with pytest.raises(PermissionDenied):
        actions.discard_task(session=w.session, user=w.editor, task_id=task.id,
                             expected_head=task.commit_sha)
    result = _merge(w, w.owner, task)
    assert result.strategy == "squash"
    assert gitobj.out(w.builder.bare, "log", "-1", "--format=%P", result.sha).count(" ") == 0


def test_ship_settings_are_for_owners_and_validated(w):
    with pytest.raises(PermissionDenied):
        actions.update_ship_settings(session=w.session, user=w.editor, project_id=w.project.id,
                                     merge_strategy="ff", ship_role="editor")
    for strategy, role, key in (("rebase", "editor", "review.strategy_invalid"),
                                ("ff", "viewer", "review.ship_role_invalid")):
        with pytest.raises(InvalidInput) as err:
            actions.update_ship_settings(session=w.session, user=w.owner,
                                         project_id=w.project.id, merge_strategy=strategy,
                                         ship_role=role)
        assert err.value.key == key
    actions.update_ship_settings(session=w.session, user=w.owner, project_id=w.project.id,
                                 merge_strategy="ff", ship_role="owner")
    [event] = _audits(w.session, "project.update")
    assert event.before == {"merge_strategy": "merge", "ship_role": "editor"}
    assert event.after == {"merge_strategy": "ff", "ship_role": "owner"}


def test_a_branch_that_moved_since_it_was_reviewed_is_not_merged(w):
    task = w.task({"b.txt": "b\n"})
    seen = task.commit_sha
    w.builder.commit(task.branch, {"c.txt": "late\n"})
    with pytest.raises(InvalidInput) as err:
        _merge(w, w.editor, task, head=seen)
    assert err.value.key == "review.branch_moved"


@pytest.mark.parametrize("status", [TaskStatus.running, TaskStatus.queued])
def test_unfinished_work_is_not_shipped(w, status):
    task = w.task({"b.txt": "b\n"}, status=status)
    with pytest.raises(InvalidInput) as err:
        _merge(w, w.editor, task)
    assert err.value.key == "review.not_finished"


def test_a_running_follow_up_on_the_branch_blocks_the_merge(w):
    task = w.task({"b.txt": "b\n"})
    w.task(None, status=TaskStatus.running, branch=task.branch, parent_id=task.id)
    with pytest.raises(InvalidInput) as err:
        _merge(w, w.editor, task)
    assert err.value.key == "review.not_finished"


def test_a_conflict_lists_the_files_is_audited_and_moves_nothing(w):
    task = w.task({"a.txt": "one\nTASK\nthree\n"})
    moved = w.builder.commit("main", {"a.txt": "one\nMAIN\nthree\n"})
    with pytest.raises(merge.MergeConflict) as err:
        _merge(w, w.editor, task)
    assert err.value.files == ["a.txt"] and w.builder.tip("main") == moved
    [event] = _audits(w.session, "task.merge_conflict")
    assert event.after == {"strategy": "merge", "files": ["a.txt"]}
    assert w.session.get(Task, task.id).merge_state == ""


def test_discard_deletes_the_branch_and_is_audited(w):
    task = w.task({"b.txt": "b\n"})
    actions.discard_task(session=w.session, user=w.editor, task_id=task.id,
                         expected_head=task.commit_sha, ip="10.0.0.1")
    assert w.builder.tip(task.branch) == ""
    assert w.session.get(Task, task.id).merge_state == "discarded"
    [event] = _audits(w.session, "task.discard")
    assert event.before["head"] == task.commit_sha and event.ip == "10.0.0.1"
    target = service.load_target(session=w.session, user=w.viewer, task_id=task.id)
    assert target.head is None and service.changed_files(target) == ([], False)


def test_downloads_need_the_ship_right_and_are_audited(w, tmp_path):
    task = w.task({"b.txt": "b\n"})
    for kind in ("patch", "bundle"):
        out_dir = tmp_path / f"dl-{kind}"
        out_dir.mkdir()
        with pytest.raises(PermissionDenied):
            actions.export_change(session=w.session, user=w.viewer, task_id=task.id,
                                  kind=kind, directory=out_dir, expected_head=task.commit_sha)
        path, name = actions.export_change(session=w.session, user=w.editor, task_id=task.id,
                                           kind=kind, directory=out_dir,
                                           expected_head=task.commit_sha)
        assert name == f"task-{task.id}.{kind}" and path.stat().st_size > 0
    assert [e.detail for e in _audits(w.session, "task.download")] == ["patch", "bundle"]
    with pytest.raises(NotFound):
        actions.export_change(session=w.session, user=w.editor, task_id=task.id, kind="tar",
                              directory=tmp_path, expected_head=task.commit_sha)


def test_a_download_is_of_the_head_that_was_reviewed(w, tmp_path):
    task = w.task({"b.txt": "b\n"})
    reviewed = task.commit_sha
    w.builder.commit(task.branch, {"c.txt": "unseen\n"}, "after the review")
    for kind in ("patch", "bundle"):
        out_dir = tmp_path / f"dl-{kind}"
        out_dir.mkdir()
        with pytest.raises(InvalidInput) as err:
            actions.export_change(session=w.session, user=w.editor, task_id=task.id,
                                  kind=kind, directory=out_dir, expected_head=reviewed)
        assert err.value.key == "review.branch_moved" and list(out_dir.iterdir()) == []
    assert _audits(w.session, "task.download") == []


def _credential(w, user):
    credentials.set_user_credential(session=w.session, user=user, kind="api_key",
                                    secret="sk-ant-api03-unit-" + "z" * 30)


def test_resolving_a_shell_task_conflict_starts_a_claude_task_on_the_branch(w, fake_redis):
    task = w.task({"a.txt": "one\nTASK\nthree\n"})
    w.builder.commit("main", {"a.txt": "one\nMAIN\nthree\n"})
    _credential(w, w.editor)
    new = actions.resolve_conflicts(session=w.session, user=w.editor, task_id=task.id,
                                    idempotency_key=uuid.uuid4().hex, lang="en")
    assert (new.kind, new.branch, new.parent_id) == ("claude", task.branch, None)
    assert "a.txt" in new.command and "main" in new.command and "ebase" in new.command


def test_resolving_a_claude_thread_continues_its_latest_task(w, fake_redis):
    first = w.task({"a.txt": "one\nTASK\nthree\n"}, kind="claude", agent_session_id="s1")
    later = w.task(None, kind="claude", agent_session_id="s2", branch=first.branch,
                   parent_id=first.id)
    w.builder.commit("main", {"a.txt": "one\nMAIN\nthree\n"})
    _credential(w, w.editor)
    new = actions.resolve_conflicts(session=w.session, user=w.editor, task_id=first.id,
                                    idempotency_key=uuid.uuid4().hex, lang="zh")
    assert (new.parent_id, new.branch, new.kind) == (later.id, first.branch, "claude")
    assert "a.txt" in new.command


def test_resolving_without_a_conflict_is_refused(w, fake_redis):
    task = w.task({"b.txt": "b\n"})
    _credential(w, w.editor)
    with pytest.raises(InvalidInput) as err:
        actions.resolve_conflicts(session=w.session, user=w.editor, task_id=task.id,
                                  idempotency_key=uuid.uuid4().hex)
    assert err.value.key == "review.no_conflict"
    with pytest.raises(PermissionDenied):
        actions.resolve_conflicts(session=w.session, user=w.viewer, task_id=task.id,
                                  idempotency_key=uuid.uuid4().hex)
