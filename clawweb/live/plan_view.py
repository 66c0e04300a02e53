"""A plan Claude proposes (its ``ExitPlanMode`` request) as safe HTML for the plan card.

The plan is the agent's text, so hostile: rendered by :mod:`clawweb.live.markdown_html`
(raw HTML off, links checked). It names no repository file the browser should
fetch, so images become their alt text (an inert ``data:`` URL is never
requested) and relative links go nowhere.
"""

from __future__ import annotations

from clawweb.live import markdown_html

PLAN_TOOL = "ExitPlanMode"
PLAN_MAX_CHARS = 64 * 1024


def plan_html(tool_name: str, tool_input: dict) -> str:
    """The plan of an ``ExitPlanMode`` request as HTML; "" for any other request."""
    if tool_name != PLAN_TOOL:
        return ""
    text = tool_input.get("plan") if isinstance(tool_input, dict) else ""
    if not isinstance(text, str) or not text.strip():
        return ""
    return markdown_html.render(text[:PLAN_MAX_CHARS], base_dir="",
                                image_url=lambda _path: "data:,", file_url=lambda _path: "#")
