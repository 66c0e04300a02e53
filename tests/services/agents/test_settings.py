import pytest

from clawweb.models import ProjectRole
from clawweb.services.agents import settings as agent_settings
from clawweb.services.errors import InvalidInput, PermissionDenied
from tests.services.agent_fixtures import add_member, make_project, make_user


def test_valid_values_are_normalised():
    out = agent_settings.validate({
        "model": "claude-sonnet-4-5", "permission_mode": "acceptEdits",
        "allowed_tools": "Edit\nBash(npm test:*)\n\nEdit", "denied_tools": ["WebFetch"],
        "max_turns": "20", "budget_usd": "2.5", "approval_timeout_seconds": 600,
        "egress_allow_hosts": "PyPI.org, .pythonhosted.org registry.npmjs.org:443",
        "system_prompt": "Be brief.", "unknown": 1,
    })
    assert out["allowed_tools"] == ["Edit", "Bash(npm test:*)"]
    assert out["egress_allow_hosts"] == ["pypi.org", ".pythonhosted.org", "registry.npmjs.org:443"]
    assert (out["max_turns"], out["budget_usd"]) == (20, 2.5)
    assert "unknown" not in out


@pytest.mark.parametrize("values,key", [
    ({"permission_mode": "yolo"}, "agents.bad_permission_mode"),
    ({"permission_mode": "dontAsk"}, "agents.bad_permission_mode"),
    ({"model": "bad model;rm"}, "agents.bad_model"),
    ({"allowed_tools": ["Bash(npm test:*"]}, "agents.bad_rule"),
    ({"allowed_tools": ["Bash(echo $(id))"]}, "agents.bad_rule"),
    ({"allowed_tools": ["Bash, Edit"]}, "agents.bad_rule"),
    ({"denied_tools": ["9lives"]}, "agents.bad_rule"),
    ({"allowed_tools": [f"Tool{i}" for i in range(101)]}, "agents.too_many_rules"),
    ({"max_turns": 0}, "agents.bad_max_turns"),
    ({"max_turns": "many"}, "agents.bad_max_turns"),
    ({"budget_usd": 0}, "agents.bad_budget"),
    ({"budget_usd": "nan"}, "agents.bad_budget"),
    ({"budget_usd": 10_000}, "agents.bad_budget"),
    ({"approval_timeout_seconds": 5}, "agents.bad_approval_timeout"),
    ({"system_prompt": "x" * 20_001}, "agents.system_prompt_too_long"),
    ({"egress_allow_hosts": ["*"]}, "agents.bad_host"),
    ({"egress_allow_hosts": ["http://pypi.org"]}, "agents.bad_host"),
    ({"egress_allow_hosts": ["pypi.org:99999"]}, "agents.bad_host"),
])
def test_bad_values_refused_with_their_key(values, key):
    with pytest.raises(InvalidInput) as err:
        agent_settings.validate(values)
    assert err.value.key == key


def test_only_owner_updates_and_rule_removal(session):
    owner, editor = make_user(session, "o"), make_user(session, "e")
    project = make_project(session, owner)
    add_member(session, project, editor, ProjectRole.editor)
    with pytest.raises(PermissionDenied):
        agent_settings.update(session=session, user=editor, project=project,
                              values={"max_turns": 3})
    row = agent_settings.update(session=session, user=owner, project=project,
                                values={"allowed_tools": ["Edit", "Bash(ls)"], "max_turns": 3})
    assert row.max_turns == 3
    row = agent_settings.remove_allowed_rule(session=session, user=owner, project=project,
                                             rule="Bash(ls)")
    assert agent_settings.for_project(session=session, project_id=project.id).allowed_tools == ["Edit"]


def test_defaults_when_unset(session):
    row = agent_settings.for_project(session=session, project_id=42)
    assert (row.permission_mode, row.approval_timeout_seconds) == ("default", 1800)


def test_read_only_allowance_is_off_by_default_and_stored_when_chosen(session):
    owner = make_user(session, "o")
    project = make_project(session, owner)
    assert agent_settings.for_project(session=session, project_id=project.id).allow_read_only \
        is False
    row = agent_settings.update(session=session, user=owner, project=project,
                                values={"allow_read_only": True})
    assert row.allow_read_only is True
    assert agent_settings.validate({"allow_read_only": ""}) == {"allow_read_only": False}


def test_repo_settings_are_on_by_default_and_an_owner_turns_them_off_audited(session):
    from sqlmodel import select

    from clawweb.models import AuditEvent
    owner = make_user(session, "o")
    project = make_project(session, owner)
    assert agent_settings.for_project(session=session, project_id=project.id).use_repo_settings \
        is True
    row = agent_settings.update(session=session, user=owner, project=project,
                                values={"use_repo_settings": False})
    assert row.use_repo_settings is False
    event = session.exec(select(AuditEvent).where(
        AuditEvent.action == "agent_settings.update")).all()[-1]
    assert event.after["use_repo_settings"] is False
    assert agent_settings.validate({"use_repo_settings": "on"}) == {"use_repo_settings": True}
    editor = make_user(session, "e")
    add_member(session, project, editor, ProjectRole.editor)
    with pytest.raises(PermissionDenied):
        agent_settings.update(session=session, user=editor, project=project,
                              values={"use_repo_settings": True})
