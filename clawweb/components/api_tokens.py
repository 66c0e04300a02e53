"""API tokens: the account page's section (own tokens) and the admin page's (everyone's)."""

from __future__ import annotations

import reflex as rx

from clawweb.components.account import section
from clawweb.components.admin import when
from clawweb.components.forms import error_callout, field
from clawweb.components.i18n import tr
from clawweb.state.api_tokens import (ANY_PROJECT, EXPIRY_DAYS, NEVER, SCOPES, ApiTokensState,
                                     TokenRow)

S = ApiTokensState


def _fact(label_key: str, value: rx.Component) -> rx.Component:
    return rx.hstack(rx.text(tr(label_key), size="1", color_scheme="gray", min_width="90px"),
                     rx.text(value, size="2", word_break="break-all"), spacing="2",
                     align="baseline")


def token_card(t: TokenRow) -> rx.Component:
    return _card(t, show_owner=False)


def owner_token_card(t: TokenRow) -> rx.Component:
    return _card(t, show_owner=True)


def _card(t: TokenRow, *, show_owner: bool) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.hstack(rx.text(t.name, weight="bold", word_break="break-all"),
                          rx.code(t.prefix + "…", size="1"),
                          rx.cond(t.expired, rx.badge(tr("ui_api_tokens.expired"),
                                                      color_scheme="amber")),
                          spacing="2", align="center", wrap="wrap"),
                *([_fact("ui_api_tokens.owner", t.owner)] if show_owner else []),
                _fact("ui_api_tokens.scopes", t.scopes),
                _fact("ui_api_tokens.project",
                      rx.cond(t.project != "", t.project, tr("ui_api_tokens.all_projects"))),
                _fact("ui_api_tokens.created", when(t.created)),
                _fact("ui_api_tokens.expires", when(t.expires, "ui_api_tokens.never")),
                _fact("ui_api_tokens.last_used",
                      rx.fragment(when(t.last_used, "ui_api_tokens.never_used"),
                                  rx.cond(t.last_ip != "", " · " + t.last_ip, ""))),
                spacing="1", min_width="0", flex="1",
            ),
            rx.button(tr("account.revoke"), variant="soft", color_scheme="red", size="2",
                      on_click=S.ask_revoke_token(t.id), data_testid="revoke-token"),
            align="start", spacing="3", width="100%", wrap="wrap",
        ),
        width="100%", data_testid="api-token",
    )


def _scope_box(scope: str) -> rx.Component:
    box = rx.checkbox(scope, name=f"scope_{scope}", default_checked=scope == "read",
                      data_testid=f"scope-{scope}")
    return rx.cond(S.is_admin, box) if scope == "admin" else box


def _create_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("key-round", size=16), tr("ui_api_tokens.new"),
                                    size="3", variant="soft", data_testid="new-token")),
        rx.dialog.content(
            rx.dialog.title(tr("ui_api_tokens.create_title")),
            rx.form(
                rx.vstack(
                    error_callout(S.create_error),
                    field("ui_api_tokens.name", "name", auto_complete="off", required=True,
                          max_length=100),
                    rx.text(tr("ui_api_tokens.scopes"), size="2", weight="medium"),
                    rx.text(tr("ui_api_tokens.scopes_hint"), size="1", color_scheme="gray"),
                    rx.hstack(*[_scope_box(s) for s in SCOPES], spacing="4", wrap="wrap"),
                    rx.text(tr("ui_api_tokens.project"), size="2", weight="medium"),
                    rx.el.select(
                        rx.el.option(tr("ui_api_tokens.all_projects"), value=ANY_PROJECT),
                        rx.foreach(S.project_choices,
                                   lambda p: rx.el.option(p[1], value=p[0])),
                        name="project", default_value=ANY_PROJECT, data_testid="token-project",
                    ),
                    rx.text(tr("ui_api_tokens.expires"), size="2", weight="medium"),
                    rx.el.select(
                        *[rx.el.option(tr("ui_api_tokens.days", days=d), value=str(d))
                          for d in EXPIRY_DAYS],
                        rx.el.option(tr("ui_api_tokens.never"), value=NEVER),
                        name="expiry", default_value="90", data_testid="token-expiry",
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button(tr("shell.cancel"), variant="soft",
                                                  color_scheme="gray", size="3", type="button")),
                        rx.button(tr("ui_api_tokens.create"), type="submit", size="3",
                                  data_testid="create-token"),
                        justify="end", width="100%", wrap="wrap",
                    ),
                    spacing="3", width="100%", margin_top="var(--space-3)",
                ),
                on_submit=S.create_token, reset_on_submit=True,
            ),
            max_width="460px",
        ),
        open=S.create_open, on_open_change=S.set_create_open,
    )


def _new_token_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(tr("ui_api_tokens.created_title")),
            rx.dialog.description(tr("ui_api_tokens.created_once"), size="2"),
            rx.box(rx.text(S.new_token, font_family="monospace", size="3",
                           word_break="break-all", data_testid="new-token-value"),
                   padding="var(--space-3)", margin_y="var(--space-3)", border_radius="8px",
                   background=rx.color("gray", 3), user_select="all"),
            rx.hstack(
                rx.button(rx.icon("copy", size=16), tr("admin.copy"), variant="soft", size="3",
                          on_click=[rx.set_clipboard(S.new_token),
                                    rx.toast.success(tr("admin.copied"))]),
                rx.button(tr("admin.done"), size="3", data_testid="new-token-done",
                          on_click=S.set_new_token_open(False)),
                justify="end", width="100%",
            ),
            max_width="460px",
        ),
        open=S.new_token != "", on_open_change=S.set_new_token_open,
    )


def _revoke_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(tr("ui_api_tokens.revoke_title")),
            rx.alert_dialog.description(tr("ui_api_tokens.revoke_body",
                                           name=S.revoke_token_name)),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(tr("shell.cancel"), variant="soft",
                                                 color_scheme="gray", size="3")),
                rx.alert_dialog.action(rx.button(tr("account.revoke"), color_scheme="red",
                                                 size="3", on_click=S.confirm_revoke_token,
                                                 data_testid="confirm-revoke-token")),
                justify="end", width="100%", margin_top="var(--space-4)",
            ),
            max_width="420px",
        ),
        open=S.revoke_token_id != 0, on_open_change=S.set_revoke_token_open,
    )


def api_tokens_section() -> rx.Component:
    """The account page's section: the caller's own tokens."""
    return section(
        "ui_api_tokens.title",
        rx.text(tr("ui_api_tokens.intro"), size="2", color_scheme="gray"),
        rx.vstack(rx.foreach(S.tokens, token_card), spacing="2", width="100%"),
        rx.cond(S.tokens_loaded & (S.tokens.length() == 0),
                rx.text(tr("ui_api_tokens.none"), size="2", color_scheme="gray")),
        _create_dialog(),
        _new_token_dialog(),
        _revoke_dialog(),
        on_mount=S.load_tokens, data_testid="api-tokens",
    )


def admin_tokens_section() -> rx.Component:
    """The admin page's section: every unrevoked token, with its owner."""
    return rx.box(
        section(
            "ui_api_tokens.all_title",
            rx.vstack(rx.foreach(S.all_tokens, owner_token_card),
                      spacing="2", width="100%"),
            rx.cond(S.all_tokens_loaded & (S.all_tokens.length() == 0),
                    rx.text(tr("ui_api_tokens.none_at_all"), size="2", color_scheme="gray")),
            _revoke_dialog(),
            data_testid="all-api-tokens",
        ),
        on_mount=S.load_all_tokens, width="100%", margin_top="var(--space-4)",
    )
