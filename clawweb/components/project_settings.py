"""The project settings page's cards: general settings, members, danger zone.

Every control is disabled or hidden for a non-owner; the handlers refuse anyway.
"""

from __future__ import annotations

import reflex as rx

from clawweb.components.i18n import tr
from clawweb.components.projects import WRAP, role_badge
from clawweb.state.projects import ProjectsState


def _labelled(label_key: str, control: rx.Component, html_for: str = "") -> rx.Component:
    return rx.vstack(rx.text(tr(label_key), as_="label", size="2", weight="medium",
                             html_for=html_for),
                     control, width="100%", spacing="1")


def _input(name: str, **props) -> rx.Component:
    return rx.input(name=name, id=name, size="3", width="100%", data_testid=f"input-{name}",
                    disabled=~ProjectsState.is_owner, **props)


def _error(message: rx.Var, testid: str) -> rx.Component:
    return rx.cond(message != "", rx.callout(message, icon="triangle-alert", color_scheme="red",
                                             width="100%", role="alert", data_testid=testid))


def general_settings() -> rx.Component:
    p = ProjectsState.project
    return rx.card(rx.form(
        rx.vstack(
            rx.heading(tr("projects_ui.general"), size="4"),
            rx.cond(~ProjectsState.is_owner,
                    rx.callout(tr("projects_ui.read_only"), icon="lock", width="100%",
                               data_testid="settings-read-only")),
            _error(ProjectsState.settings_error, "settings-error"),
            _labelled("projects_ui.name", _input("name", default_value=p["name"],
                                                 required=True, max_length=100), "name"),
            _labelled("projects_ui.description", rx.text_area(
                name="description", id="description", default_value=p["description"],
                width="100%", rows="3", disabled=~ProjectsState.is_owner,
                data_testid="input-description"), "description"),
            _labelled("projects_ui.default_branch", rx.select.root(
                rx.select.trigger(width="100%", data_testid="select-default-branch"),
                rx.select.content(rx.foreach(ProjectsState.branches,
                                             lambda b: rx.select.item(b, value=b))),
                name="default_branch", default_value=p["default_branch"], size="3",
                disabled=~ProjectsState.is_owner)),
            rx.flex(
                _labelled("projects_ui.max_concurrent", _input(
                    "max_concurrent_tasks", type="number", min=1, max=20,
                    default_value=p["max_concurrent_tasks"]), "max_concurrent_tasks"),
                _labelled("projects_ui.timeout", _input(
                    "task_timeout_minutes", type="number", min=1, max=1440,
                    default_value=p["task_timeout_minutes"]), "task_timeout_minutes"),
                direction=rx.breakpoints(initial="column", sm="row"), spacing="3", width="100%",
            ),
            rx.cond(ProjectsState.is_owner,
                    rx.button(tr("shell.save"), type="submit", size="3",
                              data_testid="save-settings")),
            spacing="3", width="100%",
        ),
        on_submit=ProjectsState.save_settings, reset_on_submit=False,
        key=p["id"],
    ), width="100%")


def _role_select(m: rx.Var) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(data_testid="member-role"),
        rx.select.content(
            rx.select.item(tr("projects_ui.role_owner"), value="owner"),
            rx.select.item(tr("projects_ui.role_editor"), value="editor"),
            rx.select.item(tr("projects_ui.role_viewer"), value="viewer"),
        ),
        value=m["role"], size="2",
        on_change=lambda role: ProjectsState.set_member_role(m["user_id"], role),
    )


def _remove_member(m: rx.Var) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.icon_button(rx.icon("user-minus", size=16), variant="soft",
                                               color_scheme="red", aria_label=tr("projects_ui.remove"),
                                               data_testid="member-remove")),
        rx.alert_dialog.content(
            rx.alert_dialog.title(tr("projects_ui.remove_member_title")),
            rx.alert_dialog.description(m["username"], " — ",
                                        tr("projects_ui.remove_member_hint")),
            rx.flex(
                rx.alert_dialog.cancel(rx.button(tr("shell.cancel"), variant="soft",
                                                 color_scheme="gray")),
                rx.alert_dialog.action(rx.button(
                    tr("projects_ui.remove"), color_scheme="red",
                    on_click=ProjectsState.remove_member(m["user_id"]),
                    data_testid="member-remove-confirm")),
                spacing="3", justify="end", margin_top="16px"),
            max_width="420px",
        ),
    )


