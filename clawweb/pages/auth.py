"""Sign-in, first-run setup and invite pages."""

from __future__ import annotations

import reflex as rx

from clawweb.components.forms import error_callout, field, submit
from clawweb.components.i18n import tr
from clawweb.components.layout import bare
from clawweb.state.auth import InviteState, SetupState, SignInState


def _card_form(title_key: str, intro_key: str, error, fields: list[rx.Component],
               submit_key: str, on_submit) -> rx.Component:
    """The one shape of every signed-out page: title, intro, error, fields, button."""
    intro = [rx.text(tr(intro_key), color_scheme="gray", size="2")] if intro_key else []
    return bare(
        rx.form(
            rx.vstack(
                rx.heading(tr(title_key), size="6"),
                *intro,
                error_callout(error),
                *fields,
                submit(submit_key),
                spacing="4", width="100%",
            ),
            on_submit=on_submit, reset_on_submit=False,
        )
    )


def _username() -> rx.Component:
    return field("signin.username", "username", auto_complete="username",
                 auto_capitalize="none", required=True)


def _new_password_pair() -> list[rx.Component]:
    return [
        field("signin.password", "password", "password", auto_complete="new-password",
              required=True),
        field("setup.confirm_password", "password2", "password",
              auto_complete="new-password", required=True),
    ]


def sign_in_page() -> rx.Component:
    return _card_form(
        "signin.title", "", SignInState.error,
        [_username(),
         field("signin.password", "password", "password",
               auto_complete="current-password", required=True)],
        "signin.submit", SignInState.sign_in)


def setup_page() -> rx.Component:
    return _card_form(
        "setup.title", "setup.intro", SetupState.error,
        [field("setup.code", "code", auto_complete="off", auto_capitalize="none",
               required=True),
         _username(), *_new_password_pair()],
        "setup.submit", SetupState.create_admin)


def invite_page() -> rx.Component:
    return _card_form(
        "invite.title", "invite.intro", InviteState.error, _new_password_pair(),
        "invite.submit", InviteState.accept)
