"""The conversation view of a Claude task: markdown text, tool cards, result, header.

Items are the plain dicts folded by ``clawweb.live.conversation``. Text is
rendered with ``rx.markdown`` with raw HTML OFF (Reflex turns rehype-raw on by
default, which would render ``<img onerror=…>`` from a model reply), math off,
and images shown as links (nothing in a reply may load from the network).
Long commands and paths wrap or scroll inside their own card, never the page.
"""

from __future__ import annotations

import reflex as rx

from clawweb.components.i18n import tr

MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
TOOL_STATUS = {"running": ("blue", "loader"), "done": ("green", "check"),
               "error": ("red", "circle-x"), "denied": ("orange", "ban"),
               "waiting": ("amber", "hand"), "withdrawn": ("gray", "undo-2"),
               # The run ended first: no failure of the tool, so neutral.
               "interrupted": ("gray", "circle-pause"), "unfinished": ("gray", "circle-dashed")}
TODO_ICONS = {"completed": "square-check", "in_progress": "square-dot", "pending": "square"}
# Notices with a look of their own (others get "info"): the egress proxy's refusals
# and its budget stop, whose texts come folded in the reader's language.
NOTICE_ICONS = {"egress": "shield-ban", "budget": "wallet"}


def _image_as_link(*_children, **_props) -> rx.Component:
    """A markdown image becomes a link to it: the agent's text must never make the
    browser fetch anything (a tracking pixel would carry data out; the CSP's
    img-src is the second line). ``props`` is react-markdown's: src, alt, title."""
    label = rx.Var(_js_expr="(props.alt || props.src || '')", _var_type=str)
    # A plain <a>: react-markdown has already dropped unsafe schemes (javascript:).
    return rx.el.span(
        rx.el.a(rx.icon("image", size=14, display="inline", vertical_align="middle"), " ",
                label, href=rx.Var(_js_expr="props.src", _var_type=str), target="_blank",
                rel="noopener noreferrer nofollow", color=rx.color("accent", 11),
                overflow_wrap="anywhere"),
        data_testid="md-image-link")


def markdown_block(text) -> rx.Component:
    """Assistant markdown: GFM, highlighted code, raw HTML shown as text, images as links."""
    return rx.box(
        rx.markdown(text, use_raw=False, use_math=False, use_katex=False, use_gfm=True,
                    component_map={"img": _image_as_link}),
        width="100%", min_width="0", overflow_wrap="anywhere",
        class_name="cw-md",
    )


def _pre(text, **props) -> rx.Component:
    return rx.el.pre(
        text, font_family=MONO, font_size="12px", white_space="pre-wrap",
        overflow_wrap="anywhere", word_break="break-word", max_height="320px",
        overflow_y="auto", margin="0", padding="var(--space-2)", border_radius="6px",
        background=rx.color("gray", 3), width="100%", **props)


def _status_badge(status) -> rx.Component:
    def one(value: str):
        colour, icon = TOOL_STATUS[value]
        return (value, rx.badge(rx.icon(icon, size=12), tr(f"ui_conv.status.{value}"),
                                color_scheme=colour, variant="soft",
                                data_testid="tool-status", data_status=value))
    return rx.match(status, *[one(v) for v in TOOL_STATUS], rx.fragment())


def _diff(item) -> rx.Component:
    def line(row):
        sign = row["sign"].to(str)
        return rx.el.div(
            rx.el.span(sign, width="1.2em", display="inline-block", user_select="none"),
            row["text"].to(str),
            background=rx.match(sign, ("+", rx.color("green", 3)), ("-", rx.color("red", 3)),
                                "transparent"),
            color=rx.match(sign, ("@", rx.color("gray", 10)), "inherit"),
            white_space="pre-wrap", overflow_wrap="anywhere")
    return rx.box(rx.foreach(item["diff"].to(list[dict[str, str]]), line),
                  font_family=MONO, font_size="12px", max_height="320px", overflow_y="auto",
                  border=f"1px solid {rx.color('gray', 5)}", border_radius="6px", width="100%",
                  data_testid="tool-diff")


def _todos(item) -> rx.Component:
    def one(todo):
        status = todo["status"].to(str)
        return rx.hstack(
            rx.match(status, *[(s, rx.icon(i, size=14)) for s, i in TODO_ICONS.items()],
                     rx.icon("square", size=14)),
            rx.text(todo["content"].to(str), size="2", overflow_wrap="anywhere",
                    text_decoration=rx.cond(status == "completed", "line-through", "none"),
                    color=rx.cond(status == "completed", rx.color("gray", 10), "inherit")),
            align="start", spacing="2")
    return rx.vstack(rx.foreach(item["todos"].to(list[dict[str, str]]), one), spacing="1",
                     data_testid="tool-todos")


def _details(label, body, testid: str) -> rx.Component:
    """Collapsed by default (the result of a tool, thinking)."""
    return rx.el.details(
        rx.el.summary(label, cursor="pointer", font_size="12px", color=rx.color("gray", 11)),
        rx.box(body, padding_top="var(--space-1)"),
        width="100%", data_testid=testid)


