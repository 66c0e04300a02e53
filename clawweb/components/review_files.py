"""The file browser: branch picker, breadcrumbs, a directory or a file.

Phone first: every place is a plain link with a tall tap target; the
breadcrumbs wrap instead of scrolling the page, and a floating "Up" button
sits where a thumb reaches (above the tab bar). File contents are escaped HTML
from ``clawweb.live``; images come from the download route.
"""

from __future__ import annotations

import reflex as rx

from clawweb.components.i18n import tr
from clawweb.components.review_diff import WRAP
from clawweb.state.review_files import FilesState

W = FilesState.where
F = FilesState.file
TAP = "44px"


def branch_picker() -> rx.Component:
    """Any branch of the project; choosing one opens its root."""
    return rx.select.root(
        rx.select.trigger(aria_label=tr("ui_tasks.branch"), max_width="100%",
                          data_testid="files-branch"),
        rx.select.content(rx.foreach(FilesState.branches,
                                     lambda b: rx.select.item(b, value=b))),
        value=W["ref"].to(str), on_change=FilesState.choose_branch, size="3")


def breadcrumbs() -> rx.Component:
    """Root, then each directory down to here: tall, wrapping links."""
    def crumb(c) -> rx.Component:
        return rx.link(c["name"], href=c["href"], size="3", min_height=TAP,
                       display="inline-flex", align_items="center", padding_x="6px",
                       style=WRAP, data_testid="crumb")
    return rx.flex(
        rx.foreach(FilesState.crumbs, lambda c, i: rx.fragment(
            rx.cond(i > 0, rx.text("/", color_scheme="gray", size="3", aria_hidden="true")),
            crumb(c))),
        wrap="wrap", align="center", width="100%", gap="0",
        aria_label=tr("review_ui.breadcrumb"), data_testid="breadcrumbs")


def _entry(e) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(rx.match(e["kind"], ("dir", "folder"), ("link", "link"),
                                   ("submodule", "package"), "file"), size=18,
                          color=rx.cond(e["kind"] == "dir", rx.color("accent", 10),
                                        rx.color("gray", 10)), flex_shrink="0"),
                  rx.text(e["name"], size="3", style=WRAP, flex="1", min_width="0"),
                  rx.text(e["size"], size="1", color_scheme="gray", flex_shrink="0"),
                  align="center", spacing="3", width="100%"),
        href=e["href"], underline="none", color_scheme="gray", high_contrast=True,
        min_height=TAP, display="flex", align_items="center", padding_x="var(--space-3)",
        border_bottom=f"1px solid {rx.color('gray', 4)}", width="100%",
        _hover={"background": rx.color("gray", 3)}, data_testid="entry",
        data_kind=e["kind"])


def directory() -> rx.Component:
    """The entries of a directory, directories first."""
    return rx.card(rx.vstack(
        rx.cond(FilesState.entries.length() > 0,
                rx.vstack(rx.foreach(FilesState.entries, _entry), spacing="0", width="100%"),
                rx.text(tr("review_ui.empty_dir"), color_scheme="gray", size="2")),
        rx.cond(FilesState.entries_cut, rx.text(tr("review_ui.entries_cut"), size="1",
                                                color_scheme="amber")),
        spacing="0", width="100%"), width="100%", padding="0", data_testid="directory")


def _file_actions() -> rx.Component:
    return rx.flex(
        rx.link(rx.button(rx.icon("sparkles", size=14), tr("review_ui.open_in_task"),
                          size="3"), href=F["open_in_task"].to(str),
                data_testid="open-in-task"),
        rx.cond(F["download"].to(str) != "", rx.link(
            rx.button(rx.icon("download", size=14), tr("review_ui.download_file"), size="3",
                      variant="soft", color_scheme="gray"),
            href=F["download"].to(str), data_testid="file-download")),
        rx.cond(F["kind"].to(str) == "markdown", rx.button(
            rx.cond(FilesState.show_source, tr("review_ui.show_rendered"),
                    tr("review_ui.show_source")),
            size="3", variant="ghost", on_click=FilesState.toggle_source,
            data_testid="toggle-source")),
        gap="2", wrap="wrap", width="100%")


def _content() -> rx.Component:
    kind = F["kind"].to(str)
    note = {"binary": "review_ui.binary", "submodule": "review_ui.submodule"}
    return rx.match(
        kind,
        ("text", rx.html(F["html"].to(str), width="100%", data_testid="file-text")),
        ("markdown", rx.cond(FilesState.show_source,
                             rx.html(F["source_html"].to(str), width="100%",
                                     data_testid="file-text"),
                             rx.html(F["html"].to(str), class_name="cw-md", width="100%",
                                     data_testid="file-markdown"))),
        ("image", rx.image(src=F["image"].to(str), alt=F["name"].to(str), max_width="100%",
                           background=rx.color("gray", 3), border_radius="6px",
                           data_testid="file-image")),
        ("link", rx.text(tr("review_ui.symlink"), " → ",
                         rx.code(F["link"].to(str), style=WRAP), size="2", style=WRAP,
                         data_testid="file-link")),
        ("submodule", rx.text(tr(note["submodule"]), " ", rx.code(F["link"].to(str)),
                              size="2", data_testid="file-submodule")),
        rx.text(tr(note["binary"]), size="2", color_scheme="gray", data_testid="file-binary"))


def file_view() -> rx.Component:
    """A file: name, size, actions, then its content by kind."""
    return rx.vstack(
        rx.hstack(rx.heading(F["name"].to(str), size="4", style=WRAP, min_width="0"),
                  rx.text(F["size"].to(str), size="1", color_scheme="gray"),
                  align="baseline", wrap="wrap", spacing="2"),
        _file_actions(),
        rx.cond(F["truncated"].to(bool), rx.callout(
            tr("review_ui.truncated"), icon="scissors", size="1", width="100%",
            data_testid="file-truncated")),
        rx.box(_content(), width="100%", min_width="0"),
        spacing="3", width="100%", min_width="0", data_testid="file-view")


def up_button() -> rx.Component:
    """Where a thumb reaches: bottom right, above the phone's tab bar."""
    return rx.cond(W["parent"].to(str) != "", rx.link(
        rx.button(rx.icon("arrow-up", size=18), tr("review_ui.up"), size="3",
                  radius="full", box_shadow="0 2px 8px rgba(0,0,0,.25)"),
        href=W["parent"].to(str), position="fixed", right="16px",
        bottom=["84px", "84px", "24px"], z_index="20", data_testid="files-up"))
