"""A missing dependency fails the suite under CI, never skips it.

``tests/support/services.need`` skips a test locally when a real service is
missing and fails it under CI; nothing else may turn a missing module into a
skip (``pytest.importorskip``): the authorization and state suites must run
whole or fail.
"""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).parent


def test_no_test_module_skips_on_a_missing_import():
    me = Path(__file__).resolve()
    found = [str(p.relative_to(TESTS)) for p in sorted(TESTS.rglob("*.py"))
             if p.resolve() != me and "importorskip(" in p.read_text(encoding="utf-8")]
    assert found == [], f"importorskip turns a missing module into a skip: {found}"
