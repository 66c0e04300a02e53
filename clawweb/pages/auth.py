"""Sign-in, first-run setup and invite pages."""

from __future__ import annotations

import reflex as rx

from clawweb.components.forms import error_callout, field, submit
from clawweb.components.i18n import tr
from clawweb.components.layout import bare
from clawweb.state.auth import InviteState, SetupState, SignInState


def sign_in_page() -> rx.Component:
    return bare(
        rx.form(
            rx.vstack(
                rx.heading(tr("signin.title"), size="6"),
                error_callout(SignInState.error),
                field("signin.username", "username", auto_complete="username",
                      auto_capitalize="none", required=True),
                field("signin.password", "password", "password",
                      auto_complete="current-password", required=True),
                submit("signin.submit"),
                spacing="4", width="100%",
            ),
            on_submit=SignInState.sign_in, reset_on_submit=False,
        )
    )


def setup_page() -> rx.Component:
    return bare(
        rx.form(
            rx.vstack(
                rx.heading(tr("setup.title"), size="6"),
                rx.text(tr("setup.intro"), color_scheme="gray", size="2"),
                error_callout(SetupState.error),
                field("setup.code", "code", auto_complete="off", auto_capitalize="none",
                      required=True),
                field("signin.username", "username", auto_complete="username",
                      auto_capitalize="none", required=True),
                field("signin.password", "password", "password",
                      auto_complete="new-password", required=True),
                field("setup.confirm_password", "password2", "password",
                      auto_complete="new-password", required=True),
                submit("setup.submit"),
                spacing="4", width="100%",
            ),
            on_submit=SetupState.create_admin, reset_on_submit=False,
        )
    )


def invite_page() -> rx.Component:
    return bare(
        rx.form(
            rx.vstack(
                rx.heading(tr("invite.title"), size="6"),
                rx.text(tr("invite.intro"), color_scheme="gray", size="2"),
                error_callout(InviteState.error),
                field("signin.password", "password", "password",
                      auto_complete="new-password", required=True),
                field("setup.confirm_password", "password2", "password",
                      auto_complete="new-password", required=True),
                submit("invite.submit"),
                spacing="4", width="100%",
            ),
            on_submit=InviteState.accept, reset_on_submit=False,
        )
    )
