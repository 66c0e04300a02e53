"""Account pages: profile, language and password; signed-in devices."""

from __future__ import annotations

import reflex as rx

from clawweb import routes
from clawweb.components.account import (account_tabs, device_card, must_change_callout,
                                        password_form, profile_form, revoke_dialog,
                                        sign_out_section)
from clawweb.components.api_tokens import api_tokens_section
from clawweb.components.credential import credential_card
from clawweb.components.i18n import tr
from clawweb.components.layout import empty_state, loading, page
from clawweb.components.review import commit_email_card
from clawweb.state.account import AccountState


def account_page() -> rx.Component:
    return page(
        account_tabs(routes.ACCOUNT),
        rx.vstack(
            must_change_callout(),
            # Someone holding a one-time password has one job here: replace it.
            rx.cond(AccountState.must_change_password,
                    rx.fragment(password_form(), sign_out_section()),
                    rx.fragment(profile_form(), commit_email_card(),
                               credential_card(AccountState, "ui_agents.credential_intro"),
                               api_tokens_section(), password_form(), sign_out_section())),
            spacing="4", width="100%", max_width="640px",
        ),
        title_key="account.title",
    )


def devices_page() -> rx.Component:
    return page(
        account_tabs(routes.DEVICES),
        rx.text(tr("account.devices_intro"), color_scheme="gray", size="2",
                margin_bottom="var(--space-3)"),
        rx.cond(
            AccountState.devices_loaded,
            rx.cond(AccountState.devices.length() > 0,
                    rx.vstack(rx.foreach(AccountState.devices, device_card), spacing="3",
                              width="100%", max_width="720px"),
                    empty_state("monitor-smartphone", "account.devices_empty",
                                "account.devices_empty_hint")),
            loading(),
        ),
        revoke_dialog(),
        title_key="account.title",
    )