def _member(m: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text(m["display_name"] | m["username"], weight="medium", style=WRAP),
                  rx.text("@", m["username"], size="1", color_scheme="gray", style=WRAP),
                  spacing="0", min_width="0", flex="1"),
        rx.cond(ProjectsState.is_owner,
                rx.hstack(_role_select(m), _remove_member(m), spacing="2"),
                role_badge(m["role"])),
        align="center", width="100%", padding_y="8px",
        border_bottom=f"1px solid {rx.color('gray', 4)}", data_testid="member",
    )


def _add_member_form() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.input(name="username", placeholder=tr("projects_ui.member_username"),
                     auto_capitalize="none", size="3", required=True,
                     # A basis, so on a phone the role and button wrap below it
                     # instead of squeezing it to "Userna".
                     flex="1 1 200px", min_width="0", data_testid="input-member-username"),
            rx.select.root(
                rx.select.trigger(data_testid="input-member-role"),
                rx.select.content(
                    rx.select.item(tr("projects_ui.role_owner"), value="owner"),
                    rx.select.item(tr("projects_ui.role_editor"), value="editor"),
                    rx.select.item(tr("projects_ui.role_viewer"), value="viewer"),
                ),
                name="role", default_value="editor", size="3"),
            rx.button(rx.icon("user-plus", size=16), tr("projects_ui.add_member"),
                      type="submit", size="3", data_testid="add-member"),
            spacing="2", width="100%", wrap="wrap",
        ),
        on_submit=ProjectsState.add_member, reset_on_submit=True, width="100%",
    )


def members_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading(tr("projects_ui.members"), size="4"),
        rx.vstack(rx.foreach(ProjectsState.members, _member), spacing="0", width="100%"),
        rx.cond(ProjectsState.is_owner, rx.vstack(
            _error(ProjectsState.member_error, "member-error"), _add_member_form(),
            width="100%", spacing="2")),
        spacing="3", width="100%",
    ), width="100%")


def danger_zone() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading(tr("projects_ui.danger"), size="4", color_scheme="red"),
        rx.text(tr("projects_ui.delete_hint"), size="2", color_scheme="gray"),
        rx.cond(ProjectsState.deleting, rx.callout(
            tr("projects_ui.deleting"), icon="loader", color_scheme="red", width="100%",
            data_testid="delete-progress")),
        rx.alert_dialog.root(
            rx.alert_dialog.trigger(rx.button(rx.icon("trash-2", size=16),
                                              tr("projects_ui.delete"), color_scheme="red",
                                              variant="soft", loading=ProjectsState.deleting,
                                              data_testid="delete-project")),
            rx.alert_dialog.content(
                rx.alert_dialog.title(tr("projects_ui.delete")),
                rx.alert_dialog.description(tr("projects_ui.delete_hint")),
                rx.text(tr("projects_ui.delete_type"), size="2", margin_top="12px"),
                rx.code(ProjectsState.project["name"], style=WRAP),
                rx.input(value=ProjectsState.delete_confirm, size="3", margin_top="8px",
                         on_change=ProjectsState.set_delete_confirm, auto_complete="off",
                         data_testid="delete-confirm-input"),
                rx.flex(
                    rx.alert_dialog.cancel(rx.button(tr("shell.cancel"), variant="soft",
                                                     color_scheme="gray")),
                    rx.alert_dialog.action(rx.button(
                        tr("projects_ui.delete_confirm"), color_scheme="red",
                        disabled=~ProjectsState.delete_ready,
                        on_click=ProjectsState.delete_project,
                        data_testid="delete-confirm")),
                    spacing="3", justify="end", margin_top="16px", wrap="wrap"),
                max_width="420px",
            ),
        ),
        spacing="3", width="100%", align="start",
    ), width="100%", style={"border": f"1px solid {rx.color('red', 6)}"})
