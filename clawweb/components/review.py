"""The review page's pieces: summary, ship actions, conflict, commits, pages of files.

Viewers (and members below the project's ship role) see the change but no
action buttons, only a one-line hint; the handlers refuse them anyway.
"""

from __future__ import annotations

import reflex as rx

from clawweb import routes
from clawweb.components.i18n import ago, tr
from clawweb.components.review_diff import WRAP, file_card
from clawweb.live.diff_html import CSS
from clawweb.state.review import ReviewState
from clawweb.state.review_settings import CommitEmailState, ShipSettingsState

R = ReviewState.review
STRATEGIES = ("ff", "merge", "squash")


def styles() -> rx.Component:
    """The diff and markdown stylesheet (class names only; no inline styles in the HTML)."""
    return rx.el.style(CSS)


def _badge(branch, **props) -> rx.Component:
    return rx.badge(rx.icon("git-branch", size=12), branch, variant="soft", color_scheme="gray",
                    style=WRAP, max_width="100%", **props)


def _state_badge() -> rx.Component:
    return rx.match(
        R["merge_state"].to(str),
        ("merged", rx.badge(rx.icon("git-merge", size=12),
                            tr("review_ui.merged_badge", sha=R["merged_short"].to(str)),
                            color_scheme="green", data_testid="review-merged")),
        ("discarded", rx.badge(rx.icon("trash-2", size=12), tr("review_ui.discarded_badge"),
                               color_scheme="gray", data_testid="review-discarded")),
        rx.fragment())


def summary() -> rx.Component:
    """Title, branch → default branch, totals, merged/discarded badge."""
    return rx.vstack(
        rx.hstack(rx.heading(tr("review_ui.title"), size="6"), _state_badge(),
                  align="center", wrap="wrap", spacing="3"),
        rx.text(R["title"].to(str), color_scheme="gray", style=WRAP),
        rx.hstack(_badge(R["branch"].to(str), data_testid="review-branch"),
                  rx.icon("arrow-right", size=14),
                  _badge(R["default_branch"].to(str)), align="center", wrap="wrap"),
        rx.text(tr("review_ui.totals", files=R["files"].to(str)), " · ",
                rx.text.span("+", R["additions"].to(str), color=rx.color("green", 11)), " ",
                rx.text.span("−", R["deletions"].to(str), color=rx.color("red", 11)),
                size="2", data_testid="review-totals"),
        rx.cond(R["files_cut"].to(bool), rx.text(tr("review_ui.files_cut"), size="1",
                                                 color_scheme="amber")),
        spacing="2", width="100%", data_testid="review-summary")


def _strategy() -> rx.Component:
    """Radio choices that wrap on a narrow phone (a segmented control would not fit)."""
    def one(value: str) -> rx.Component:
        return rx.text(rx.flex(rx.radio_group.item(value=value, data_testid=f"strategy-{value}"),
                               tr(f"review_ui.strategy.{value}"), gap="2", align="center"),
                       as_="label", size="2", min_height="36px", display="inline-flex",
                       align_items="center", padding_right="var(--space-3)")
    return rx.radio_group.root(
        rx.flex(*[one(s) for s in STRATEGIES], wrap="wrap", width="100%"),
        value=ReviewState.strategy, on_change=ReviewState.set_strategy, size="2",
        data_testid="merge-strategy")


def _confirm(trigger: rx.Component, title_key: str, body_key: str, action_key: str,
             on_click, colour: str, testid: str) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(tr(title_key)),
            rx.alert_dialog.description(tr(body_key, branch=R["branch"].to(str),
                                           target=R["default_branch"].to(str))),
            rx.flex(rx.alert_dialog.cancel(rx.button(tr("review_ui.keep"), variant="soft",
                                                     color_scheme="gray")),
                    rx.alert_dialog.action(rx.button(tr(action_key), color_scheme=colour,
                                                     on_click=on_click, data_testid=testid)),
                    gap="3", justify="end", margin_top="var(--space-4)", wrap="wrap"),
            max_width="420px"))


def _downloads() -> rx.Component:
    def one(kind: str) -> rx.Component:
        return rx.link(rx.button(rx.icon("download", size=14), tr(f"review_ui.download_{kind}"),
                                 variant="soft", size="2", color_scheme="gray"),
                       href=R[f"{kind}_url"].to(str), data_testid=f"download-{kind}")
    return rx.hstack(one("patch"), one("bundle"), wrap="wrap", spacing="2")


