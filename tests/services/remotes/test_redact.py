"""Whatever git or a forge says is redacted before anyone sees it."""

from __future__ import annotations

import base64

from clawweb.services.remotes.redact import redact


def test_userinfo_in_any_url_is_redacted():
    text = ("fatal: unable to access 'https://bob:ghp_SECRET123@github.com/o/r.git/': 403\n"
            "remote: see http://x-access-token:abc@host:8080/p and ssh://git@host/p")
    out = redact(text)
    assert "ghp_SECRET123" not in out and "abc@" not in out and "bob" not in out
    assert "https://***@github.com/o/r.git/" in out
    assert "http://***@host:8080/p" in out


def test_known_secrets_and_their_basic_auth_form_are_redacted():
    token = "glpat-very-secret-token"
    basic = base64.b64encode(f"oauth2:{token}".encode()).decode()
    text = f"header Authorization: Basic {basic} and raw {token} and again {token}"
    out = redact(text, [token, basic])
    assert token not in out and basic not in out
    assert out.count("***") == 3


def test_short_or_empty_secrets_do_not_wipe_the_text():
    assert redact("a plain message", ["", "a"]) == "a plain message"
