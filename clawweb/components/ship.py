"""The task page's "Push" / "Open pull request" section."""

from __future__ import annotations

import reflex as rx

from clawweb.components.i18n import tr
from clawweb.state.ship import ShipState as S

WRAP = {"overflow_wrap": "anywhere", "word_break": "break-word"}
V = S.ship


def _pr_badge(state: rx.Var) -> rx.Component:
    return rx.match(
        state,
        ("open", rx.badge(tr("ui_ship.pr_open"), color_scheme="grass", data_testid="pr-state")),
        ("merged", rx.badge(tr("ui_ship.pr_merged"), color_scheme="purple",
                            data_testid="pr-state")),
        ("closed", rx.badge(tr("ui_ship.pr_closed"), color_scheme="red", data_testid="pr-state")),
        rx.badge(tr("ui_ship.pr_opening"), color_scheme="gray", data_testid="pr-state"))


def _pull_request() -> rx.Component:
    return rx.cond(V["pr_url"] != "", rx.flex(
        rx.icon("git-pull-request", size=16),
        rx.link(tr("ui_ship.pr_link", number=V["pr_number"]), href=V["pr_url"],
                is_external=True, rel="noopener noreferrer", weight="medium",
                data_testid="pr-link"),
        _pr_badge(V["pr_state"]),
        rx.icon_button(rx.icon("refresh-cw", size=14), size="1", variant="ghost",
                       aria_label=tr("ui_ship.refresh"), title=tr("ui_ship.refresh"),
                       loading=S.busy == "refresh", on_click=S.refresh_pull_request,
                       data_testid="pr-refresh"),
        align="center", spacing="2", wrap="wrap", data_testid="pr"))


def _button(icon: str, label_key: str, action: str, handler, testid: str,
            **props) -> rx.Component:
    return rx.button(rx.icon(icon, size=14), tr(label_key), size="2", variant="soft",
                     loading=S.busy == action, disabled=S.busy != "", on_click=handler,
                     data_testid=testid, **props)


def _actions() -> rx.Component:
    can_open = (V["pr_state"] == "") | (V["pr_state"] == "closed")
    return rx.flex(
        rx.cond(V["pushed"] != "1",
                _button("upload", "ui_ship.push", "push", S.push_branch, "ship-push")),
        rx.cond(can_open, _button("git-pull-request-arrow", "ui_ship.open_pr", "open_pr",
                                  S.open_pull_request, "ship-open-pr")),
        rx.cond(V["default_unpushed"] == "1", _button(
            "cloud-upload", "ui_ship.push_default", "push_default", S.push_default_branch,
            "ship-push-default")),
        spacing="2", wrap="wrap")


def _state_line() -> rx.Component:
    return rx.flex(
        rx.text(tr("ui_ship.remote"), size="1", color_scheme="gray"),
        rx.code(V["remote_url"], size="1", style=WRAP, data_testid="ship-remote"),
        rx.cond(V["pushed"] == "1", rx.badge(
            rx.icon("check", size=12), tr("ui_ship.pushed_as", sha=V["pushed_short"]),
            color_scheme="grass", data_testid="ship-pushed")),
        spacing="2", align="center", wrap="wrap", width="100%")


def _body() -> rx.Component:
    return rx.vstack(
        rx.cond(V["has_remote"] == "1", _state_line(),
                rx.text(tr("ui_ship.no_remote"), size="2", color_scheme="gray",
                        data_testid="ship-no-remote")),
        _pull_request(),
        rx.cond((V["can_ship"] == "1") & (V["has_remote"] == "1") & (V["branch_exists"] == "1"),
                _actions(),
                rx.cond(V["can_ship"] != "1", rx.text(tr("ui_ship.not_allowed"), size="1",
                                                      color_scheme="gray",
                                                      data_testid="ship-not-allowed"))),
        rx.cond(S.ship_error != "", rx.callout(S.ship_error, icon="triangle-alert",
                                               color_scheme="red", width="100%", style=WRAP,
                                               role="alert", data_testid="ship-error")),
        rx.cond(S.ship_detail != "", rx.el.details(
            rx.el.summary(tr("ui_remotes.details"), cursor="pointer", font_size="12px"),
            rx.code(S.ship_detail, size="1", white_space="pre-wrap", style=WRAP))),
        spacing="3", width="100%")


def ship_section(finished: rx.Var) -> rx.Component:
    """Shown on a finished task; mounts (and loads) once the task has finished."""
    return rx.cond(finished, rx.card(rx.vstack(
        rx.heading(tr("ui_ship.title"), size="3"),
        rx.cond(S.ship_loaded & (V["branch"] != ""), _body(),
                rx.cond(S.ship_loaded, rx.text(tr("ui_ship.no_branch"), size="2",
                                               color_scheme="gray"),
                        rx.center(rx.spinner(), padding="var(--space-3)"))),
        spacing="3", width="100%", on_mount=S.load_ship), width="100%",
        data_testid="ship-section"))
