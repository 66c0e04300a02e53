"""The task page's header read model says whether the caller may act on the task."""

from clawweb.models import ProjectRole, Role, TaskStatus
from clawweb.services.tasks import views as task_views
from tests.services.agent_fixtures import add_member, make_project, make_task, make_user


def test_only_editors_and_better_may_act(session):
    owner, editor, viewer = (make_user(session, n) for n in ("own", "ed", "vi"))
    admin = make_user(session, "adm")
    admin.role = Role.admin
    session.add(admin)
    session.commit()
    project = make_project(session, owner)
    add_member(session, project, editor, ProjectRole.editor)
    add_member(session, project, viewer, ProjectRole.viewer)
    task = make_task(session, project, owner, status=TaskStatus.running)
    acts = {u.username: task_views.task_detail(session, task, user=u)["can_act"]
            for u in (owner, editor, viewer, admin)}
    assert acts == {"own": True, "ed": True, "vi": False, "adm": True}
