"""Pieces of the account pages: tabs, password form, device cards, revoke dialog."""

from __future__ import annotations

import reflex as rx

from clawweb import routes
from clawweb.components.admin import when
from clawweb.components.forms import error_callout, field
from clawweb.components.i18n import tr
from clawweb.components.layout import link_tabs
from clawweb.state.account import AUTO, AccountState, DeviceRow
from clawweb.state.auth import SignInState


def account_tabs(active: str) -> rx.Component:
    return link_tabs([("account.tab_profile", routes.ACCOUNT),
                      ("account.tab_devices", routes.DEVICES),
                      ("notify.ui.account_tab", routes.NOTIFY_DEVICES)], active)


def section(title_key: str, *children: rx.Component, **props) -> rx.Component:
    return rx.card(rx.vstack(rx.heading(tr(title_key), size="4"), *children, spacing="3",
                             width="100%"),
                   width="100%", **props)


def must_change_callout() -> rx.Component:
    return rx.cond(AccountState.must_change_password, rx.callout.root(
        rx.callout.icon(rx.icon("key-round")),
        rx.callout.text(rx.text(tr("account.must_change_title"), weight="bold"), " ",
                        tr("account.must_change_body")),
        color_scheme="amber", width="100%", data_testid="must-change",
    ))


def profile_form() -> rx.Component:
    return section(
        "account.profile",
        rx.text(tr("account.username"), ": ", rx.code(AccountState.username), size="2",
                word_break="break-all"),
        rx.form(
            rx.vstack(
                error_callout(AccountState.profile_error),
                field("account.display_name", "display_name", auto_complete="name",
                      default_value=AccountState.profile_display_name, max_length=100),
                rx.button(tr("account.save_profile"), type="submit", size="3",
                          data_testid="save-profile"),
                spacing="3", width="100%", align="start",
            ),
            on_submit=AccountState.save_display_name, reset_on_submit=False, width="100%",
        ),
        rx.vstack(
            rx.text(tr("account.language"), size="2", weight="medium"),
            rx.select.root(
                rx.select.trigger(width="100%", data_testid="profile-language"),
                rx.select.content(
                    rx.select.item(tr("account.language_auto"), value=AUTO),
                    rx.select.item("English", value="en", data_testid="profile-lang-en"),
                    rx.select.item("中文", value="zh", data_testid="profile-lang-zh"),
                ),
                value=AccountState.profile_language, on_change=AccountState.save_language,
                size="3",
            ),
            spacing="1", width="100%",
        ),
    )


def password_form() -> rx.Component:
    return section(
        "account.password",
        rx.text(tr("account.password_hint"), size="2", color_scheme="gray"),
        rx.form(
            rx.vstack(
                rx.box(error_callout(AccountState.password_error), width="100%",
                       data_testid="password-error"),
                field("account.current_password", "current_password", "password",
                      auto_complete="current-password", required=True),
                field("account.new_password", "new_password", "password",
                      auto_complete="new-password", required=True),
                field("account.repeat_password", "repeat_password", "password",
                      auto_complete="new-password", required=True),
                rx.button(tr("account.change_password"), type="submit", size="3",
                          data_testid="change-password"),
                spacing="3", width="100%", align="start",
            ),
            on_submit=AccountState.change_password, reset_on_submit=False, width="100%",
        ),
        data_testid="password-section",
    )


def sign_out_section() -> rx.Component:
    return section(
        "account.sign_out",
        rx.text(tr("account.sign_out_hint"), size="2", color_scheme="gray"),
        rx.button(rx.icon("log-out", size=16), tr("account.sign_out"), size="3",
                  variant="soft", color_scheme="red", on_click=SignInState.sign_out,
                  data_testid="sign-out"),
    )


# -- devices --------------------------------------------------------------------------
def _fact(label_key: str, value: rx.Component) -> rx.Component:
    return rx.hstack(rx.text(tr(label_key), size="1", color_scheme="gray", min_width="90px"),
                     rx.text(value, size="2", word_break="break-all"), spacing="2", align="baseline")


def device_card(d: DeviceRow) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.icon(rx.cond(d.device.contains("Android") | d.device.contains("iPhone"),
                            "smartphone", "monitor"), size=24),
            rx.vstack(
                rx.hstack(
                    rx.text(d.device, weight="bold"),
                    rx.cond(d.current, rx.badge(tr("account.this_device"), color_scheme="green",
                                                data_testid="this-device")),
                    spacing="2", align="center", wrap="wrap",
                ),
                rx.text(d.user_agent, size="1", color_scheme="gray", word_break="break-all",
                        title=d.user_agent, line_clamp=2),
                _fact("account.ip", rx.cond(d.ip != "", d.ip, tr("account.unknown_ip"))),
                _fact("account.signed_in_at", when(d.created)),
                _fact("account.last_seen", when(d.last_seen)),
                spacing="1", min_width="0", flex="1",
            ),
            rx.button(tr("account.revoke"), variant="soft", color_scheme="red", size="2",
                      on_click=AccountState.ask_revoke(d.id), data_testid="revoke"),
            align="start", spacing="3", width="100%", wrap="wrap",
        ),
        width="100%", data_testid=rx.cond(d.current, "device-current", "device-other"),
    )


def revoke_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(tr("account.revoke_title")),
            rx.alert_dialog.description(rx.cond(
                AccountState.revoke_is_current, tr("account.revoke_self_body"),
                tr("account.revoke_body", device=AccountState.revoke_device))),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(tr("shell.cancel"), variant="soft",
                                                 color_scheme="gray", size="3")),
                rx.alert_dialog.action(rx.button(tr("account.revoke"), color_scheme="red",
                                                 size="3", on_click=AccountState.confirm_revoke,
                                                 data_testid="confirm-revoke")),
                justify="end", width="100%", margin_top="var(--space-4)",
            ),
            max_width="420px",
        ),
        open=AccountState.revoke_id != 0, on_open_change=AccountState.set_revoke_open,
    )
