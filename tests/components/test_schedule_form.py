"""The schedules form sends every field the save handler reads.

The handler reads FORM_FIELDS from the submitted form; a field with no control
arrives empty, and an empty priority made every schedule saved from the page
fail with "Choose high, normal or low priority" (the state tests passed it by hand).
"""

from __future__ import annotations

import re

from clawweb.components.schedules import schedule_form
from clawweb.state.schedules import FORM_FIELDS


def test_every_field_the_handler_reads_has_a_control_in_the_form():
    rendered = str(schedule_form().render())
    named = set(re.findall(r'name:? ?[\\"]*"([a-z_]+)', rendered))
    assert "name" in named and "command" in named  # the pattern finds controls at all
    assert [f for f in FORM_FIELDS if f not in named] == []
