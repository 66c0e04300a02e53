"""The schedules page's pieces: the list with next runs, the form, the run history."""

from __future__ import annotations

import reflex as rx

from clawweb import routes
from clawweb.components.i18n import tr
from clawweb.components.prompt_choices import mode_label, model_label, prompt_choices
from clawweb.state.prompt_choices import PromptChoicesState as C
from clawweb.state.schedules import SchedulesState as S

WRAP = {"overflow_wrap": "anywhere", "word_break": "break-word"}
MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
RUN_COLORS = {"succeeded": "grass", "failed": "red", "skipped": "gray", "cancelled": "gray",
              "running": "blue", "queued": "blue", "starting": "blue", "pending": "amber",
              "waiting": "amber"}
F = S.form


def _labelled(label_key: str, control: rx.Component, hint_key: str = "") -> rx.Component:
    return rx.vstack(rx.text(tr(label_key), size="2", weight="medium"), control,
                     *([rx.text(tr(hint_key), size="1", color_scheme="gray")] if hint_key else []),
                     spacing="1", width="100%")


def _select(name: str, options: list[tuple[str, str]], **props) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(width="100%", data_testid=f"sched-{name}"),
        rx.select.content(*[rx.select.item(tr(label), value=value) for value, label in options]),
        name=name, default_value=F[name], **props)


def _claude_choices() -> rx.Component:
    """A Claude schedule's model and mode, from the project's offer as in the prompt box;
    a saved schedule's own choice is preselected."""
    model = rx.cond(F["model"] != "", F["model"], C.choice_model).to(str)
    mode = rx.cond(F["permission_mode"] != "", F["permission_mode"], C.choice_mode).to(str)
    return rx.cond(S.form_kind == "claude", rx.vstack(
        prompt_choices("sched", model_value=model, mode_value=mode),
        rx.text(tr("ui_schedules.choices_hint"), size="1", color_scheme="gray"),
        spacing="1", width="100%"))


def _run_limits() -> rx.Component:
    """Each run's queue priority and time limit, as in the prompt box's form."""
    return rx.flex(
        _labelled("ui_tasks.priority", _select("priority", [
            (p, f"ui_tasks.priority.{p}") for p in ("high", "normal", "low")])),
        _labelled("ui_tasks.timeout", rx.input(
            name="timeout_minutes", type="number", min="1", max="1440", width="8em",
            default_value=F["timeout_minutes"], data_testid="sched-timeout"),
            "ui_schedules.timeout_hint"),
        spacing="3", width="100%", wrap="wrap")


def _timing() -> rx.Component:
    return rx.vstack(
        rx.radio_group.root(rx.flex(
            rx.text(rx.flex(rx.radio_group.item(value="cron"), tr("ui_schedules.cron"),
                            spacing="2"), as_="label", size="2"),
            rx.text(rx.flex(rx.radio_group.item(value="interval", data_testid="sched-interval"),
                            tr("ui_schedules.interval"), spacing="2"), as_="label", size="2"),
            spacing="4"), name="timing", default_value=F["timing"]),
        rx.flex(_labelled("ui_schedules.cron_expr", rx.input(
                    name="cron", default_value=F["cron"], font_family=MONO, width="100%",
                    auto_capitalize="none", spell_check=False, data_testid="sched-cron"),
                    "ui_schedules.cron_hint"),
                _labelled("ui_schedules.timezone", rx.input(
                    name="timezone", default_value=F["timezone"], width="100%",
                    auto_capitalize="none", spell_check=False, data_testid="sched-timezone"),
                    "ui_schedules.timezone_hint"),
                _labelled("ui_schedules.interval_minutes", rx.input(
                    name="interval_minutes", default_value=F["interval_minutes"], type="number",
                    min="1", width="100%")),
                spacing="3", width="100%", direction=rx.breakpoints(initial="column", sm="row")),
        spacing="2", width="100%")


