"""Admin pages: users and the audit log."""

from __future__ import annotations

import reflex as rx

from clawweb import routes

from clawweb.components.admin import (admin_page, admin_tabs, audit_row, confirm_dialog,
                                      create_dialog, secret_dialog, user_card, user_table)
from clawweb.components.api_tokens import admin_tokens_section
from clawweb.components.fleet import no_worker_banner
from clawweb.components.i18n import tr
from clawweb.components.layout import empty_state, loading
from clawweb.state.admin import ANY, OBJECT_TYPES, AdminState


def _users() -> rx.Component:
    return rx.cond(
        AdminState.users.length() > 0,
        rx.box(
            rx.vstack(rx.foreach(AdminState.users, user_card), gap="3", width="100%",
                      display=["flex", "flex", "none"]),
            rx.box(user_table(AdminState.users), display=["none", "none", "block"],
                   width="100%"),
            width="100%",
        ),
        empty_state("users", "admin.users_empty", "admin.users_empty_hint"),
    )


def users_page() -> rx.Component:
    return admin_page(
        admin_tabs(routes.ADMIN_USERS),
        no_worker_banner(),
        rx.hstack(rx.spacer(), create_dialog(), width="100%", margin_bottom="var(--space-3)"),
        rx.cond(AdminState.users_loaded, _users(), loading()),
        admin_tokens_section(),
        secret_dialog(),
        confirm_dialog(),
    )


def _filters() -> rx.Component:
    label = {"size": "1", "weight": "medium", "as_": "label"}
    return rx.form(
        rx.flex(
            rx.vstack(rx.text(tr("admin.filter_action"), html_for="action", **label),
                      rx.input(name="action", id="action", size="2", width="100%",
                               default_value=AdminState.filter_action, auto_capitalize="none",
                               placeholder=tr("admin.filter_action_ph"),
                               data_testid="filter-action"),
                      gap="1", flex="1 1 160px", min_width="0"),
            rx.vstack(rx.text(tr("admin.filter_actor"), html_for="actor", **label),
                      rx.input(name="actor", id="actor", size="2", width="100%",
                               default_value=AdminState.filter_actor, auto_capitalize="none",
                               data_testid="filter-actor"),
                      gap="1", flex="1 1 140px", min_width="0"),
            rx.vstack(rx.text(tr("admin.filter_object"), **label),
                      rx.select.root(
                          rx.select.trigger(width="100%", data_testid="filter-object"),
                          rx.select.content(
                              rx.select.item(tr("admin.filter_any"), value=ANY),
                              *[rx.select.item(tr(f"admin.object.{t}"), value=t)
                                for t in OBJECT_TYPES]),
                          value=AdminState.filter_object,
                          on_change=AdminState.set_filter_object, size="2"),
                      gap="1", flex="1 1 120px", min_width="0"),
            rx.hstack(
                rx.button(tr("admin.filter_apply"), type="submit", size="2",
                          data_testid="filter-apply"),
                rx.button(tr("admin.filter_clear"), type="button", size="2", variant="soft",
                          color_scheme="gray", on_click=AdminState.clear_filters),
                align="end", gap="2",
            ),
            gap="3", wrap="wrap", align="end", width="100%",
        ),
        on_submit=AdminState.apply_filters, reset_on_submit=False,
        # A new key after "Clear" remounts the inputs so their defaults apply again.
        key=AdminState.filter_action + "|" + AdminState.filter_actor,
        margin_bottom="var(--space-3)", width="100%",
    )


def _audit_list() -> rx.Component:
    return rx.cond(
        AdminState.audit.length() > 0,
        rx.vstack(
            rx.foreach(AdminState.audit, audit_row),
            rx.cond(AdminState.audit_has_more,
                    rx.button(tr("admin.load_older"), variant="soft", size="3",
                              on_click=AdminState.load_older, data_testid="load-older",
                              margin_top="var(--space-3)"),
                    rx.text(tr("admin.no_more"), size="1", color_scheme="gray",
                            margin_top="var(--space-3)")),
            gap="0", width="100%", align="center",
        ),
        empty_state("scroll-text", "admin.audit_empty", "admin.audit_empty_hint"),
    )


def audit_page() -> rx.Component:
    return admin_page(
        admin_tabs(routes.ADMIN_AUDIT),
        no_worker_banner(),
        _filters(),
        rx.cond(AdminState.audit_note != "",
                rx.callout(AdminState.audit_note, icon="info", color_scheme="amber",
                           margin_bottom="var(--space-3)")),
        rx.cond(AdminState.audit_loaded, _audit_list(), loading()),
    )
