"""Project settings, "Automation" section: the webhooks and a link to the schedules page."""

from __future__ import annotations

import reflex as rx

from clawweb import routes
from clawweb.components.i18n import tr
from clawweb.state.webhooks import WebhooksState as S

WRAP = {"overflow_wrap": "anywhere", "word_break": "break-word"}
MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
FORGES = (("github", "GitHub"), ("gitlab", "GitLab"), ("gitea", "Gitea / Forgejo"),
          ("generic", "ui_webhooks.generic"))
STATUS_COLORS = {"accepted": "blue", "processing": "blue", "done": "grass", "ignored": "gray",
                 "failed": "red", "refused": "orange"}


def _labelled(label_key: str, control: rx.Component, hint_key: str = "") -> rx.Component:
    return rx.vstack(rx.text(tr(label_key), size="2", weight="medium"), control,
                     *([rx.text(tr(hint_key), size="1", color_scheme="gray")] if hint_key else []),
                     spacing="1", width="100%")


def _check(name: str, label_key: str, checked: rx.Var) -> rx.Component:
    return rx.text(rx.flex(rx.checkbox(name=name, default_checked=checked == "1",
                                       data_testid=f"hook-{name}"),
                           tr(label_key), spacing="2", align="center"), as_="label", size="2")


def _confirm(trigger: rx.Component, title_key: str, body_key: str, on_confirm,
             testid: str) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(tr(title_key)),
            rx.alert_dialog.description(tr(body_key)),
            rx.flex(rx.alert_dialog.cancel(rx.button(tr("shell.cancel"), variant="soft",
                                                     color_scheme="gray")),
                    rx.alert_dialog.action(rx.button(tr("ui_webhooks.confirm"),
                                                     color_scheme="red", on_click=on_confirm,
                                                     data_testid=f"{testid}-confirm")),
                    spacing="3", justify="end", margin_top="16px"),
            max_width="420px"))


def _secret_callout() -> rx.Component:
    return rx.callout(rx.vstack(
        rx.text(tr("ui_webhooks.secret_once"), size="2"),
        rx.code(S.new_secret, style=WRAP, data_testid="hook-secret"),
        rx.flex(rx.button(rx.icon("copy", size=14), tr("ui_webhooks.copy"), size="1",
                          variant="soft", on_click=rx.set_clipboard(S.new_secret)),
                rx.button(tr("ui_webhooks.secret_done"), size="1", on_click=S.forget_secret,
                          data_testid="hook-secret-done"), spacing="2"),
        spacing="2", width="100%"), icon="key-round", color_scheme="amber", width="100%")


def _rules_form(h: rx.Var) -> rx.Component:
    return rx.form(rx.vstack(
        rx.el.input(type="hidden", name="webhook_id", value=h["id"]),
        _labelled("ui_webhooks.name", rx.input(name="name", default_value=h["name"], width="100%")),
        _check("enabled", "ui_webhooks.enabled", h["enabled"]),
        rx.divider(),
        _check("push_enabled", "ui_webhooks.push_rule", h["push_enabled"]),
        _labelled("ui_webhooks.push_branches", rx.input(
            name="push_branches", default_value=h["push_branches"], width="100%",
            placeholder="main, release/*", auto_capitalize="none", spell_check=False),
            "ui_webhooks.push_branches_hint"),
        _labelled("ui_webhooks.push_command", rx.text_area(
            name="push_command", default_value=h["push_command"], rows="2", width="100%",
            font_family=MONO, spell_check=False), "ui_webhooks.push_command_hint"),
        rx.divider(),
        _check("comment_enabled", "ui_webhooks.comment_rule", h["comment_enabled"]),
        _labelled("ui_webhooks.comment_command", rx.input(
            name="comment_command", default_value=h["comment_command"], width="100%",
            auto_capitalize="none", spell_check=False)),
        _labelled("ui_webhooks.comment_users", rx.input(
            name="comment_users", default_value=h["comment_users"], width="100%",
            auto_capitalize="none", spell_check=False), "ui_webhooks.comment_users_hint"),
        rx.divider(),
        _check("review_enabled", "ui_webhooks.review_rule", h["review_enabled"]),
        _labelled("ui_webhooks.review_prompt", rx.text_area(
            name="review_prompt", default_value=h["review_prompt"], rows="3", width="100%"),
            "ui_webhooks.review_prompt_hint"),
        rx.button(tr("shell.save"), type="submit", size="2", data_testid="hook-save"),
        spacing="3", width="100%", align="start"),
        on_submit=S.save_rules, reset_on_submit=False, width="100%",
        key=S.hooks_rev.to_string() + "-" + h["id"])