def _policies() -> rx.Component:
    return rx.flex(
        _labelled("ui_schedules.missed", _select("missed_policy", [
            ("once", "ui_schedules.missed_once"), ("skip", "ui_schedules.missed_skip"),
            ("each", "ui_schedules.missed_each")])),
        _labelled("ui_schedules.missed_cap", rx.input(name="missed_cap", type="number", min="1",
                                                      max="100", default_value=F["missed_cap"])),
        _labelled("ui_schedules.overlap", _select("overlap_policy", [
            ("skip", "ui_schedules.overlap_skip"), ("queue", "ui_schedules.overlap_queue"),
            ("cancel", "ui_schedules.overlap_cancel")])),
        _labelled("ui_schedules.retries", rx.input(name="max_retries", type="number", min="0",
                                                   max="10", default_value=F["max_retries"])),
        _labelled("ui_schedules.retry_delay", rx.input(
            name="retry_delay_seconds", type="number", min="1",
            default_value=F["retry_delay_seconds"])),
        spacing="3", width="100%", wrap="wrap",
        direction=rx.breakpoints(initial="column", sm="row"))


def schedule_form() -> rx.Component:
    return rx.card(rx.form(rx.vstack(
        rx.heading(rx.cond(S.editing_id > 0, tr("ui_schedules.edit"), tr("ui_schedules.new")),
                   size="3"),
        rx.cond(S.form_error != "", rx.callout(S.form_error, icon="triangle-alert",
                                               color_scheme="red", width="100%", role="alert",
                                               data_testid="sched-error")),
        _labelled("ui_schedules.name", rx.input(name="name", default_value=F["name"],
                                                max_length=100, width="100%")),
        _labelled("ui_schedules.kind", _select("kind", [("shell", "ui_schedules.kind_shell"),
                                                        ("claude", "ui_schedules.kind_claude")],
                                               on_change=S.set_form_kind),
                  "ui_schedules.kind_hint"),
        _claude_choices(),
        _run_limits(),
        _labelled("ui_schedules.command", rx.text_area(
            name="command", default_value=F["command"], rows="3", width="100%",
            font_family=MONO, spell_check=False, data_testid="sched-command")),
        _timing(),
        _policies(),
        rx.text(tr("ui_schedules.policy_hint"), size="1", color_scheme="gray"),
        rx.flex(rx.button(tr("shell.save"), type="submit", data_testid="sched-save"),
                rx.cond(S.editing_id > 0, rx.button(tr("shell.cancel"), variant="soft",
                                                    type="button", on_click=S.new_schedule)),
                spacing="2"),
        spacing="3", width="100%", align="start"),
        on_submit=S.save_schedule, reset_on_submit=False, width="100%",
        key=S.form_rev.to_string()), width="100%", on_mount=C.load_for_project)


def _run(r: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.flex(rx.badge(r["status"], color_scheme=rx.match(
                    r["status"], *[(k, v) for k, v in RUN_COLORS.items()], "gray")),
                rx.text(r["due"], size="1"),
                rx.text("#", r["attempt"], " · ", r["trigger"], size="1", color_scheme="gray"),
                rx.cond(r["task_url"] != "", rx.link(tr("ui_schedules.task"), " #", r["task_id"],
                                                     href=r["task_url"], size="1")),
                spacing="2", align="center", wrap="wrap"),
        rx.cond(r["reason"] != "", rx.text(r["reason"], size="1", color_scheme="gray",
                                           style=WRAP)),
        spacing="0", width="100%", data_testid="sched-run")


def _history(row: rx.Var) -> rx.Component:
    return rx.cond(
        S.history_for.to_string() == row["id"],
        rx.vstack(rx.flex(rx.text(tr("ui_schedules.history"), size="2", weight="medium"),
                          rx.button(tr("ui_schedules.hide"), size="1", variant="ghost",
                                    on_click=S.hide_history), justify="between", width="100%"),
                  rx.cond(S.history.length() > 0, rx.foreach(S.history, _run),
                          rx.text(tr("ui_schedules.no_runs"), size="1", color_scheme="gray")),
                  spacing="2", width="100%"),
        rx.button(rx.icon("history", size=14), tr("ui_schedules.show_history"), size="1",
                  variant="soft", on_click=S.show_history(row["id"].to(int)),
                  data_testid="sched-show-history"))


