"""What a person may choose per prompt: the model and the permission mode, within the project's.

The project's settings (:mod:`clawweb.services.agents.settings`) hold one
permission mode and one model, the defaults, plus the other models the owner
lets members pick (``allowed_models``). A prompt may ask for any mode that
lets the agent do no more than the project's mode does: plan (reads only) <
ask (``default``) < accept edits < bypass, so a member picks bypass only
where the owner set bypass. The service checks every choice (the browser's
offer is a convenience); the worker checks again at run time, so a choice the
owner withdrew in between is not used.
"""

from __future__ import annotations

from sqlmodel import Session

from clawweb.models import AgentSettings, ProjectRole, Task, User
from clawweb.services import access
from clawweb.services.errors import InvalidInput

# How much each mode lets the agent do without a person; the order offered.
MODE_RANK = {"plan": 0, "default": 1, "acceptEdits": 2, "bypassPermissions": 3}
OFFER_ORDER = ("default", "acceptEdits", "plan", "bypassPermissions")


def _project_mode(conf: AgentSettings) -> str:
    return conf.permission_mode if conf.permission_mode in MODE_RANK else "default"


def allowed_modes(conf: AgentSettings) -> list[str]:
    """The permission modes a prompt may use in this project, in the order the box offers them."""
    top = MODE_RANK[_project_mode(conf)]
    return [m for m in OFFER_ORDER if MODE_RANK[m] <= top]


def allowed_models(conf: AgentSettings) -> list[str]:
    """The models a prompt may use: the project's first ("" = the CLI's default), then the extras."""
    out = [conf.model or ""]
    for model in conf.allowed_models or []:
        if model and model not in out:
            out.append(model)
    return out


def resolve(conf: AgentSettings, *, model: str = "", permission_mode: str = "") -> tuple[str, str]:
    """The (model, mode) a prompt runs with; "" takes the project's setting.

    Raises:
        InvalidInput: ``agent_tasks.model_not_allowed`` / ``agent_tasks.mode_not_allowed``.
    """
    model = (model or "").strip() or (conf.model or "")
    mode = (permission_mode or "").strip() or _project_mode(conf)
    if model not in allowed_models(conf):
        raise InvalidInput("agent_tasks.model_not_allowed")
    if mode not in allowed_modes(conf):
        raise InvalidInput("agent_tasks.mode_not_allowed")
    return model, mode


def for_run(conf: AgentSettings, task: Task) -> tuple[str, str]:
    """The task's (model, mode), checked against the settings as they are now.

    Raises:
        InvalidInput: the owner no longer allows the task's choice.
    """
    return resolve(conf, model=task.model or "", permission_mode=task.permission_mode or "")


def mode_after_plan(conf: AgentSettings) -> str:
    """Where an approved plan goes on: accept edits if the project allows it, else ask."""
    edits = MODE_RANK[_project_mode(conf)] >= MODE_RANK["acceptEdits"]
    return "acceptEdits" if edits else "default"


def offer(*, session: Session, user: User, project_id: int) -> dict:
    """What the prompt box offers an editor of the project (editor or better).

    Returns:
        ``{"modes": [...], "models": [...], "mode": default, "model": default}``.
    """
    access.require_role(session=session, user=user, project_id=project_id,
                        at_least=ProjectRole.editor)
    conf = session.get(AgentSettings, project_id) or AgentSettings(project_id=project_id)
    return {"modes": allowed_modes(conf), "models": allowed_models(conf),
            "mode": _project_mode(conf), "model": conf.model or ""}
