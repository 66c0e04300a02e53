"""Approval cards on the task page and the pending-approvals banner in the shell."""

from __future__ import annotations

import reflex as rx

from clawweb import routes
from clawweb.components.i18n import ago, tr
from clawweb.components.plan_card import plan_card
from clawweb.state.approvals import ApprovalsState

MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"


def _deny_form(row) -> rx.Component:
    return rx.form(
        rx.el.input(type="hidden", name="approval_id", value=row["id"].to(str), read_only=True),
        rx.hstack(
            rx.input(name="message", placeholder=tr("ui_conv.approval.deny_message"),
                     max_length=2000, size="2", flex="1", min_width="0",
                     data_testid="approval-deny-message"),
            rx.button(rx.icon("x", size=14), tr("ui_conv.approval.deny"), type="submit",
                      color_scheme="red", variant="soft", size="2",
                      data_testid="approval-deny"),
            spacing="2", width="100%", align="center"),
        on_submit=ApprovalsState.deny, reset_on_submit=True, width="100%")


def _rule_line(row) -> rx.Component:
    # On the card itself, not in a tooltip: phones have no hover.
    return rx.cond(
        row["rule"].to(str) != "",
        rx.text(tr("approval_rules.always", rule=row["rule"].to(str)), size="1",
                font_family=MONO, overflow_wrap="anywhere", data_testid="approval-rule"),
        rx.text(tr("approval_rules.none"), size="1", color_scheme="gray",
                data_testid="approval-no-rule"))


def approval_card(row) -> rx.Component:
    """One pending request: tool + input, expiry, the answers, and what "Always allow" adds."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("hand", size=16, color=rx.color("amber", 11)),
                rx.text(tr("ui_conv.approval.title", tool=row["tool"].to(str)), weight="bold",
                        overflow_wrap="anywhere"),
                spacing="2", align="center", width="100%"),
            rx.cond(row["summary"].to(str) != "", rx.code(
                row["summary"].to(str), variant="soft", size="2", white_space="pre-wrap",
                overflow_wrap="anywhere", display="block", width="100%",
                padding="var(--space-2)", data_testid="approval-summary")),
            rx.el.details(
                rx.el.summary(tr("ui_conv.input"), cursor="pointer", font_size="12px"),
                rx.el.pre(row["input"].to(str), font_family=MONO, font_size="12px",
                          white_space="pre-wrap", overflow_wrap="anywhere", max_height="240px",
                          overflow_y="auto", margin="0"),
                width="100%"),
            rx.hstack(rx.text(tr("ui_conv.approval.expires"), size="1", color_scheme="gray"),
                      # zh-z: the expiry in the UI language (components.i18n.ago)
                      ago(row["expires_at"].to(str), interval=1000,
                          font_size="12px", data_testid="approval-expires"),
                      spacing="2", align="center"),
            rx.flex(
                rx.button(rx.icon("check", size=14), tr("ui_conv.approval.allow"),
                          on_click=ApprovalsState.allow_once(row["id"].to(int)), size="2",
                          color_scheme="green", data_testid="approval-allow"),
                # Offered only when a rule names exactly this call (services.approval_rules).
                rx.cond(row["rule"].to(str) != "", rx.button(
                    rx.icon("shield-check", size=14), tr("ui_conv.approval.always"),
                    on_click=ApprovalsState.allow_always(row["id"].to(int)), size="2",
                    variant="soft", data_testid="approval-always")),
                spacing="2", wrap="wrap", width="100%"),
            _rule_line(row),
            _deny_form(row),
            spacing="3", width="100%", min_width="0"),
        width="100%", data_testid="approval-card", data_approval_id=row["id"].to(str),
        border=f"1px solid {rx.color('amber', 7)}")


def approval_cards(rows, waiting_without_rights) -> rx.Component:
    """Cards for requests the user may answer; a read-only note for viewers."""
    return rx.vstack(
        # prompt-c: a proposed plan reads as a plan card (components.plan_card).
        rx.foreach(rows, lambda r: rx.cond(r["plan_html"].to(str) != "", plan_card(r),
                                           approval_card(r))),
        rx.cond(waiting_without_rights & (rows.length() == 0), rx.callout(
            tr("ui_conv.approval.waiting_viewer"), icon="hand", color_scheme="amber",
            size="1", width="100%", data_testid="approval-waiting-viewer")),
        spacing="3", width="100%")


def pending_banner() -> rx.Component:
    """The shell's banner: how many requests wait for this user, linking to the first."""
    return rx.cond(
        ApprovalsState.pending_count > 0,
        rx.box(
            rx.link(
                rx.hstack(
                    rx.icon("hand", size=16),
                    rx.text(tr("ui_conv.badge", count=ApprovalsState.pending_count.to_string()),
                            size="2", weight="medium"),
                    rx.spacer(),
                    rx.text(tr("ui_conv.badge_open"), size="2"),
                    rx.icon("arrow-right", size=14),
                    align="center", spacing="2", width="100%",
                    padding_x="var(--space-3)", padding_y="var(--space-2)",
                    background=rx.color("amber", 3), border_radius="8px",
                    border=f"1px solid {rx.color('amber', 6)}"),
                href=ApprovalsState.pending_href, underline="none", color_scheme="amber",
                high_contrast=True, width="100%", display="block",
                data_testid="approvals-banner"),
            # The notification centre lists every request, not only the first.
            rx.link(tr("notify.ui.banner_all"), href=routes.NOTIFICATIONS, size="1",
                    display="block", margin_top="var(--space-1)",
                    data_testid="approvals-banner-centre"),
            width="100%", margin_bottom="var(--space-3)"),
    )
