"""Project read models for the UI: the caller's role, string values, no leaks."""

from __future__ import annotations

import pytest

from clawweb.models import ProjectRole, Role, User
from clawweb.services.projects import members, service as projects, views as project_views
from clawweb.services.projects import settings as project_settings
from clawweb.services.errors import NotFound


@pytest.fixture
def users(session):
    made = {}
    for name, role in (("alice", Role.member), ("bob", Role.member), ("root", Role.admin)):
        made[name] = User(username=name, role=role)
        session.add(made[name])
    session.commit()
    return made


@pytest.fixture
def project(session, users):
    project = projects.create_project(session=session, user=users["alice"], name="Zeta App",
                                      description="the app")
    members.add_member(session=session, user=users["alice"], project_id=project.id,
                       username="bob", role=ProjectRole.viewer)
    return project


def test_summaries_carry_each_callers_role(session, users, project):
    other = projects.create_project(session=session, user=users["bob"], name="Alpha")
    bob = project_views.project_summaries(session=session, user=users["bob"])
    assert [(p["name"], p["role"]) for p in bob] == [("Alpha", "owner"), ("Zeta App", "viewer")]
    alice = project_views.project_summaries(session=session, user=users["alice"])
    assert [p["id"] for p in alice] == [str(project.id)]  # never bob's own project
    assert alice[0] == {"id": str(project.id), "name": "Zeta App", "description": "the app",
                        "default_branch": "main", "role": "owner", "as_admin": "",
                        "created": project.created_at.strftime("%Y-%m-%d")}
    root = project_views.project_summaries(session=session, user=users["root"])
    assert {p["id"] for p in root} == {str(project.id), str(other.id)}


def test_detail_is_strings_and_minutes(session, users, project):
    project_settings.update_project(session=session, user=users["alice"], project_id=project.id,
                                    task_timeout_seconds=5400, max_concurrent_tasks=7)
    view = project_views.project_detail(session=session, user=users["bob"],
                                        project_id=project.id)
    assert view["role"] == "viewer"
    assert view["task_timeout_minutes"] == "90" and view["max_concurrent_tasks"] == "7"
    assert all(isinstance(v, str) for v in view.values())


def test_detail_refuses_strangers_and_unknown_ids(session, users, project):
    stranger = User(username="eve", role=Role.member)
    session.add(stranger)
    session.commit()
    for user, project_id in ((stranger, project.id), (users["alice"], project.id + 100),
                             (None, project.id)):
        with pytest.raises(Exception) as err:
            project_views.project_detail(session=session, user=user, project_id=project_id)
        assert err.type.__name__ in ("NotFound", "PermissionDenied")
    with pytest.raises(NotFound):
        project_views.project_detail(session=session, user=stranger, project_id=project.id)


def test_an_admin_who_is_not_a_member_is_shown_as_admin_not_owner(session, users, project):
    root = project_views.project_detail(session=session, user=users["root"],
                                        project_id=project.id)
    assert (root["role"], root["as_admin"]) == ("owner", "1")  # may act as owner, is no owner
    [summary] = [p for p in project_views.project_summaries(session=session, user=users["root"])
                 if p["id"] == str(project.id)]
    assert summary["as_admin"] == "1"
    alice = project_views.project_detail(session=session, user=users["alice"],
                                         project_id=project.id)
    assert alice["as_admin"] == ""
    mine = projects.create_project(session=session, user=users["root"], name="Root's own")
    assert project_views.project_detail(session=session, user=users["root"],
                                        project_id=mine.id)["as_admin"] == ""
