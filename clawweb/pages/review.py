"""/tasks/<id>/review (a task's change and its ship actions) and /projects/<id>/files."""

from __future__ import annotations

import reflex as rx

from clawweb.components import review as ui
from clawweb.components import review_files as files_ui
from clawweb.components.i18n import tr
from clawweb.components.layout import loading, page
from clawweb.state.review import ReviewState
from clawweb.state.review_files import FilesState


def _error(message) -> rx.Component:
    return rx.callout(message, icon="triangle-alert", color_scheme="red", width="100%",
                      data_testid="review-error")


def review_page() -> rx.Component:
    """/tasks/<id>/review: the task's change and what the caller may do with it."""
    return page(
        ui.styles(),
        rx.cond(
            ~ReviewState.review_loaded, loading(),
            rx.cond(
                ReviewState.review_error != "", _error(ReviewState.review_error),
                rx.vstack(
                    rx.hstack(ui.back_link(), rx.spacer(), ui.browse_link(), wrap="wrap",
                              width="100%"),
                    ui.summary(),
                    ui.actions(),
                    ui.conflict(),
                    ui.commits(),
                    ui.files(),
                    spacing="4", width="100%", min_width="0"))),
    )


def files_page() -> rx.Component:
    """/projects/<id>/files: a directory or a file of any branch."""
    W = FilesState.where
    return page(
        ui.styles(),
        rx.cond(
            ~FilesState.files_loaded, loading(),
            rx.cond(
                FilesState.files_error != "", _error(FilesState.files_error),
                rx.vstack(
                    rx.link(rx.hstack(rx.icon("arrow-left", size=14),
                                      tr("review_ui.back_project"), align="center"),
                            href=W["project_url"].to(str),
                            size="2", data_testid="files-back"),
                    rx.hstack(rx.heading(tr("review_ui.files_title"), size="6"),
                              files_ui.branch_picker(),
                              rx.code(W["commit_short"].to(str), variant="ghost", size="2"),
                              align="center", wrap="wrap", spacing="3", width="100%"),
                    files_ui.breadcrumbs(),
                    rx.cond(FilesState.file.contains("path"), files_ui.file_view(),
                            files_ui.directory()),
                    files_ui.up_button(),
                    spacing="3", width="100%", min_width="0"))),
    )
