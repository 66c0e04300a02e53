"""Pieces of the admin pages: tabs, user cards/table, dialogs, audit rows."""

from __future__ import annotations

import reflex as rx
from reflex_components_moment import moment

from clawweb import routes
from clawweb.components.forms import error_callout, field
from clawweb.components.i18n import tr
from clawweb.components.layout import link_tabs, page
from clawweb.state.admin import AdminState, AuditRow, UserRow
from clawweb.state.base import AppState

TIME_FORMAT = "YYYY-MM-DD HH:mm"


def when(iso: rx.Var, empty_key: str = "") -> rx.Component:
    """A UTC ISO time shown in the browser's local time."""
    shown = moment(date=iso, format=TIME_FORMAT)
    return rx.cond(iso != "", shown, rx.text(tr(empty_key) if empty_key else "—", as_="span"))


def not_allowed() -> rx.Component:
    """What a signed-in member sees on an admin page: why, and a way back."""
    return rx.center(rx.vstack(
        rx.icon("shield-off", size=40, color=rx.color("gray", 9)),
        rx.heading(tr("admin.not_allowed"), size="5", as_="h1"),
        rx.text(tr("admin.not_allowed_hint"), color_scheme="gray", text_align="center"),
        rx.link(rx.button(rx.icon("arrow-left", size=16), tr("notfound.back"), variant="soft",
                          tab_index=-1),
                href=routes.PROJECTS, underline="none"),
        align="center", gap="3", max_width="360px", data_testid="admin-not-allowed",
    ), padding_y="var(--space-9)", width="100%")


def admin_page(*children: rx.Component, title_key: str = "admin.title") -> rx.Component:
    """An admin page; for a signed-in member, the reason it is closed instead.

    The handlers refuse members anyway (``admin_only``); without this the member
    would watch the page's spinner forever.
    """
    return page(rx.cond(AppState.signed_in & ~AppState.is_admin, not_allowed(),
                        rx.fragment(*children)),
                title_key=title_key)


def admin_tabs(active: str) -> rx.Component:
    return link_tabs([("admin.tab_users", routes.ADMIN_USERS),
                      ("admin.tab_audit", routes.ADMIN_AUDIT),
                      ("admin.tab_queues", routes.ADMIN_QUEUES),
                      ("admin.tab_workers", routes.ADMIN_WORKERS),
                      ("admin.tab_usage", routes.ADMIN_USAGE)], active)


# -- users ------------------------------------------------------------------------
def _role_badge(u: UserRow) -> rx.Component:
    return rx.cond(
        u.role == "admin",
        rx.badge(tr("admin.role_admin"), color_scheme="purple"),
        rx.badge(tr("admin.role_member"), color_scheme="gray"),
    )


def _status_badges(u: UserRow) -> rx.Component:
    return rx.hstack(
        rx.cond(u.disabled,
                rx.badge(tr("admin.status_disabled"), color_scheme="red"),
                rx.cond(u.invited,
                        rx.badge(tr("admin.status_invited"), color_scheme="amber",
                                 data_testid="status-invited"),
                        rx.badge(tr("admin.status_active"), color_scheme="green"))),
        rx.cond(u.must_change_password,
                rx.badge(tr("admin.status_must_change"), color_scheme="amber")),
        gap="1", wrap="wrap",
    )


def _menu_item(key: str, u: UserRow, action: str, color: str = "gray") -> rx.Component:
    return rx.dropdown_menu.item(
        tr(key), on_click=AdminState.ask(u.id, action), color_scheme=color,
        data_testid=f"user-action-{action}",
    )


def user_menu(u: UserRow) -> rx.Component:
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.icon_button(rx.icon("ellipsis", size=18), variant="soft", size="3",
                           aria_label=tr("admin.actions_for", name=u.username),
                           data_testid=f"user-menu-{u.username}"),
        ),
        rx.dropdown_menu.content(
            rx.cond(u.role == "admin", _menu_item("admin.make_member", u, "make_member"),
                    _menu_item("admin.make_admin", u, "make_admin")),
            rx.cond(u.disabled, _menu_item("admin.enable", u, "enable"),
                    _menu_item("admin.disable", u, "disable", "red")),
            _menu_item("admin.reset_password", u, "reset"),
            _menu_item("admin.unlock", u, "unlock"),
        ),
    )