def _act_buttons() -> rx.Component:
    merge_btn = rx.button(rx.icon("git-merge", size=16), tr("review_ui.merge"), size="3",
                          loading=ReviewState.acting, data_testid="merge-open")
    discard_btn = rx.button(rx.icon("trash-2", size=16), tr("review_ui.discard"), size="3",
                            variant="soft", color_scheme="red", data_testid="discard-open")
    return rx.vstack(
        rx.text(tr("review_ui.strategy_label"), size="2", weight="medium"),
        _strategy(),
        rx.flex(_confirm(merge_btn, "review_ui.merge_title", "review_ui.merge_body",
                         "review_ui.merge", ReviewState.merge_task, "green", "merge-confirm"),
                _confirm(discard_btn, "review_ui.discard_title", "review_ui.discard_body",
                         "review_ui.discard", ReviewState.discard_task, "red",
                         "discard-confirm"),
                gap="3", wrap="wrap", width="100%"),
        spacing="2", width="100%")


def _hint(key: str, testid: str) -> rx.Component:
    return rx.text(rx.icon("lock", size=12), " ", tr(key), size="2", color_scheme="gray",
                   data_testid=testid)


def actions() -> rx.Component:
    """Merge / discard / downloads for those allowed; a one-line hint for the others."""
    unmerged = R["merge_state"].to(str) == ""
    return rx.card(rx.vstack(
        rx.heading(tr("review_ui.ship"), size="4"),
        rx.cond(
            ~R["can_ship"].to(bool),
            rx.cond(R["ship_role"].to(str) == "owner",
                    _hint("review_ui.hint_owners", "review-no-actions"),
                    _hint("review_ui.hint_editors", "review-no-actions")),
            rx.vstack(
                rx.cond(R["may_act"].to(bool) & unmerged, _act_buttons()),
                rx.cond(~R["finished"].to(bool) | R["busy"].to(bool),
                        _hint("review_ui.hint_unfinished", "review-unfinished")),
                rx.cond(R["has_branch"].to(bool), _downloads()),
                spacing="3", width="100%")),
        spacing="3", width="100%"), width="100%", data_testid="review-actions")


def conflict() -> rx.Component:
    """The files in conflict, plainly, and the offer to let the agent resolve them."""
    return rx.cond(ReviewState.conflict_files.length() > 0, rx.callout.root(
        rx.callout.icon(rx.icon("git-pull-request-arrow")),
        rx.callout.text(rx.vstack(
            rx.text(tr("review_ui.conflict_title", target=R["default_branch"].to(str)),
                    weight="bold"),
            rx.el.ul(rx.foreach(ReviewState.conflict_files, lambda f: rx.el.li(
                rx.code(f, variant="ghost", style=WRAP), data_testid="conflict-file")),
                margin="0", padding_left="1.2em"),
            rx.text(tr("review_ui.conflict_offer"), size="2"),
            rx.form(
                rx.el.input(type="hidden", name="idempotency_key",
                            value=ReviewState.resolve_key, read_only=True),
                rx.button(rx.icon("sparkles", size=14), tr("review_ui.resolve"), type="submit",
                          size="2", data_testid="conflict-resolve"),
                on_submit=ReviewState.resolve_conflicts, reset_on_submit=False),
            spacing="2", width="100%")),
        color_scheme="amber", width="100%", role="alert", data_testid="conflict"))


def _commit(c) -> rx.Component:
    return rx.el.details(
        rx.el.summary(rx.hstack(
            rx.code(c["short"], variant="ghost", size="2", flex_shrink="0"),
            rx.text(c["subject"], size="2", weight="medium", style=WRAP, min_width="0"),
            align="start", spacing="2", display="inline-flex", max_width="calc(100% - 1.5em)"),
            cursor="pointer"),
        rx.vstack(
            rx.text(c["author"], " · ", ago(c["date"], title=c["date"]),
                    size="1", color_scheme="gray"),
            rx.cond(c["body"] != "", rx.text(c["body"], size="2", white_space="pre-wrap",
                                             style=WRAP)),
            spacing="1", padding_left="var(--space-4)", padding_y="var(--space-1)"),
        width="100%", padding_y="6px", border_bottom=f"1px solid {rx.color('gray', 4)}",
        data_testid="review-commit")


def commits() -> rx.Component:
    """The branch's commits, each expandable to its message."""
    return rx.cond(ReviewState.commits.length() > 0, rx.card(rx.vstack(
        rx.hstack(rx.icon("git-commit-horizontal", size=18),
                  rx.heading(tr("review_ui.commits"), size="3"),
                  rx.badge(ReviewState.commits.length().to_string()), align="center"),
        rx.vstack(rx.foreach(ReviewState.commits, _commit), spacing="0", width="100%"),
        spacing="2", width="100%"), width="100%"))


def _pager() -> rx.Component:
    L = ReviewState
    return rx.cond(L.pages > 1, rx.hstack(
        rx.button(rx.icon("chevron-left", size=14), tr("review_ui.prev_page"), size="2",
                  variant="soft", disabled=L.page <= 0, on_click=L.show_page(L.page - 1),
                  data_testid="page-prev"),
        rx.text(tr("review_ui.page_of", page=(L.page + 1).to_string(),
                   pages=L.pages.to_string()), size="2", data_testid="page-of"),
        rx.button(tr("review_ui.next_page"), rx.icon("chevron-right", size=14), size="2",
                  variant="soft", disabled=L.page >= L.pages - 1,
                  on_click=L.show_page(L.page + 1), data_testid="page-next"),
        align="center", spacing="3", wrap="wrap"))


