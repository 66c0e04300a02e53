"""A plan Claude proposes in plan mode, as a card: the plan (markdown), Approve plan / Keep planning.

The card answers the plan's approval request like any other: "Approve plan"
allows it (the worker goes on in the project's editing mode), "Keep planning"
denies it with the optional note, which the agent reads as it keeps planning.
The HTML is :func:`clawweb.live.plan_view.plan_html` (inert markdown).
"""

from __future__ import annotations

import reflex as rx

from clawweb.components.i18n import ago, tr
from clawweb.state.approvals import ApprovalsState

# The server-made HTML has no component styles: headings and lists as a plan reads.
PLAN_STYLE = {
    "& h1, & h2, & h3": {"font_weight": "700", "margin": "0.6em 0 0.3em", "line_height": "1.3"},
    "& h1": {"font_size": "1.25em"}, "& h2": {"font_size": "1.12em"},
    "& ol": {"list_style": "decimal", "padding_left": "1.5em", "margin": "0.4em 0"},
    "& ul": {"list_style": "disc", "padding_left": "1.5em", "margin": "0.4em 0"},
    "& p": {"margin": "0.4em 0"},
}


def _keep_planning(row) -> rx.Component:
    return rx.form(
        rx.el.input(type="hidden", name="approval_id", value=row["id"].to(str), read_only=True),
        rx.vstack(
            rx.text_area(name="message", placeholder=tr("ui_plan.feedback"), rows="2",
                         max_length=2000, width="100%", data_testid="plan-feedback"),
            rx.button(rx.icon("pencil", size=14), tr("ui_plan.keep_planning"), type="submit",
                      variant="soft", size="3", width="100%", data_testid="plan-keep"),
            spacing="2", width="100%"),
        on_submit=ApprovalsState.deny, reset_on_submit=True, width="100%")


def plan_card(row) -> rx.Component:
    """One proposed plan waiting for a person."""
    return rx.card(
        rx.vstack(
            rx.hstack(rx.icon("list-checks", size=18, color=rx.color("blue", 11)),
                      rx.text(tr("ui_plan.title"), weight="bold"),
                      spacing="2", align="center", width="100%"),
            rx.box(rx.html(row["plan_html"].to(str), class_name="cw-md"), width="100%",
                   max_height="60vh", overflow_y="auto", overflow_wrap="anywhere",
                   style=PLAN_STYLE, data_testid="plan-body"),
            rx.hstack(rx.text(tr("ui_conv.approval.expires"), size="1", color_scheme="gray"),
                      ago(row["expires_at"].to(str), interval=1000, font_size="12px"),
                      spacing="2", align="center"),
            rx.button(rx.icon("check", size=14), tr("ui_plan.approve"), size="3", width="100%",
                      color_scheme="green",
                      on_click=ApprovalsState.allow_once(row["id"].to(int)),
                      data_testid="plan-approve"),
            _keep_planning(row),
            spacing="3", width="100%", min_width="0"),
        width="100%", data_testid="plan-card", data_approval_id=row["id"].to(str),
        border=f"1px solid {rx.color('blue', 7)}")