def _log_row(d: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.flex(rx.badge(d["status"], color_scheme=rx.match(
                    d["status"], *[(k, v) for k, v in STATUS_COLORS.items()], "gray")),
                rx.text(d["event"], size="1", weight="medium"),
                rx.text(d["at"], size="1", color_scheme="gray"),
                rx.cond(d["task_url"] != "", rx.link("#", d["task_id"], href=d["task_url"],
                                                     size="1")),
                spacing="2", align="center", wrap="wrap"),
        rx.cond(d["reason"] != "", rx.text(d["reason"], size="1", color_scheme="gray",
                                           style=WRAP)),
        spacing="0", width="100%", data_testid="hook-log-row")


def _log(h: rx.Var) -> rx.Component:
    return rx.cond(
        S.log_for.to_string() == h["id"],
        rx.vstack(rx.flex(rx.text(tr("ui_webhooks.log"), size="2", weight="medium"),
                          rx.button(tr("ui_webhooks.hide"), size="1", variant="ghost",
                                    on_click=S.hide_log), justify="between", width="100%"),
                  rx.cond(S.log.length() > 0, rx.foreach(S.log, _log_row),
                          rx.text(tr("ui_webhooks.log_empty"), size="1", color_scheme="gray")),
                  spacing="2", width="100%"),
        rx.button(rx.icon("list", size=14), tr("ui_webhooks.show_log"), size="1", variant="soft",
                  on_click=S.show_log(h["id"].to(int)), data_testid="hook-show-log"))


def _hook(h: rx.Var) -> rx.Component:
    return rx.card(rx.vstack(
        rx.flex(rx.badge(h["forge"]), rx.text(h["name"], weight="medium"),
                rx.cond(h["enabled"] != "1", rx.badge(tr("ui_webhooks.off"), color_scheme="gray")),
                rx.text(tr("ui_webhooks.runs_as"), " ", h["runs_as"], size="1",
                        color_scheme="gray"), spacing="2", align="center", wrap="wrap"),
        rx.flex(rx.code(h["url"], size="1", style=WRAP, data_testid="hook-url"),
                rx.icon_button(rx.icon("copy", size=14), size="1", variant="soft",
                               on_click=rx.set_clipboard(h["url"])), spacing="2", align="center"),
        rx.cond(S.new_secret_for.to_string() == h["id"], _secret_callout()),
        _rules_form(h),
        rx.flex(_confirm(rx.button(tr("ui_webhooks.rotate"), size="1", variant="soft",
                                   color_scheme="orange"), "ui_webhooks.rotate_title",
                         "ui_webhooks.rotate_body", S.rotate_secret(h["id"].to(int)),
                         "hook-rotate"),
                _confirm(rx.button(tr("ui_webhooks.delete"), size="1", variant="soft",
                                   color_scheme="red"), "ui_webhooks.delete_title",
                         "ui_webhooks.delete_body", S.delete_webhook(h["id"].to(int)),
                         "hook-delete"), spacing="2"),
        _log(h),
        spacing="3", width="100%"), width="100%", data_testid="hook-card")


def _new_form() -> rx.Component:
    return rx.card(rx.form(rx.flex(
        rx.select.root(rx.select.trigger(placeholder="GitHub", data_testid="hook-forge"),
                       rx.select.content(*[rx.select.item(label if "." not in label
                                                          else tr(label), value=v)
                                           for v, label in FORGES]),
                       name="forge", default_value="github"),
        rx.input(name="name", placeholder=tr("ui_webhooks.name"), max_length=100),
        rx.button(rx.icon("plus", size=14), tr("ui_webhooks.add"), type="submit",
                  data_testid="hook-add"),
        spacing="2", wrap="wrap", align="center"),
        on_submit=S.create_webhook, reset_on_submit=True), width="100%")


def automation_section(project_id: rx.Var) -> rx.Component:
    """Rendered for owners; loads itself when it mounts."""
    return rx.vstack(
        rx.flex(rx.heading(tr("ui_webhooks.section"), size="5"),
                rx.link(rx.button(rx.icon("calendar-clock", size=16), tr("ui_webhooks.schedules"),
                                  variant="soft"),
                        href=routes.project_schedules(project_id),
                        data_testid="schedules-link"),
                justify="between", align="center", width="100%", wrap="wrap"),
        rx.text(tr("ui_webhooks.intro"), size="2", color_scheme="gray"),
        rx.cond(S.hooks_error != "", rx.callout(S.hooks_error, icon="triangle-alert",
                                                color_scheme="red", width="100%", role="alert")),
        rx.cond(S.hooks_loaded, rx.vstack(rx.foreach(S.hooks, _hook), _new_form(),
                                          spacing="3", width="100%"),
                rx.center(rx.spinner(size="3"), padding_y="var(--space-6)")),
        spacing="3", width="100%", on_mount=S.load_webhooks, data_testid="automation-section")