def files() -> rx.Component:
    """The current page of file cards between two pagers."""
    return rx.vstack(
        rx.hstack(rx.heading(tr("review_ui.files"), size="4"), rx.spacer(), _pager(),
                  align="center", wrap="wrap", width="100%"),
        rx.cond(ReviewState.cards.length() > 0,
                rx.vstack(rx.foreach(ReviewState.cards, file_card), spacing="2", width="100%",
                          min_width="0"),
                rx.text(rx.cond(R["has_branch"].to(bool), tr("review_ui.no_changes"),
                                tr("review_ui.no_branch")),
                        color_scheme="gray", size="2", data_testid="review-empty")),
        _pager(),
        spacing="3", width="100%", min_width="0", data_testid="review-files")


def back_link() -> rx.Component:
    """Back to the task page."""
    return rx.link(rx.hstack(rx.icon("arrow-left", size=14),
                             tr("review_ui.back", id=R["task_id"].to(str)), align="center"),
                   href=R["task_url"].to(str), size="2", data_testid="review-back")


def browse_link() -> rx.Component:
    """The file browser on the task's branch."""
    return rx.link(rx.hstack(rx.icon("folder-tree", size=14), tr("review_ui.browse_branch"),
                             align="center"),
                   href=R["browse_url"].to(str), size="2", data_testid="review-browse")



def ship_settings() -> rx.Component:
    """Project settings card: default merge strategy and who may ship (owners edit)."""
    S = ShipSettingsState
    return rx.card(rx.form(
        rx.vstack(
            rx.heading(tr("review_ui.settings_title"), size="4"),
            rx.text(tr("review_ui.settings_hint"), size="2", color_scheme="gray"),
            rx.text(tr("review_ui.strategy_label"), as_="label", size="2", weight="medium"),
            rx.select.root(
                rx.select.trigger(width="100%", data_testid="ship-strategy"),
                rx.select.content(*[rx.select.item(tr(f"review_ui.strategy.{s}"), value=s)
                                    for s in STRATEGIES]),
                name="merge_strategy", default_value=S.ship_strategy, key=S.ship_strategy,
                size="3", disabled=~S.ship_is_owner),
            rx.text(tr("review_ui.ship_role_label"), as_="label", size="2", weight="medium"),
            rx.select.root(
                rx.select.trigger(width="100%", data_testid="ship-role"),
                rx.select.content(
                    rx.select.item(tr("review_ui.ship_role.editor"), value="editor"),
                    rx.select.item(tr("review_ui.ship_role.owner"), value="owner")),
                name="ship_role", default_value=S.ship_role, key=S.ship_role, size="3",
                disabled=~S.ship_is_owner),
            rx.cond(S.ship_error != "", rx.callout(S.ship_error, icon="triangle-alert",
                                                   color_scheme="red", width="100%")),
            rx.cond(S.ship_is_owner, rx.button(tr("review_ui.save"), type="submit", size="3",
                                               data_testid="ship-save")),
            spacing="2", width="100%"),
        on_submit=S.save_ship_settings, reset_on_submit=False),
        width="100%", on_mount=S.load_ship_settings, data_testid="ship-settings")


def files_link(project_id) -> rx.Component:
    """The project page's way into the file browser."""
    return rx.link(rx.button(rx.icon("folder-tree", size=16), tr("review_ui.files_title"),
                             variant="soft"),
                   href=routes.project_files(project_id), data_testid="files-link")


def commit_email_card() -> rx.Component:
    """Account page: the email commits made on your behalf carry."""
    S = CommitEmailState
    return rx.card(rx.form(
        rx.vstack(
            rx.heading(tr("review_ui.email_title"), size="4"),
            rx.text(tr("review_ui.email_hint"), size="2", color_scheme="gray"),
            rx.input(name="commit_email", type="email", size="3", width="100%",
                     default_value=S.commit_email, key=S.commit_email, max_length=254,
                     auto_capitalize="none", auto_complete="email",
                     data_testid="input-commit_email"),
            rx.cond(S.commit_email_error != "", rx.callout(
                S.commit_email_error, icon="triangle-alert", color_scheme="red", width="100%",
                data_testid="commit-email-error")),
            rx.button(tr("review_ui.save"), type="submit", size="3",
                      data_testid="save-commit-email"),
            spacing="2", width="100%"),
        on_submit=S.save_commit_email, reset_on_submit=False),
        width="100%", on_mount=S.load_commit_email, data_testid="commit-email")
