"""Sign-in, first-run setup and invite pages.

Each form is posted by the browser itself, as JSON, to its route under
``/api/auth/`` (``clawweb/http/auth_routes.py``); the password never passes
through the event WebSocket and the HttpOnly session cookie comes back on the
route's response. On success the page loads ``next`` in full (so the new event
socket carries the cookie); on an error the route's answer goes to
``show_error`` and the form, still filled in, shows it.
"""

from __future__ import annotations

import json

import reflex as rx

from clawweb import routes
from clawweb.components.forms import error_callout, field, submit
from clawweb.components.i18n import tr
from clawweb.components.layout import bare
from clawweb.state.auth import InviteState, SetupState, SignInState

FORM_ID = "cw-auth-form"

# Run by Reflex's call_script (an eval; see docs/architecture.md on the CSP).
_POST_FORM_JS = """(async () => {
  const data = Object.fromEntries(new FormData(document.getElementById(%(form)s)));
  data.next = new URLSearchParams(window.location.search).get("next") || "";
  %(invite)s
  let reply;
  try {
    const resp = await fetch(%(url)s, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify(data)});
    reply = await resp.json();
  } catch (err) {
    reply = {ok: false, error: "errors.unexpected"};
  }
  if (reply && reply.ok === true && typeof reply.next === "string"
      && reply.next.startsWith("/") && !reply.next.startsWith("//")) {
    window.location.assign(reply.next);
  }
  return reply;
})()"""


# The invite token is the last segment of the page's own URL (/invite/<token>).
_INVITE_JS = 'data.invite = window.location.pathname.replace(/\\/+$/, "").split("/").pop();'


def post_form(url: str, state, *, with_invite: bool = False) -> rx.event.EventSpec:
    """The on_submit event: post the form to ``url``; errors go to ``state.show_error``."""
    js = _POST_FORM_JS % {"form": json.dumps(FORM_ID), "url": json.dumps(url),
                          "invite": _INVITE_JS if with_invite else ""}
    return rx.call_script(js, callback=state.show_error)


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
            id=FORM_ID, on_submit=on_submit, reset_on_submit=False,
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
        "signin.submit", post_form(routes.API_SIGN_IN, SignInState))


def setup_page() -> rx.Component:
    return _card_form(
        "setup.title", "setup.intro", SetupState.error,
        [field("setup.code", "code", auto_complete="off", auto_capitalize="none",
               required=True),
         _username(), *_new_password_pair()],
        "setup.submit", post_form(routes.API_SETUP, SetupState))


def invite_page() -> rx.Component:
    return _card_form(
        "invite.title", "invite.intro", InviteState.error, _new_password_pair(),
        "invite.submit", post_form(routes.API_INVITE, InviteState, with_invite=True))


def not_found_page() -> rx.Component:
    """Any unknown address: said plainly, in the reader's language, with a way back."""
    return bare(
        rx.vstack(
            rx.heading(tr("notfound.title"), size="6", as_="h1"),
            rx.text(tr("notfound.hint"), color_scheme="gray"),
            rx.link(rx.button(rx.icon("arrow-left", size=16), tr("notfound.back"),
                              variant="soft", tab_index=-1),
                    href=routes.PROJECTS, underline="none"),
            spacing="4", align="start",
        ),
    )
