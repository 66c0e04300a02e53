"""The plan card's HTML: markdown, inert for whatever the agent wrote."""

from clawweb.live.plan_view import plan_html


def test_a_plan_is_markdown():
    html = plan_html("ExitPlanMode", {"plan": "# Plan\n\n1. Write `out.txt`\n2. **Stop**"})
    assert "<h1>Plan</h1>" in html and "<code>out.txt</code>" in html
    assert "<strong>Stop</strong>" in html


def test_other_requests_and_empty_plans_have_no_plan():
    assert plan_html("Bash", {"plan": "# not a plan"}) == ""
    assert plan_html("ExitPlanMode", {}) == ""


def test_a_hostile_plan_stays_inert():
    html = plan_html("ExitPlanMode", {"plan": "<script>alert(1)</script>\n\n"
                                               "[x](javascript:alert(1)) ![i](logo.png) "
                                               "![r](https://evil.test/t.png)"})
    assert "<script>" not in html and 'href="javascript:' not in html
    # No image the browser would fetch: the repository one is inert, the remote one a link.
    assert 'src="https://' not in html and '<img src="data:,"' in html
