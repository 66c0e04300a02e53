"""The phone layout of the task page, at the component layer (the browser proof is
tests/e2e/test_phone_layout_e2e.py): which parts fold, and where toasts go."""

from __future__ import annotations

import json
import re

import reflex  # noqa: F401 - a missing Reflex must fail these tests, never skip them


def _rendered(component) -> str:
    return json.dumps(component.render(), ensure_ascii=False)


def test_toasts_sit_above_the_phone_tab_bar():
    from clawweb import clawweb as app_module
    from clawweb.components.task_summary import TAB_BAR_CLEARANCE

    props = " ".join(app_module.app.toaster.render()["props"])
    assert "mobileOffset" in props and TAB_BAR_CLEARANCE in props, props


def test_the_facts_fold_but_the_review_button_does_not():
    from clawweb.components.task_summary import FOLD
    from clawweb.pages import tasks

    def folded_testids(node, inside=False, out=None):
        """{data-testid: whether a FOLD element holds it} over a rendered tree."""
        out = {} if out is None else out
        if isinstance(node, list):
            for child in node:
                folded_testids(child, inside, out)
            return out
        if not isinstance(node, dict):
            return out
        props = [str(p) for p in node.get("props", [])]
        inside = inside or any(p.startswith("className:")
                               and FOLD in re.findall(r"[\w-]+", p.split(":", 1)[1])
                               for p in props)
        for p in props:
            if p.startswith('"data-testid":'):
                out[p.split(":", 1)[1].strip('"')] = inside
        for key, value in node.items():
            if key != "props":
                folded_testids(value, inside, out)
        return out

    seen = folded_testids(tasks._header().render())
    for fact in ("task-facts", "task-exit-code", "task-elapsed", "task-diffstat", "conv-stats"):
        assert seen.get(fact) is True, (fact, seen)
    for reachable in ("task-review", "task-summary", "task-cancel", "status-badge"):
        assert seen.get(reachable) is False, (reachable, seen)