def _tool(item) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("wrench", size=14),
                rx.text(item["name"].to(str), weight="bold", size="2"),
                _status_badge(item["status"].to(str)),
                align="center", spacing="2", wrap="wrap", width="100%"),
            # Why it ran without asking anyone (a rule, the read-only allowance).
            rx.cond(item["why"].to(str) != "", rx.text(
                item["why"].to(str), size="1", color_scheme="gray", overflow_wrap="anywhere",
                data_testid="tool-why")),
            rx.cond(item["summary"].to(str) != "", rx.code(
                item["summary"].to(str), variant="ghost", size="2", white_space="pre-wrap",
                overflow_wrap="anywhere", word_break="break-word", display="block",
                width="100%", data_testid="tool-summary")),
            rx.cond(item["diff"].to(list).length() > 0, _diff(item)),
            rx.cond(item["todos"].to(list).length() > 0, _todos(item)),
            rx.cond((item["diff"].to(list).length() == 0) & (item["todos"].to(list).length() == 0),
                    _details(tr("ui_conv.input"), _pre(item["input"].to(str)), "tool-input")),
            rx.cond(item["result"].to(str) != "", _details(
                rx.fragment(tr("ui_conv.result"),
                            rx.cond(item["truncated"].to(bool),
                                    rx.fragment(" ", tr("ui_conv.result_truncated")))),
                _pre(item["result"].to(str),
                     color=rx.cond(item["is_error"].to(bool), rx.color("red", 11), "inherit")),
                "tool-result")),
            spacing="2", width="100%", min_width="0"),
        size="1", width="100%", min_width="0",
        data_testid="tool-card", data_tool=item["name"].to(str),
        data_status=item["status"].to(str))


def _notice(item) -> rx.Component:
    name, text = item["name"].to(str), item["text"].to(str)
    reason = item["summary"].to(str)
    # egress and budget notices (and system notes) arrive as finished sentences.
    label = rx.match(
        name,
        ("stopped", tr("ui_conv.notice.stopped", text=text)),
        *[(f"approval.{d}", tr(f"ui_conv.notice.approval.{d}"))
          for d in ("allow", "allow_always", "deny", "expired", "withdrawn")],
        text)
    icon = rx.match(name, *[(n, rx.icon(i, size=14, flex_shrink="0"))
                            for n, i in NOTICE_ICONS.items()],
                    rx.icon("info", size=14, flex_shrink="0"))
    return rx.hstack(
        icon,
        rx.vstack(
            rx.hstack(
                rx.text(label, size="1", overflow_wrap="anywhere"),
                rx.cond(name.contains("approval") & (text != ""),
                        rx.text("“", text, "”", size="1", color_scheme="gray",
                                overflow_wrap="anywhere")),
                spacing="2", align="center", wrap="wrap"),
            # Why a refusal happened, on a line of its own (phones have no hover).
            rx.cond((name == "egress") & (reason != ""),
                    rx.text(reason, size="1", color_scheme="gray", overflow_wrap="anywhere",
                            data_testid="conv-egress-reason")),
            spacing="0", min_width="0"),
        spacing="2", align="start",
        color=rx.cond(name == "budget", rx.color("amber", 11), rx.color("gray", 11)),
        data_testid="conv-notice", data_notice=name, width="100%")


def _result(item) -> rx.Component:
    error = item["is_error"].to(bool)
    # An interrupted turn is neither a success nor a failure: neutral, with what next.
    interrupted = item["name"].to(str) == "interrupted"
    return rx.callout.root(
        rx.callout.icon(rx.icon(rx.cond(error, "circle-x",
                                        rx.cond(interrupted, "circle-pause", "flag")))),
        rx.vstack(
            rx.hstack(rx.text(rx.cond(error, tr("ui_conv.final_error"),
                                      rx.cond(interrupted, tr("ui_conv.final_interrupted"),
                                              tr("ui_conv.final"))), weight="bold"),
                      rx.text(item["summary"].to(str), color_scheme="gray", size="1"),
                      spacing="2", align="center"),
            rx.cond(item["text"].to(str) != "", markdown_block(item["text"].to(str))),
            spacing="1", width="100%", min_width="0"),
        color_scheme=rx.cond(error, "red", rx.cond(interrupted, "gray", "green")),
        data_outcome=rx.cond(error, "error", rx.cond(interrupted, "interrupted", "ok")),
        width="100%", data_testid="conv-result")


def _item(item) -> rx.Component:
    kind = item["kind"].to(str)
    return rx.box(
        rx.match(
            kind,
            ("text", rx.box(markdown_block(item["text"].to(str)), data_testid="conv-text",
                            data_streaming=item["streaming"].to(str))),
            ("thinking", _details(tr("ui_conv.thinking"), rx.text(
                item["text"].to(str), size="2", color_scheme="gray", white_space="pre-wrap",
                overflow_wrap="anywhere"), "conv-thinking")),
            ("tool", _tool(item)),
            ("result", _result(item)),
            ("notice", _notice(item)),
            rx.fragment()),
        width="100%", min_width="0", key=item["key"].to(str))


def conversation(*, items, has_earlier, on_load_earlier, prompt) -> rx.Component:
    """The conversation: the prompt, then the folded items, newest last."""
    return rx.vstack(
        rx.cond(has_earlier, rx.button(
            tr("ui_conv.load_earlier"), size="1", variant="soft", on_click=on_load_earlier,
            data_testid="conv-load-earlier")),
        rx.card(
            rx.vstack(rx.text(tr("ui_conv.prompt"), size="1", color_scheme="gray"),
                      rx.text(prompt, white_space="pre-wrap", overflow_wrap="anywhere",
                              size="2"),
                      spacing="1", width="100%", min_width="0"),
            width="100%", variant="surface", data_testid="conv-prompt"),
        rx.cond(items.length() == 0,
                rx.hstack(rx.spinner(size="1"), rx.text(tr("ui_conv.empty"), size="2",
                                                        color_scheme="gray"),
                          align="center", spacing="2")),
        rx.foreach(items, _item),
        spacing="3", width="100%", min_width="0", data_testid="conversation",
    )
