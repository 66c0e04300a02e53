"""Project settings, "Claude Code" section: credential, agent settings, allowed rules."""

from __future__ import annotations

import reflex as rx

from clawweb.components.credential import credential_card
from clawweb.components.i18n import tr
from clawweb.state.project_agent import PERMISSION_MODES, ProjectAgentState as S

MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
WRAP = {"overflow_wrap": "anywhere", "word_break": "break-word"}


def _labelled(label_key: str, control: rx.Component, name: str,
              hint_key: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(tr(label_key), as_="label", size="2", weight="medium", html_for=f"agent-{name}"),
        control,
        rx.cond(hint_key != "", rx.text(tr(hint_key) if hint_key else "", size="1",
                                        color_scheme="gray")),
        spacing="1", width="100%")


def _input(name: str, label_key: str, hint_key: str = "", **props) -> rx.Component:
    return _labelled(label_key, rx.input(
        name=name, id=f"agent-{name}", default_value=S.agent[name], size="3", width="100%",
        data_testid=f"agent-{name}", **props), name, hint_key)


def _lines(name: str, label_key: str, hint_key: str = "", rows: str = "3",
           mono: bool = True) -> rx.Component:
    return _labelled(label_key, rx.text_area(
        name=name, id=f"agent-{name}", default_value=S.agent[name], rows=rows, width="100%",
        auto_capitalize="none", auto_correct="off", spell_check=False, resize="vertical",
        font_family=MONO if mono else None, style=WRAP, data_testid=f"agent-{name}"),
        name, hint_key)


def _mode_select() -> rx.Component:
    return _labelled("ui_agents.permission_mode", rx.select.root(
        rx.select.trigger(id="agent-permission_mode", width="100%",
                          data_testid="agent-permission_mode"),
        rx.select.content(*[rx.select.item(tr(f"ui_agents.mode.{m}"), value=m,
                                           data_testid=f"agent-mode-{m}")
                            for m in PERMISSION_MODES]),
        name="permission_mode", default_value=S.agent["permission_mode"], size="3"),
        "permission_mode", "ui_agents.bypass_note")


def _switch(name: str, label_key: str, hint_key: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(
            rx.hstack(
                rx.checkbox(name=name, id=f"agent-{name}", default_checked=S.agent[name] == "on",
                            data_testid=f"agent-{name}"),
                rx.text(tr(label_key), size="2"),
                spacing="2", align="center"),
            html_for=f"agent-{name}"),
        rx.text(tr(hint_key), size="1", color_scheme="gray", style=WRAP),
        spacing="1", width="100%")


def _read_only_switch() -> rx.Component:
    return _switch("allow_read_only", "ui_agents.allow_read_only",
                   "ui_agents.allow_read_only_hint")


def settings_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(tr("ui_agents.settings"), size="4"),
            rx.cond(S.agent_error != "", rx.callout(
                S.agent_error, icon="triangle-alert", color_scheme="red", width="100%",
                role="alert", style=WRAP, data_testid="agent-error")),
            _input("model", "ui_agents.model", "ui_agents.model_hint", auto_capitalize="none",
                   auto_complete="off", spell_check=False, max_length=100),
            _lines("allowed_models", "ui_agents.allowed_models", "ui_agents.allowed_models_hint",
                   "2"),  # prompt-c: per-prompt model choices
            _mode_select(),
            _read_only_switch(),
            _switch("use_repo_settings", "ui_agents.use_repo_settings",
                    "ui_agents.use_repo_settings_hint"),
            _lines("allowed_tools", "ui_agents.allowed_tools", "ui_agents.rules_hint", "4"),
            _lines("denied_tools", "ui_agents.denied_tools", "ui_agents.rules_hint"),
            rx.flex(
                _input("max_turns", "ui_agents.max_turns", type="number", min=1, max=500),
                _input("budget_usd", "ui_agents.budget", type="number", min=0, step="any"),
                _input("approval_timeout_minutes", "ui_agents.approval_timeout", type="number",
                       min=1),
                direction=rx.breakpoints(initial="column", sm="row"), spacing="3",
                width="100%"),
            _lines("system_prompt", "ui_agents.system_prompt", rows="4", mono=False),
            _lines("egress_allow_hosts", "ui_agents.egress", "ui_agents.egress_hint"),
            rx.button(tr("shell.save"), type="submit", size="3", data_testid="agent-save"),
            spacing="3", width="100%", align="start",
        ),
        on_submit=S.save_agent_settings, reset_on_submit=False, width="100%",
        key=S.form_rev.to_string(),
    )


def _rule(rule: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.code(rule, style=WRAP, flex="1", min_width="0", data_testid="allowed-rule-text"),
        rx.icon_button(rx.icon("x", size=14), size="1", variant="soft", color_scheme="red",
                       aria_label=tr("ui_agents.remove_rule"), title=tr("ui_agents.remove_rule"),
                       on_click=S.remove_rule(rule), data_testid="allowed-rule-remove"),
        align="center", width="100%", spacing="2", padding_y="var(--space-1)",
        border_bottom=f"1px solid {rx.color('gray', 4)}", data_testid="allowed-rule",
    )


def allowed_rules() -> rx.Component:
    return rx.vstack(
        rx.heading(tr("ui_agents.always_allowed"), size="3"),
        rx.text(tr("ui_agents.always_allowed_hint"), size="2", color_scheme="gray"),
        rx.cond(S.allowed_rules.length() > 0,
                rx.vstack(rx.foreach(S.allowed_rules, _rule), spacing="0", width="100%"),
                rx.text(tr("ui_agents.no_rules"), size="2", color_scheme="gray",
                        data_testid="no-rules")),
        spacing="2", width="100%",
    )


def claude_section() -> rx.Component:
    """Rendered for owners; loads itself when it mounts."""
    return rx.vstack(
        rx.heading(tr("ui_agents.section"), size="5"),
        rx.cond(S.agent_loaded, rx.vstack(
            credential_card(S, "ui_agents.project_credential_intro",
                            testid="project-credential"),
            rx.card(rx.vstack(allowed_rules(), spacing="3", width="100%"), width="100%"),
            rx.card(settings_form(), width="100%"),
            spacing="4", width="100%",
        ), rx.center(rx.spinner(size="3"), padding_y="var(--space-6)")),
        spacing="3", width="100%", on_mount=S.load_agent_settings,
        data_testid="claude-section",
    )
