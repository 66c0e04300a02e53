"""The prompt box's completions through the real handlers: loaded, filtered, picked."""

from __future__ import annotations

import reflex  # noqa: F401 - a missing Reflex must fail these tests, never skip them
from sqlmodel import Session

from clawweb.models import Project, ProjectMember, ProjectRole, User
from clawweb.services import git
from clawweb.services.projects.service import project_repo_path
from tests.services.review.builder import RepoBuilder
from tests.state.test_agent_ui_state import _state, world  # noqa: F401


def _repo(engine, project_id, tmp_path):
    with Session(engine) as s:
        bare = project_repo_path(s.get(Project, project_id))
    git.init_empty(bare)
    RepoBuilder(tmp_path, bare=bare).commit("main", {
        ".claude/commands/deploy.md": "---\ndescription: Deploy to staging\n---\n",
        ".claude/commands/debug.md": "Find the bug\n"})


def _handler(name):
    from clawweb.state.prompt_completions import PromptCompletionsState
    return PromptCompletionsState.event_handlers[name].fn


def test_loaded_filtered_as_you_type_and_picked(world, engine, tmp_path):
    from clawweb.state.prompt_completions import PromptCompletionsState

    token, _user_id, project_id = world
    _repo(engine, project_id, tmp_path)
    _, state = _state(PromptCompletionsState, token, f"/projects/{project_id}")
    _handler("load_for_project")(state)
    names = [c["name"] for c in state.completions]
    assert names[-2:] == ["debug", "deploy"] and "init" in names
    init = next(c for c in state.completions if c["name"] == "init")
    assert init["description"]  # a built-in's words come from the catalog
    _handler("prompt_changed")(state, "/de")
    assert [m["name"] for m in state.matches] == ["debug", "deploy"]
    _handler("prompt_changed")(state, "/dep")
    assert [m["name"] for m in state.matches] == ["deploy"]
    _handler("prompt_changed")(state, "fix /dep")  # not at the start: no list
    assert state.matches == []
    _handler("prompt_changed")(state, "/deploy now")  # past the name: the list goes
    assert state.matches == []
    _handler("prompt_changed")(state, "/dep")
    events = _handler("pick")(state, "deploy")
    assert "/deploy " in repr(events) and state.matches == []
    assert _handler("pick")(state, "not-offered") is None


def test_a_viewer_gets_no_completions(world, engine, tmp_path):
    from clawweb.state.prompt_completions import PromptCompletionsState

    token, user_id, project_id = world
    _repo(engine, project_id, tmp_path)
    with Session(engine) as s:
        member = s.query(ProjectMember).filter_by(user_id=user_id).one()
        member.role = ProjectRole.viewer
        s.add(member)
        s.commit()
    _, state = _state(PromptCompletionsState, token, f"/projects/{project_id}")
    _handler("load_for_project")(state)
    _handler("prompt_changed")(state, "/")
    assert state.completions == [] and state.matches == []


def test_the_repo_settings_switch_shows_on_and_an_unticked_box_turns_it_off(world, engine):
    from clawweb.models import AgentSettings
    from clawweb.state.project_agent import ProjectAgentState

    token, _, project_id = world
    _, state = _state(ProjectAgentState, token, f"/projects/{project_id}/settings")
    handlers = ProjectAgentState.event_handlers
    handlers["load_agent_settings"].fn(state)
    assert state.agent["use_repo_settings"] == "on"
    form = {k: v for k, v in state.agent.items() if k != "use_repo_settings"}
    handlers["save_agent_settings"].fn(state, form)  # an unticked checkbox sends nothing
    assert state.agent_error == "" and state.agent["use_repo_settings"] == ""
    with Session(engine) as s:
        assert s.get(AgentSettings, project_id).use_repo_settings is False
    handlers["save_agent_settings"].fn(state, {**form, "use_repo_settings": "on"})
    with Session(engine) as s:
        assert s.get(AgentSettings, project_id).use_repo_settings is True


def test_the_first_slash_loads_the_list_when_the_mount_load_came_too_early(world, engine,
                                                                          tmp_path):
    """A load that ran before the page knew its project (or never ran) is made up for."""
    from clawweb.state.prompt_completions import PromptCompletionsState

    token, _user_id, project_id = world
    _repo(engine, project_id, tmp_path)
    _, state = _state(PromptCompletionsState, token, f"/projects/{project_id}")
    _handler("prompt_changed")(state, "/dep")
    assert [m["name"] for m in state.matches] == ["deploy"]


def _task(engine, user_id, project_id) -> int:
    from clawweb.models import Task

    with Session(engine) as s:
        task = Task(project_id=project_id, created_by=user_id, command="fix it")
        s.add(task)
        s.commit()
        return task.id


def test_the_task_pages_follow_up_box_gets_its_projects_list_and_the_pick(world, engine,
                                                                         tmp_path):
    """The follow-up box (the task page's only prompt box) offers the task's project's list."""
    from clawweb.state.prompt_completions import FOLLOW_UP_BOX_ID, PromptCompletionsState

    token, user_id, project_id = world
    _repo(engine, project_id, tmp_path)
    task_id = _task(engine, user_id, project_id)
    _, state = _state(PromptCompletionsState, token, f"/tasks/{task_id}")
    _handler("load_for_task")(state)
    assert [c["name"] for c in state.completions][-2:] == ["debug", "deploy"]
    _handler("prompt_changed")(state, "/dep")
    assert [m["name"] for m in state.matches] == ["deploy"]
    events = repr(_handler("pick")(state, "deploy"))
    ref = FOLLOW_UP_BOX_ID.replace("-", "_")  # Reflex names the box's ref this way
    assert ref in events and "task_command" not in events


def test_a_stranger_on_a_task_page_gets_no_completions(world, engine, tmp_path):
    from clawweb.state.prompt_completions import PromptCompletionsState

    token, user_id, project_id = world
    _repo(engine, project_id, tmp_path)
    task_id = _task(engine, user_id, project_id)
    with Session(engine) as s:
        s.delete(s.query(ProjectMember).filter_by(user_id=user_id).one())
        s.commit()
    _, state = _state(PromptCompletionsState, token, f"/tasks/{task_id}")
    _handler("load_for_task")(state)
    _handler("prompt_changed")(state, "/")
    assert state.completions == [] and state.matches == []


def test_typing_after_the_slash_loads_the_list_once_even_when_nothing_is_offered(
        world, engine, tmp_path, monkeypatch):
    """Each keystroke is an event: a page whose load found nothing must not load again."""
    from clawweb.state import prompt_completions
    from clawweb.state.prompt_completions import PromptCompletionsState

    token, user_id, project_id = world
    _repo(engine, project_id, tmp_path)
    task_id = _task(engine, user_id, project_id)
    with Session(engine) as s:
        s.delete(s.query(ProjectMember).filter_by(user_id=user_id).one())
        s.commit()
    reads = []
    real = prompt_completions.task_service.get_task
    monkeypatch.setattr(prompt_completions.task_service, "get_task",
                        lambda **kw: reads.append(kw["task_id"]) or real(**kw))
    _, state = _state(PromptCompletionsState, token, f"/tasks/{task_id}")
    _handler("load_for_task")(state)
    for typed in ("/", "/d", "/de", "/dep"):
        _handler("prompt_changed")(state, typed)
    assert reads == [task_id] and state.matches == []
