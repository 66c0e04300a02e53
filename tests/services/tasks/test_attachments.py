"""Attachments on the server: names, limits while streaming, who may upload, the submit hand-off."""

from __future__ import annotations

import os

import pytest

from clawweb.models import Project, ProjectMember, ProjectRole, TaskAttachment, User
from clawweb.services.errors import InvalidInput, PermissionDenied
from clawweb.services.tasks import attachments as att, service as tasks
from clawweb.settings import get_settings

SMALL = att.Limits(count=3, file_bytes=10, total_bytes=15)


@pytest.fixture
def world(session, fake_redis):
    editor, viewer = User(username="ed"), User(username="vi")
    project = Project(name="P", slug="p")
    session.add_all([editor, viewer, project])
    session.flush()
    session.add_all([
        ProjectMember(project_id=project.id, user_id=editor.id, role=ProjectRole.editor),
        ProjectMember(project_id=project.id, user_id=viewer.id, role=ProjectRole.viewer)])
    session.commit()
    return editor, viewer, project


def _blobs() -> list[str]:
    folder = get_settings().attachments_dir
    return sorted(os.listdir(folder)) if folder.exists() else []


def _upload(session, user, project, files: dict[str, bytes], limits=SMALL) -> list[dict]:
    up = att.start_upload(session, user, project.id, limits)
    try:
        for name, data in files.items():
            up.write(name, 0, data[:4])
            if data[4:]:
                up.write(name, 4, data[4:])
    except Exception:
        up.abort()
        raise
    return att.finish_upload(session, user, up)


@pytest.mark.parametrize("raw", ["../x", "a/b", "a\\b", "x\x00y", "bell\x07", "..", ".", "",
                                 "   ", "/etc/passwd"])
def test_a_name_that_is_a_path_or_has_control_characters_is_refused(raw):
    with pytest.raises(InvalidInput) as exc:
        att.clean_name(raw)
    assert exc.value.key == "attachments.error.bad_name"


def test_names_are_cleaned_not_guessed():
    assert att.clean_name("photo.jpg") == "photo.jpg"
    assert att.clean_name("照片 1.png") == "照片 1.png"  # any script's letters stay
    assert att.clean_name("e\u0301t\u00e9.txt") == "\u00e9t\u00e9.txt"  # NFC
    assert att.clean_name(".env") == "env"  # no hidden files
    assert att.clean_name("a*b?c[d].txt") == "a_b_c_d_.txt"  # no glob marks
    long = att.clean_name("é" * 200 + ".jpeg")
    assert long.endswith(".jpeg") and len(long.encode()) <= att.MAX_NAME_BYTES
    assert long.startswith("é") and "\ufffd" not in long  # not cut inside a character


def test_an_upload_is_stored_under_an_id_owned_by_uploader_and_project(session, world):
    editor, _viewer, project = world
    got = _upload(session, editor, project, {"evil name?.txt": b"hello worl"})
    [row] = session.query(TaskAttachment).all()
    assert got == [{"id": row.upload_id, "name": "evil name_.txt", "size": 10,
                    "path": "attachments/evil name_.txt"}]
    assert (row.user_id, row.project_id, row.task_id) == (editor.id, project.id, None)
    assert _blobs() == [row.upload_id]  # never the user's name on the server's disk
    assert att.blob_path(row.upload_id).read_bytes() == b"hello worl"


def test_a_viewer_may_not_upload(session, world):
    _editor, viewer, project = world
    with pytest.raises(PermissionDenied):
        att.start_upload(session, viewer, project.id, SMALL)
    assert _blobs() == []


def test_a_file_over_the_limit_is_refused_while_it_streams(session, world):
    editor, _viewer, project = world
    up = att.start_upload(session, editor, project.id, SMALL)
    up.write("a.bin", 0, b"x" * 10)
    with pytest.raises(InvalidInput) as exc:
        up.write("a.bin", 10, b"x")  # the 11th byte: refused before it is written
    assert exc.value.key == "attachments.error.file_too_big"
    assert os.path.getsize(att.blob_path(up.files[0].upload_id)) == 10
    up.abort()
    assert _blobs() == []


