"""One changed file of a review: a collapsible card with its diff, image, link or note.

The diff itself is one block of escaped HTML built by ``clawweb.live.diff_html``
(``rx.html``): a page of a large diff is one ``innerHTML`` per file, not a React
component per line. The block scrolls or wraps inside its card, never the page.
Added and deleted whole files start collapsed (``<details>`` without ``open``);
collapsing and expanding never talks to the server.
"""

from __future__ import annotations

import reflex as rx

from clawweb.components.i18n import tr
from clawweb.state.review import ReviewState

STATUS = {"added": ("green", "file-plus"), "modified": ("blue", "file-pen"),
          "deleted": ("red", "file-minus"), "renamed": ("violet", "file-symlink"),
          "copied": ("cyan", "copy"), "type_changed": ("amber", "file-question")}
WRAP = {"overflow_wrap": "anywhere", "word_break": "break-word"}


def status_badge(status: rx.Var) -> rx.Component:
    """Added / modified / deleted / renamed …, with an icon so colour is not the only signal."""
    def one(value: str):
        colour, icon = STATUS[value]
        return (value, rx.badge(rx.icon(icon, size=12), tr(f"review_ui.status.{value}"),
                                color_scheme=colour, variant="soft", flex_shrink="0",
                                data_testid="file-status", data_status=value))
    return rx.match(status, *[one(v) for v in STATUS], rx.badge(status))


def _counts(card) -> rx.Component:
    return rx.text(
        rx.text.span("+", card["additions"].to(str), color=rx.color("green", 11)), " ",
        rx.text.span("−", card["deletions"].to(str), color=rx.color("red", 11)),
        size="1", font_family="monospace", flex_shrink="0", white_space="nowrap",
        data_testid="file-counts")


def _name(card) -> rx.Component:
    renamed = card["old_path"].to(str) != ""
    return rx.text(
        rx.cond(renamed, rx.text.span(card["old_path"].to(str), " → ",
                                      color=rx.color("gray", 11))),
        rx.text.span(card["path"].to(str), weight="medium"),
        size="2", font_family="monospace", style=WRAP, min_width="0", flex="1",
        data_testid="file-path")


def _summary(card) -> rx.Component:
    # The browser's own marker is hidden (CSS .cw-card); this chevron turns when open.
    return rx.el.summary(
        rx.hstack(rx.icon("chevron-right", size=16, class_name="cw-chev", flex_shrink="0"),
                  status_badge(card["status"].to(str)), _name(card), _counts(card),
                  align="center", spacing="2", width="100%", min_width="0"),
        cursor="pointer", padding="var(--space-2)", data_testid="file-summary")


def _download(card) -> rx.Component:
    return rx.cond(card["download"].to(str) != "", rx.link(
        rx.icon("download", size=14), tr("review_ui.download_file"),
        href=card["download"].to(str), size="2", display="inline-flex", gap="1",
        align_items="center", data_testid="file-download"))


def _window_nav(card) -> rx.Component:
    index, L = card["index"].to(int), ReviewState
    return rx.cond(card["has_prev"].to(bool) | card["has_next"].to(bool), rx.hstack(
        rx.button(rx.icon("chevron-up", size=14), tr("review_ui.earlier_lines"), size="2",
                  variant="soft", disabled=~card["has_prev"].to(bool),
                  on_click=L.file_window(index, card["prev_start"].to(int)),
                  data_testid="file-earlier"),
        rx.text(tr("review_ui.lines_of", start=card["start"].to(str),
                   end=card["end"].to(str), total=card["total"].to(str)),
                size="1", color_scheme="gray", data_testid="file-window"),
        rx.button(tr("review_ui.later_lines"), rx.icon("chevron-down", size=14), size="2",
                  variant="soft", disabled=~card["has_next"].to(bool),
                  on_click=L.file_window(index, card["next_start"].to(int)),
                  data_testid="file-later"),
        spacing="2", align="center", wrap="wrap", padding="var(--space-2)"))


def _image(label_key: str, src) -> rx.Component:
    return rx.cond(src != "", rx.vstack(
        rx.text(tr(label_key), size="1", color_scheme="gray"),
        rx.image(src=src, alt="", max_width="100%", max_height="360px",
                 object_fit="contain", background=rx.color("gray", 3),
                 border_radius="6px", data_testid="file-image"),
        spacing="1", min_width="0", flex="1"))


def _note(key: str, icon: str, testid: str) -> rx.Component:
    return rx.hstack(rx.icon(icon, size=14), rx.text(tr(key), size="2"),
                     align="center", spacing="2", color=rx.color("gray", 11),
                     data_testid=testid)


def _link(card) -> rx.Component:
    def side(label_key: str, value) -> rx.Component:
        return rx.cond(value != "", rx.text(
            tr(label_key), " ", rx.code(value, variant="soft", style=WRAP), size="2",
            style=WRAP))
    return rx.vstack(_note("review_ui.symlink", "link", "file-symlink"),
                     side("review_ui.link_was", card["link_old"].to(str)),
                     side("review_ui.link_now", card["link_new"].to(str)),
                     spacing="1", width="100%")


def _body(card) -> rx.Component:
    kind = card["kind"].to(str)
    return rx.box(
        rx.cond(card["too_large"].to(bool),
                _note("review_ui.too_large", "file-warning", "file-too-large")),
        rx.match(
            kind,
            ("text", rx.cond(
                card["html"].to(str) != "",
                rx.fragment(rx.html(card["html"].to(str), width="100%",
                                    data_testid="file-diff"), _window_nav(card)),
                rx.cond(~card["too_large"].to(bool),
                        _note("review_ui.no_content_change", "equal", "file-unchanged")))),
            ("image", rx.flex(_image("review_ui.before", card["old_image"].to(str)),
                              _image("review_ui.after", card["new_image"].to(str)),
                              direction=rx.breakpoints(initial="column", sm="row"),
                              gap="3", width="100%")),
            ("symlink", _link(card)),
            ("submodule", _note("review_ui.submodule", "package", "file-submodule")),
            _note("review_ui.binary", "file-digit", "file-binary"),
        ),
        rx.box(_download(card), padding_top="var(--space-2)"),
        padding="var(--space-2)", padding_top="0", width="100%", min_width="0")


def file_card(card) -> rx.Component:
    """A changed file: summary always visible, the rest inside a ``<details>``."""
    return rx.el.details(
        _summary(card), _body(card),
        open=card["open"].to(bool), id=card["anchor"].to(str), key=card["anchor"].to(str),
        border=f"1px solid {rx.color('gray', 5)}", border_radius="8px", width="100%",
        min_width="0", background=rx.color("gray", 1), class_name="cw-card",
        data_testid="file-card", data_path=card["path"].to(str),
        data_kind=card["kind"].to(str))