def _name(u: UserRow) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(u.username, weight="bold", word_break="break-all"),
            rx.cond(u.is_self, rx.badge(tr("admin.you"), variant="outline")),
            align="center", gap="2", wrap="wrap",
        ),
        rx.cond(u.display_name != "",
                rx.text(u.display_name, size="2", color_scheme="gray", word_break="break-word")),
        gap="0", min_width="0",
    )


def user_card(u: UserRow) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(
                _name(u),
                rx.hstack(_role_badge(u), _status_badges(u), gap="1", wrap="wrap"),
                rx.text(tr("admin.col_last_sign_in"), ": ", when(u.last_sign_in, "admin.never"),
                        size="1", color_scheme="gray"),
                gap="2", min_width="0", flex="1",
            ),
            user_menu(u),
            align="start", width="100%",
        ),
        width="100%", data_testid=f"user-card-{u.username}",
    )


def user_table(users: rx.Var) -> rx.Component:
    head = [tr(k) for k in ("admin.col_user", "admin.col_role", "admin.col_status",
                             "admin.col_last_sign_in", "admin.col_actions")]
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in head])),
        rx.table.body(rx.foreach(users, lambda u: rx.table.row(
            rx.table.cell(_name(u)),
            rx.table.cell(_role_badge(u)),
            rx.table.cell(_status_badges(u)),
            rx.table.cell(when(u.last_sign_in, "admin.never")),
            rx.table.cell(user_menu(u)),
            align="center", data_testid=f"user-row-{u.username}",
        ))),
        width="100%", variant="surface",
    )


def _radio(value: str, key: str) -> rx.Component:
    return rx.text(rx.flex(rx.radio_group.item(value=value, data_testid=f"radio-{value}"),
                           tr(key), gap="2", align="center"),
                   as_="label", size="2")


def create_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("user-plus", size=16), tr("admin.new_user"),
                                    size="3", data_testid="new-user")),
        rx.dialog.content(
            rx.dialog.title(tr("admin.create_title")),
            rx.dialog.description(tr("admin.create_intro"), size="2", color_scheme="gray"),
            rx.form(
                rx.vstack(
                    error_callout(AdminState.create_error),
                    field("signin.username", "username", auto_complete="off",
                          auto_capitalize="none", required=True),
                    field("admin.display_name", "display_name", auto_complete="off"),
                    rx.text(tr("admin.role"), size="2", weight="medium"),
                    rx.radio_group.root(_radio("member", "admin.role_member"),
                                        _radio("admin", "admin.role_admin"),
                                        name="role", default_value="member",
                                        direction="row", spacing="4"),
                    rx.text(tr("admin.mode"), size="2", weight="medium"),
                    rx.radio_group.root(_radio("password", "admin.mode_password"),
                                        _radio("invite", "admin.mode_invite"),
                                        name="mode", default_value="password",
                                        direction="row", spacing="4"),
                    rx.hstack(
                        rx.dialog.close(rx.button(tr("shell.cancel"), variant="soft",
                                                  color_scheme="gray", size="3", type="button")),
                        rx.button(tr("admin.create_submit"), type="submit", size="3",
                                  data_testid="create-submit"),
                        justify="end", width="100%", wrap="wrap",
                    ),
                    gap="3", width="100%", margin_top="var(--space-3)",
                ),
                on_submit=AdminState.create_user, reset_on_submit=False,
            ),
            max_width="460px",
        ),
        open=AdminState.create_open, on_open_change=AdminState.set_create_open,
    )


