"""Project settings, "Remote" section, and the private-clone fields of the new project form."""

from __future__ import annotations

import reflex as rx

from clawweb.components.i18n import tr
from clawweb.state.remotes import TOKEN_INPUT_ID, RemoteSettingsState as S

MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
WRAP = {"overflow_wrap": "anywhere", "word_break": "break-word"}
R = S.remote


def _labelled(label_key: str, control: rx.Component, html_for: str,
              hint_key: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(tr(label_key), as_="label", size="2", weight="medium", html_for=html_for),
        control,
        *([rx.text(tr(hint_key), size="1", color_scheme="gray")] if hint_key else []),
        spacing="1", width="100%")


def _error(message: rx.Var, testid: str) -> rx.Component:
    return rx.cond(message != "", rx.callout(message, icon="triangle-alert", color_scheme="red",
                                             width="100%", role="alert", style=WRAP,
                                             data_testid=testid))


def _confirm(trigger: rx.Component, title_key: str, body_key: str, confirm_key: str,
             on_confirm, testid: str) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(tr(title_key)),
            rx.alert_dialog.description(tr(body_key)),
            rx.flex(
                rx.alert_dialog.cancel(rx.button(tr("shell.cancel"), variant="soft",
                                                 color_scheme="gray")),
                rx.alert_dialog.action(rx.button(tr(confirm_key), color_scheme="red",
                                                 on_click=on_confirm,
                                                 data_testid=f"{testid}-confirm")),
                spacing="3", justify="end", margin_top="16px", wrap="wrap"),
            max_width="420px"))


def _credential_kind() -> rx.Component:
    """Which credential this URL signs in with (the URL's scheme decides)."""
    return rx.cond(R["transport"] != "", rx.flex(
        rx.text(tr("ui_remotes.signs_in_with"), size="2", color_scheme="gray"),
        rx.cond(R["transport"] == "ssh",
                rx.badge(rx.icon("key-round", size=12), tr("ui_remotes.key"),
                         color_scheme="blue", data_testid="remote-kind"),
                rx.badge(rx.icon("lock", size=12), tr("ui_remotes.token"),
                         color_scheme="blue", data_testid="remote-kind")),
        spacing="2", align="center", wrap="wrap"))


def _remote_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            _error(S.remote_error, "remote-error"),
            _credential_kind(),
            _labelled("ui_remotes.url", rx.input(
                name="url", id="remote-url", default_value=R["url"], size="3", width="100%",
                placeholder="https://github.com/owner/repo.git", auto_capitalize="none",
                auto_complete="off", spell_check=False, data_testid="remote-url"),
                "remote-url", "ui_remotes.url_hint"),
            _labelled("ui_remotes.forge", rx.select.root(
                rx.select.trigger(width="100%", data_testid="remote-forge"),
                rx.select.content(
                    rx.select.item(tr("ui_remotes.forge_auto"), value="auto"),
                    rx.select.item("GitHub", value="github"),
                    rx.select.item("GitLab", value="gitlab"),
                    rx.select.item("Gitea / Forgejo", value="gitea",
                                   data_testid="remote-forge-gitea")),
                name="forge", default_value=rx.cond(R["forge"] != "", R["forge"], "auto"),
                size="3"), "remote-forge", "ui_remotes.forge_hint"),
            _labelled("ui_remotes.api_url", rx.input(
                name="forge_api_url", id="remote-api-url", default_value=R["forge_api_url"],
                size="3", width="100%", auto_capitalize="none", auto_complete="off",
                spell_check=False, placeholder="https://git.example.org/api/v1",
                data_testid="remote-api-url"), "remote-api-url", "ui_remotes.api_url_hint"),
            _labelled("ui_remotes.token_username", rx.input(
                name="token_username", id="remote-token-username",
                default_value=R["token_username"], size="3", width="100%",
                auto_capitalize="none", auto_complete="off", spell_check=False,
                data_testid="remote-token-username"), "remote-token-username",
                "ui_remotes.token_username_hint"),
            rx.text(rx.flex(rx.checkbox(name="sync_before_task",
                                        default_checked=R["sync_before_task"] == "1",
                                        data_testid="remote-sync-before"),
                            tr("ui_remotes.sync_before_task"), spacing="2", align="center"),
                    as_="label", size="2"),
            rx.button(tr("shell.save"), type="submit", size="3", data_testid="remote-save"),
            spacing="3", width="100%", align="start"),
        on_submit=S.save_remote, reset_on_submit=False, width="100%",
        key=S.remote_rev.to_string())


