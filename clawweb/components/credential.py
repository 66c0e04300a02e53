"""The model-credential widget, shared by the account page and project settings.

``state`` is a State class with ``cred`` (masked view dict), ``cred_error``,
``cred_testing``, ``cred_test_msg``, ``cred_test_ok``, ``cred_delete_open`` and
the handlers ``save_credential``, ``test_credential``, ``ask_delete_credential``,
``set_delete_credential_open`` and ``delete_credential``.
"""

from __future__ import annotations

import reflex as rx

from clawweb.components.admin import when
from clawweb.components.forms import error_callout
from clawweb.components.i18n import tr
from clawweb.state.credential_form import INPUT_ID


def _kind_label(kind: rx.Var) -> rx.Component:
    return rx.cond(kind == "oauth_token", tr("credentials.oauth_token"),
                   tr("credentials.api_key"))


def _stored(state) -> rx.Component:
    return rx.cond(
        state.cred.contains("hint"),
        rx.flex(
            rx.badge(rx.icon("key-round", size=12), _kind_label(state.cred["kind"]),
                     color_scheme="grass", size="2"),
            rx.code(state.cred["hint"], data_testid="credential-hint"),
            rx.text(tr("ui_agents.updated"), " ", when(state.cred["updated_at"]), size="1",
                    color_scheme="gray"),
            spacing="2", align="center", wrap="wrap", data_testid="credential-stored",
        ),
        rx.text(tr("ui_agents.credential_none"), size="2", color_scheme="gray",
                data_testid="credential-none"),
    )


def _form(state) -> rx.Component:
    return rx.form(
        rx.vstack(
            error_callout(state.cred_error),
            rx.vstack(
                rx.text(tr("ui_agents.kind"), size="2", weight="medium"),
                rx.select.root(
                    rx.select.trigger(width="100%", data_testid="credential-kind"),
                    rx.select.content(
                        rx.select.item(tr("credentials.api_key"), value="api_key"),
                        rx.select.item(tr("credentials.oauth_token"), value="oauth_token",
                                       data_testid="credential-kind-oauth")),
                    name="kind", default_value="api_key", size="3"),
                spacing="1", width="100%"),
            rx.vstack(
                rx.text(rx.cond(state.cred.contains("hint"), tr("ui_agents.secret_replace"),
                                tr("ui_agents.secret")),
                        as_="label", size="2", weight="medium", html_for=INPUT_ID),
                # Uncontrolled on purpose: the typed secret is never a state var.
                rx.input(id=INPUT_ID, name="secret", type="password", size="3", width="100%",
                         auto_complete="off", auto_capitalize="none", spell_check=False,
                         required=True, data_testid="credential-secret"),
                spacing="1", width="100%"),
            rx.button(tr("ui_agents.save_credential"), type="submit", size="3",
                      data_testid="credential-save"),
            spacing="3", width="100%", align="start",
        ),
        on_submit=state.save_credential, reset_on_submit=False, width="100%",
    )


def _actions(state) -> rx.Component:
    return rx.cond(state.cred.contains("hint"), rx.vstack(
        rx.flex(
            rx.button(rx.icon("plug-zap", size=16), tr("ui_agents.test"), variant="soft",
                      size="2", loading=state.cred_testing, on_click=state.test_credential,
                      data_testid="credential-test"),
            rx.button(rx.icon("trash-2", size=16), tr("ui_agents.delete_credential"),
                      variant="soft", color_scheme="red", size="2",
                      on_click=state.ask_delete_credential, data_testid="credential-delete"),
            spacing="2", wrap="wrap"),
        rx.cond(state.cred_testing, rx.text(tr("ui_agents.testing"), size="2",
                                            color_scheme="gray")),
        rx.cond(state.cred_test_msg != "", rx.callout(
            state.cred_test_msg, icon=rx.cond(state.cred_test_ok, "circle-check", "circle-x"),
            color_scheme=rx.cond(state.cred_test_ok, "grass", "red"), width="100%",
            data_testid="credential-test-result")),
        spacing="2", width="100%",
    ))


def _delete_dialog(state) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(tr("ui_agents.delete_credential")),
            rx.alert_dialog.description(tr("ui_agents.delete_credential_body")),
            rx.flex(
                rx.alert_dialog.cancel(rx.button(tr("shell.cancel"), variant="soft",
                                                 color_scheme="gray", size="3")),
                rx.alert_dialog.action(rx.button(
                    tr("ui_agents.delete_credential"), color_scheme="red", size="3",
                    on_click=state.delete_credential, data_testid="credential-delete-confirm")),
                spacing="3", justify="end", wrap="wrap", margin_top="var(--space-4)"),
            max_width="420px",
        ),
        open=state.cred_delete_open, on_open_change=state.set_delete_credential_open,
    )


def credential_card(state, intro_key: str, testid: str = "credential-section") -> rx.Component:
    """Heading, masked stored value, test/delete, and the form to store a new one."""
    return rx.card(rx.vstack(
        rx.heading(tr("ui_agents.credential"), size="4"),
        rx.text(tr(intro_key), size="2", color_scheme="gray"),
        _stored(state),
        _actions(state),
        _form(state),
        _delete_dialog(state),
        spacing="3", width="100%",
    ), width="100%", data_testid=testid)