def test_the_total_and_the_count_count_what_is_already_pending(session, world):
    editor, _viewer, project = world
    _upload(session, editor, project, {"a": b"1234567890"})
    with pytest.raises(InvalidInput) as exc:
        _upload(session, editor, project, {"b": b"123456"})  # 16 > 15 in all
    assert exc.value.key == "attachments.error.total_too_big"
    _upload(session, editor, project, {"b": b"1", "c": b"2"})
    with pytest.raises(InvalidInput) as exc:
        _upload(session, editor, project, {"d": b"3"})  # a 4th file
    assert exc.value.key == "attachments.error.too_many"
    assert len(_blobs()) == 3  # the refused uploads left nothing behind


def test_the_same_name_twice_gets_a_suffix(session, world):
    editor, _viewer, project = world
    got = _upload(session, editor, project, {"a.txt": b"1"})
    got += _upload(session, editor, project, {"a.txt": b"2"})
    assert [g["name"] for g in got] == ["a.txt", "a-2.txt"]


def test_submit_hands_pending_uploads_to_the_task(session, world):
    editor, _viewer, project = world
    [up] = _upload(session, editor, project, {"a.txt": b"1"})
    task = tasks.submit_task(session=session, user=editor, project_id=project.id,
                             command="cat attachments/a.txt", idempotency_key="k1",
                             attachment_ids=[up["id"]])
    assert att.for_task(session, task.id) == [up]
    assert att.pending(session, editor, project.id) == []


def test_submit_refuses_an_upload_that_is_not_the_callers(session, world):
    editor, viewer, project = world
    other = User(username="ot")
    session.add(other)
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=other.id, role=ProjectRole.editor))
    session.commit()
    [up] = _upload(session, other, project, {"a.txt": b"1"})
    with pytest.raises(InvalidInput) as exc:
        tasks.submit_task(session=session, user=editor, project_id=project.id,
                          command="true", idempotency_key="k2", attachment_ids=[up["id"]])
    assert exc.value.key == "attachments.error.gone"
    session.rollback()
    assert session.get(TaskAttachment, 1).task_id is None


def test_deleting_the_project_takes_its_attachment_rows(session, world):
    from clawweb.models import Task, TaskStatus
    from clawweb.services.projects import deletion

    editor, _viewer, project = world
    owner = User(username="ow")
    session.add(owner)
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=owner.id, role=ProjectRole.owner))
    session.commit()
    [up] = _upload(session, editor, project, {"a.txt": b"1"})
    _upload(session, editor, project, {"b.txt": b"2"})  # still pending
    task = tasks.submit_task(session=session, user=editor, project_id=project.id,
                             command="true", idempotency_key="k3", attachment_ids=[up["id"]])
    session.get(Task, task.id).status = TaskStatus.succeeded
    session.commit()
    deletion.delete_project(session=session, user=owner, project_id=project.id,
                            confirm_name="P")
    assert session.query(TaskAttachment).count() == 0


def test_uploads_never_submitted_are_swept_after_a_day(session, world):
    from datetime import timedelta

    from clawweb.models import utcnow

    editor, _viewer, project = world
    [old] = _upload(session, editor, project, {"old.txt": b"1"})
    [new] = _upload(session, editor, project, {"new.txt": b"2"})
    row = session.query(TaskAttachment).filter_by(upload_id=old["id"]).one()
    row.created_at = utcnow() - att.PENDING_MAX_AGE - timedelta(minutes=1)
    session.commit()
    att.start_upload(session, editor, project.id, SMALL)  # any upload sweeps
    assert [a["id"] for a in att.pending(session, editor, project.id)] == [new["id"]]
    assert _blobs() == [new["id"]]
