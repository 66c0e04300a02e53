"""A project's Claude Code settings: model, permission mode, rules, limits, egress.

``validate`` checks every field and raises ``InvalidInput`` with a catalog key
(``agents.*``) naming what is wrong; ``update`` stores a validated change for a
project owner, audited. The worker reads ``for_project``.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, select

from clawweb.models import PROJECT_ROLE_RANK, AgentSettings, Project, ProjectMember, ProjectRole, Role, User
from clawweb.services import audit
from clawweb.services.errors import InvalidInput, PermissionDenied

PERMISSION_MODES = ("default", "acceptEdits", "plan", "bypassPermissions")
MAX_RULES = 100
MAX_TURNS = 500
MAX_BUDGET_USD = 1000.0
MIN_APPROVAL_TIMEOUT, MAX_APPROVAL_TIMEOUT = 30, 7 * 24 * 3600
MAX_SYSTEM_PROMPT = 20_000
MAX_HOSTS = 50

_MODEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@\[\]-]{0,99}$")
# Claude Code rule syntax: a tool name, optionally with a specifier in
# parentheses: Edit, Bash(npm test:*), WebFetch(domain:example.org), mcp__srv__tool.
# Nested parentheses are refused: the CLI's own parser would read them differently.
_RULE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9_]*|mcp__[A-Za-z0-9_-]+)(?:\([^()\r\n]{1,500}\))?$")
_HOST = re.compile(r"^\.?[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9](?:[a-z0-9-]{0,62}))*(?::\d{1,5})?$")

FIELDS = ("model", "permission_mode", "allowed_tools", "denied_tools", "max_turns", "budget_usd",
          "system_prompt", "approval_timeout_seconds", "egress_allow_hosts", "allow_read_only",
          "allowed_models", "use_repo_settings")
MAX_MODELS = 20


def _rules(values: Any) -> list[str]:
    if isinstance(values, str):
        values = [v for v in re.split(r"[\r\n]+", values)]
    out: list[str] = []
    for raw in values or []:
        rule = str(raw).strip()
        if not rule:
            continue
        if not _RULE.match(rule):
            raise InvalidInput("agents.bad_rule", rule=rule[:80])
        if rule not in out:
            out.append(rule)
    if len(out) > MAX_RULES:
        raise InvalidInput("agents.too_many_rules", max=MAX_RULES)
    return out


def _hosts(values: Any) -> list[str]:
    if isinstance(values, str):
        values = re.split(r"[\s,]+", values)
    out: list[str] = []
    for raw in values or []:
        host = str(raw).strip().lower().rstrip(".")
        if not host:
            continue
        port = host.rpartition(":")[2] if ":" in host else ""
        if not _HOST.match(host) or (port and not 0 < int(port) < 65536):
            raise InvalidInput("agents.bad_host", host=host[:80])
        if host not in out:
            out.append(host)
    if len(out) > MAX_HOSTS:
        raise InvalidInput("agents.too_many_rules", max=MAX_HOSTS)
    return out


def _models(values: Any) -> list[str]:
    if isinstance(values, str):
        values = re.split(r"[\s,]+", values)
    out: list[str] = []
    for raw in values or []:
        model = str(raw).strip()
        if not model:
            continue
        if not _MODEL.match(model):
            raise InvalidInput("agents.bad_model")
        if model not in out:
            out.append(model)
    if len(out) > MAX_MODELS:
        raise InvalidInput("agents.too_many_rules", max=MAX_MODELS)
    return out


def _number(value: Any, cast, key: str, lo, hi, **params):
    try:
        number = cast(value)
    except (TypeError, ValueError):
        raise InvalidInput(key, **params) from None
    if not lo <= number <= hi or number != number:  # NaN fails both ways
        raise InvalidInput(key, **params)
    return number


def validate(values: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise the fields present in ``values``.

    Returns:
        The cleaned values (only the keys given, unknown keys dropped).

    Raises:
        InvalidInput: with an ``agents.*`` key for the first bad field.
    """
    out: dict[str, Any] = {}
    if "model" in values:
        model = str(values["model"] or "").strip()
        if model and not _MODEL.match(model):
            raise InvalidInput("agents.bad_model")
        out["model"] = model
    if "allowed_models" in values:
        out["allowed_models"] = _models(values["allowed_models"])
    if "permission_mode" in values:
        if values["permission_mode"] not in PERMISSION_MODES:
            raise InvalidInput("agents.bad_permission_mode")
        out["permission_mode"] = values["permission_mode"]
    for name in ("allowed_tools", "denied_tools"):
        if name in values:
            out[name] = _rules(values[name])
    if "max_turns" in values:
        out["max_turns"] = _number(values["max_turns"], int, "agents.bad_max_turns", 1, MAX_TURNS,
                                   max=MAX_TURNS)
    if "budget_usd" in values:
        budget = _number(values["budget_usd"], float, "agents.bad_budget", 0.0, MAX_BUDGET_USD,
                         max=MAX_BUDGET_USD)
        if budget <= 0:
            raise InvalidInput("agents.bad_budget", max=MAX_BUDGET_USD)
        out["budget_usd"] = round(budget, 4)
    if "approval_timeout_seconds" in values:
        out["approval_timeout_seconds"] = _number(
            values["approval_timeout_seconds"], int, "agents.bad_approval_timeout",
            MIN_APPROVAL_TIMEOUT, MAX_APPROVAL_TIMEOUT, min=MIN_APPROVAL_TIMEOUT,
            max=MAX_APPROVAL_TIMEOUT)
    if "system_prompt" in values:
        prompt = str(values["system_prompt"] or "")
        if len(prompt) > MAX_SYSTEM_PROMPT:
            raise InvalidInput("agents.system_prompt_too_long", max=MAX_SYSTEM_PROMPT)
        out["system_prompt"] = prompt
    if "egress_allow_hosts" in values:
        out["egress_allow_hosts"] = _hosts(values["egress_allow_hosts"])
    for name in ("allow_read_only", "use_repo_settings"):
        if name in values:
            out[name] = values[name] in (True, "on", "true", "1")
    return out