def _token_card() -> rx.Component:
    stored = rx.cond(
        R["has_token"] == "1",
        rx.flex(rx.badge(rx.icon("key-round", size=12), tr("ui_remotes.token_stored"),
                         color_scheme="grass"),
                rx.code("…", R["token_hint"], data_testid="remote-token-hint"),
                _confirm(rx.button(tr("ui_remotes.remove"), size="1", variant="soft",
                                   color_scheme="red", data_testid="remote-token-delete"),
                         "ui_remotes.token_delete_title", "ui_remotes.token_delete_body",
                         "ui_remotes.remove", S.delete_token, "remote-token-delete"),
                spacing="2", align="center", wrap="wrap"),
        rx.text(tr("ui_remotes.token_none"), size="2", color_scheme="gray",
                data_testid="remote-token-none"))
    return rx.card(rx.vstack(
        rx.heading(tr("ui_remotes.token"), size="3"),
        rx.text(tr("ui_remotes.token_intro"), size="2", color_scheme="gray"),
        stored,
        rx.form(rx.vstack(
            _error(S.token_error, "remote-token-error"),
            # Uncontrolled on purpose: the typed token is never a state var.
            rx.input(id=TOKEN_INPUT_ID, name="token", type="password", size="3", width="100%",
                     auto_complete="off", auto_capitalize="none", spell_check=False,
                     placeholder=tr("ui_remotes.token_placeholder"),
                     data_testid="remote-token"),
            rx.button(tr("ui_remotes.token_save"), type="submit", size="2",
                      data_testid="remote-token-save"),
            spacing="2", width="100%", align="start"),
            on_submit=S.save_token, reset_on_submit=False, width="100%"),
        spacing="3", width="100%"), width="100%")


def _key_card() -> rx.Component:
    has_key = R["public_key"] != ""
    shown = rx.vstack(
        rx.code(R["public_key"], size="1", style=WRAP, white_space="pre-wrap", width="100%",
                padding="var(--space-2)", data_testid="remote-public-key"),
        rx.text(tr("ui_remotes.fingerprint"), " ", rx.code(R["key_fingerprint"], size="1",
                                                           style=WRAP),
                size="1", color_scheme="gray"),
        rx.flex(
            rx.button(rx.icon("copy", size=14), tr("ui_remotes.copy"), size="2",
                      variant="soft", on_click=rx.set_clipboard(R["public_key"]),
                      data_testid="remote-key-copy"),
            _confirm(rx.button(tr("ui_remotes.key_replace"), size="2", variant="soft",
                               color_scheme="orange", data_testid="remote-key-replace"),
                     "ui_remotes.key_replace_title", "ui_remotes.key_replace_body",
                     "ui_remotes.key_replace", S.generate_key, "remote-key-replace"),
            _confirm(rx.button(tr("ui_remotes.remove"), size="2", variant="soft",
                               color_scheme="red", data_testid="remote-key-delete"),
                     "ui_remotes.key_delete_title", "ui_remotes.key_delete_body",
                     "ui_remotes.remove", S.delete_key, "remote-key-delete"),
            spacing="2", wrap="wrap"),
        spacing="2", width="100%")
    return rx.card(rx.vstack(
        rx.heading(tr("ui_remotes.key"), size="3"),
        rx.text(tr("ui_remotes.key_intro"), size="2", color_scheme="gray"),
        rx.cond(has_key, shown, rx.button(rx.icon("key-round", size=14),
                                          tr("ui_remotes.key_generate"), size="2",
                                          on_click=S.generate_key,
                                          data_testid="remote-key-generate")),
        spacing="3", width="100%"), width="100%")