def _actions(row: rx.Var) -> rx.Component:
    sid = row["id"].to(int)
    return rx.cond(S.can_edit, rx.flex(
        rx.cond(row["paused"] == "1",
                rx.button(rx.icon("play", size=14), tr("ui_schedules.resume"), size="1",
                          variant="soft", on_click=S.resume_schedule(sid)),
                rx.button(rx.icon("pause", size=14), tr("ui_schedules.pause"), size="1",
                          variant="soft", on_click=S.pause_schedule(sid))),
        rx.button(rx.icon("zap", size=14), tr("ui_schedules.run_now"), size="1", variant="soft",
                  on_click=S.run_schedule(sid), data_testid="sched-run-now"),
        rx.button(tr("ui_schedules.edit_button"), size="1", variant="soft",
                  on_click=S.edit_schedule(sid)),
        rx.alert_dialog.root(
            rx.alert_dialog.trigger(rx.button(tr("ui_schedules.delete"), size="1",
                                              variant="soft", color_scheme="red")),
            rx.alert_dialog.content(
                rx.alert_dialog.title(tr("ui_schedules.delete_title")),
                rx.alert_dialog.description(tr("ui_schedules.delete_body")),
                rx.flex(rx.alert_dialog.cancel(rx.button(tr("shell.cancel"), variant="soft",
                                                         color_scheme="gray")),
                        rx.alert_dialog.action(rx.button(tr("ui_schedules.delete"),
                                                         color_scheme="red",
                                                         on_click=S.delete_schedule(sid))),
                        spacing="3", justify="end", margin_top="16px"),
                max_width="420px")),
        spacing="2", wrap="wrap"))


def _policy_word(value: rx.Var, prefix: str, choices: tuple[str, ...]) -> rx.Var:
    """A stored policy in the words its form offers (the raw value if unknown)."""
    return rx.match(value, *[(c, tr(f"{prefix}_{c}")) for c in choices], value)


def _card_policies(row: rx.Var) -> rx.Component:
    return rx.text(
        tr("ui_schedules.missed"), ": ",
        _policy_word(row["missed_policy"], "ui_schedules.missed", ("once", "skip", "each")),
        " · ", tr("ui_schedules.overlap"), ": ",
        _policy_word(row["overlap_policy"], "ui_schedules.overlap", ("skip", "queue", "cancel")),
        " · ", tr("ui_schedules.retries"), ": ", row["max_retries"],
        " · ", tr("ui_schedules.runs_as"), " ", row["runs_as"],
        size="1", color_scheme="gray", data_testid="sched-policies")


def schedule_card(row: rx.Var) -> rx.Component:
    return rx.card(rx.vstack(
        rx.flex(rx.text(row["name"], weight="medium", style=WRAP), rx.badge(row["kind"]),
                rx.cond(row["paused"] == "1", rx.badge(tr("ui_schedules.paused"),
                                                       color_scheme="amber")),
                spacing="2", align="center", wrap="wrap"),
        rx.code(row["command"], size="1", style=WRAP, white_space="pre-wrap"),
        rx.cond(row["kind"] == "claude", rx.text(
            tr("ui_agents.model"), ": ", model_label(row["model"]), " · ",
            rx.cond(row["permission_mode"] != "", mode_label(row["permission_mode"]),
                    tr("ui_schedules.mode_default")),
            size="1", color_scheme="gray", style=WRAP, data_testid="sched-card-model")),
        rx.text(row["when"], size="2", color_scheme="gray"),
        rx.cond(row["next"] != "", rx.text(tr("ui_schedules.next"), " ", row["next"], size="1",
                                           data_testid="sched-next")),
        _card_policies(row),
        _actions(row),
        _history(row),
        spacing="2", width="100%"), width="100%", data_testid="sched-card")


def schedule_list() -> rx.Component:
    return rx.cond(S.schedules.length() > 0,
                   rx.vstack(rx.foreach(S.schedules, schedule_card), spacing="3", width="100%"),
                   rx.text(tr("ui_schedules.empty"), color_scheme="gray",
                           data_testid="sched-empty"))


def schedules_link(project_id: rx.Var) -> rx.Component:
    """The project page's way to its schedules."""
    return rx.link(rx.button(rx.icon("calendar-clock", size=16), tr("ui_schedules.title"),
                             variant="soft"),
                   href=routes.project_schedules(project_id), data_testid="schedules-link")
