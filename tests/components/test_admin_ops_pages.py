"""The admin ops pages compile (Reflex type-checks every var a component gets), and the
usage chart sits in a responsive container at the page's width, so it fits a phone."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("name", ["queues_page", "workers_page", "usage_page"])
def test_the_page_compiles(name):
    from clawweb import clawweb as _app  # noqa: F401 - registers the states
    from clawweb.pages import admin_ops

    rendered = json.dumps(getattr(admin_ops, name)().render(), default=str)
    assert f"tab-admin-{name.removesuffix('_page')}" in rendered


def test_the_usage_chart_is_responsive_and_full_width():
    from clawweb.components.admin_ops import usage_chart

    rendered = json.dumps(usage_chart().render(), default=str)
    assert "ResponsiveContainer" in rendered and '\\"100%\\"' in rendered
    assert "usage_days" in rendered