def _host_key(h: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(h["host"], " · ", h["type"], size="1", color_scheme="gray", style=WRAP),
        rx.code(h["fingerprint"], size="2", style=WRAP, data_testid="remote-host-fingerprint"),
        spacing="0", width="100%")


def _host_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading(tr("ui_remotes.host_keys"), size="3"),
        rx.cond(S.host_keys.length() > 0, rx.vstack(
            rx.text(tr("ui_remotes.host_keys_intro"), size="2", color_scheme="gray"),
            rx.foreach(S.host_keys, _host_key),
            _confirm(rx.button(tr("ui_remotes.host_forget"), size="2", variant="soft",
                               color_scheme="red", data_testid="remote-host-forget"),
                     "ui_remotes.host_forget_title", "ui_remotes.host_forget_body",
                     "ui_remotes.host_forget", S.forget_host_keys, "remote-host-forget"),
            spacing="2", width="100%"),
            rx.text(tr("ui_remotes.host_keys_none"), size="2", color_scheme="gray",
                    data_testid="remote-host-none")),
        spacing="3", width="100%"), width="100%")


def _sync_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading(tr("ui_remotes.sync"), size="3"),
        rx.text(tr("ui_remotes.sync_intro"), size="2", color_scheme="gray"),
        rx.cond(R["last_sync_text"], rx.text(tr("ui_remotes.last_sync"), " ",
                                             R["last_sync_text"], size="1",
                                             color_scheme="gray", style=WRAP)),
        rx.button(rx.icon("refresh-cw", size=14), tr("ui_remotes.sync_now"), size="2",
                  loading=S.syncing, disabled=S.syncing | (R["url"] == ""),
                  on_click=S.sync_now, data_testid="remote-sync"),
        rx.cond(S.sync_msg != "", rx.callout(
            S.sync_msg, icon=rx.cond(S.sync_ok, "check", "triangle-alert"),
            color_scheme=rx.cond(S.sync_ok, "grass", "red"), width="100%", style=WRAP,
            data_testid="remote-sync-result")),
        rx.cond(S.sync_detail != "", rx.el.details(
            rx.el.summary(tr("ui_remotes.details"), cursor="pointer", font_size="12px"),
            rx.code(S.sync_detail, size="1", white_space="pre-wrap", style=WRAP))),
        spacing="3", width="100%"), width="100%")


def remote_section() -> rx.Component:
    """Rendered for owners; loads itself when it mounts."""
    return rx.vstack(
        rx.heading(tr("ui_remotes.section"), size="5"),
        rx.cond(S.remote_loaded, rx.vstack(
            rx.card(_remote_form(), width="100%"),
            _token_card(),
            _key_card(),
            _host_card(),
            _sync_card(),
            spacing="4", width="100%"),
            rx.center(rx.spinner(size="3"), padding_y="var(--space-6)")),
        spacing="3", width="100%", on_mount=S.load_remote, data_testid="remote-section")


def private_clone_fields() -> rx.Component:
    """New project form: optional credentials for cloning a private repository."""
    return rx.vstack(
        rx.text(tr("ui_remotes.private"), size="2", weight="medium"),
        rx.radio_group.root(
            rx.vstack(
                rx.text(rx.flex(rx.radio_group.item(value="public"),
                                tr("ui_remotes.private_public"), spacing="2"),
                        as_="label", size="2"),
                rx.text(rx.flex(rx.radio_group.item(value="token",
                                                    data_testid="clone-auth-token"),
                                tr("ui_remotes.private_token"), spacing="2"),
                        as_="label", size="2"),
                rx.text(rx.flex(rx.radio_group.item(value="deploy_key",
                                                    data_testid="clone-auth-key"),
                                tr("ui_remotes.private_key"), spacing="2"),
                        as_="label", size="2"),
                spacing="2"),
            name="clone_auth", default_value="public"),
        rx.input(name="remote_token", type="password", size="3", width="100%",
                 auto_complete="off", auto_capitalize="none", spell_check=False,
                 placeholder=tr("ui_remotes.token_placeholder"),
                 data_testid="input-remote-token"),
        rx.text(tr("ui_remotes.private_hint"), size="1", color_scheme="gray"),
        spacing="2", width="100%")