def secret_dialog() -> rx.Component:
    name = AdminState.secret_username
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(AdminState.secret_is_link,
                                    tr("admin.secret_invite_title", name=name),
                                    tr("admin.secret_password_title", name=name))),
            rx.dialog.description(tr("admin.secret_once"), size="2"),
            rx.box(
                rx.text(AdminState.secret_value, font_family="monospace", size="4",
                        word_break="break-all", data_testid="secret-value"),
                padding="var(--space-3)", margin_y="var(--space-3)", border_radius="8px",
                background=rx.color("gray", 3), user_select="all",
            ),
            rx.cond(~AdminState.secret_is_link,
                    rx.text(tr("admin.secret_password_hint"), size="2", color_scheme="gray")),
            rx.hstack(
                rx.button(rx.icon("copy", size=16), tr("admin.copy"), variant="soft", size="3",
                          on_click=[rx.set_clipboard(AdminState.secret_value),
                                    rx.toast.success(tr("admin.copied"))],
                          data_testid="secret-copy"),
                rx.button(tr("admin.done"), size="3", data_testid="secret-done",
                          on_click=AdminState.set_secret_open(False)),
                justify="end", width="100%", margin_top="var(--space-3)",
            ),
            max_width="460px",
        ),
        open=AdminState.secret_open, on_open_change=AdminState.set_secret_open,
    )


def confirm_dialog() -> rx.Component:
    name = AdminState.pending_username
    body = rx.match(
        AdminState.pending_action,
        ("disable", tr("admin.confirm_disable", name=name)),
        ("reset", tr("admin.confirm_reset", name=name)),
        ("make_admin", tr("admin.confirm_make_admin", name=name)),
        ("make_member", tr("admin.confirm_make_member", name=name)),
        "",
    )
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(tr("admin.confirm_title")),
            rx.alert_dialog.description(body),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(tr("shell.cancel"), variant="soft",
                                                 color_scheme="gray", size="3")),
                rx.alert_dialog.action(rx.button(
                    tr("admin.confirm_yes"), size="3", on_click=AdminState.confirm,
                    color_scheme=rx.cond(AdminState.pending_action == "disable", "red", "indigo"),
                    data_testid="confirm-yes")),
                justify="end", width="100%", margin_top="var(--space-4)",
            ),
            max_width="420px",
        ),
        open=AdminState.pending_action != "",
        on_open_change=AdminState.set_confirm_open,
    )


# -- audit ----------------------------------------------------------------------------
def _pre(title_key: str, text: rx.Var) -> rx.Component:
    return rx.cond(text != "", rx.vstack(
        rx.text(tr(title_key), size="1", weight="bold"),
        rx.el.pre(text, style={"white_space": "pre-wrap", "word_break": "break-all",
                               "margin": "0", "font_size": "12px"}),
        gap="1", min_width="0", flex="1",
    ))


def audit_row(e: AuditRow) -> rx.Component:
    small = {"size": "1", "color_scheme": "gray"}
    return rx.box(
        rx.hstack(
            rx.badge(rx.cond(AppState.lang == "zh", e.action_zh, e.action_en), variant="soft",
                     title=e.action, data_testid="audit-action"),
            rx.text(rx.cond(e.actor != "", e.actor, tr("admin.system")), " → ", e.object,
                    size="2", word_break="break-all", flex="1", min_width="0"),
            rx.text(when(e.at), white_space="nowrap", **small),
            align="center", gap="2", width="100%",
        ),
        rx.cond((e.ip != "") | (e.detail != ""), rx.text(
            e.ip, rx.cond((e.ip != "") & (e.detail != ""), " · ", ""),
            rx.cond(AppState.lang == "zh", e.detail_zh, e.detail_en),
            word_break="break-all", line_clamp=2, title=e.detail, margin_top="2px", **small)),
        rx.cond((e.before != "") | (e.after != ""), rx.el.details(
            rx.el.summary(tr("admin.changes"), style={"cursor": "pointer", "font_size": "13px"}),
            rx.flex(_pre("admin.before", e.before), _pre("admin.after", e.after),
                    gap="3", direction=rx.breakpoints(initial="column", md="row"),
                    padding="var(--space-2)", border_radius="6px",
                    background=rx.color("gray", 2)),
            margin_top="var(--space-1)",
        )),
        padding_y="var(--space-2)", border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%", data_testid="audit-row",
    )