def for_project(*, session: Session, project_id: int) -> AgentSettings:
    """The project's settings, or the defaults (not stored) when it has none."""
    return session.get(AgentSettings, project_id) or AgentSettings(project_id=project_id)


def snapshot(row: AgentSettings) -> dict[str, Any]:
    return {name: getattr(row, name) for name in FIELDS}


def _require_owner(session: Session, user: User, project: Project) -> None:
    if user.disabled:
        raise PermissionDenied()
    if user.role == Role.admin:
        return
    member = session.exec(select(ProjectMember).where(
        ProjectMember.project_id == project.id, ProjectMember.user_id == user.id)).first()
    if member is None or PROJECT_ROLE_RANK[ProjectRole(member.role)] < PROJECT_ROLE_RANK[ProjectRole.owner]:
        raise PermissionDenied()


def update(*, session: Session, user: User, project: Project, values: dict[str, Any],
           ip: str = "") -> AgentSettings:
    """Validate and store a change to the project's agent settings (owners and admins)."""
    _require_owner(session, user, project)
    clean = validate(values)
    row = session.get(AgentSettings, project.id)
    before = snapshot(row) if row else None
    row = row or AgentSettings(project_id=project.id)
    for name, value in clean.items():
        setattr(row, name, value)
    session.add(row)
    audit.record(session=session, actor=user, action="agent_settings.update", object_type="project",
                 object_id=project.id, before=before, after=snapshot(row), ip=ip)
    session.commit()
    return row


def remove_allowed_rule(*, session: Session, user: User, project: Project, rule: str,
                        ip: str = "") -> AgentSettings:
    """Take one pre-approved rule away (e.g. one added by "always allow")."""
    row = for_project(session=session, project_id=project.id)
    return update(session=session, user=user, project=project, ip=ip,
                  values={"allowed_tools": [r for r in row.allowed_tools or [] if r != rule]})
