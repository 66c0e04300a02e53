"""Plain helpers behind the credential widget (account and project settings).

The secret travels once, browser → server, in the submitted form; it is never
copied into a state var, so no state delta can carry it back to a browser.
The browser only ever sees ``view()``: kind, last four characters, when.
"""

from __future__ import annotations

from clawweb.db import session_scope
from clawweb.services import crypto
from clawweb.services.agents import credentials
from clawweb.services.errors import InvalidInput

INPUT_ID = "credential_secret"
MAX_FORM_SECRET = credentials.MAX_SECRET_LENGTH + 1  # one more, so "too long" still says so


def view(info: dict | None) -> dict[str, str]:
    """The masked credential as plain strings; {} when none is stored."""
    if not info:
        return {}
    return {"kind": str(info["kind"]), "hint": str(info["hint"]),
            "updated_at": str(info["updated_at"])}


def form_values(form: dict) -> tuple[str, str]:
    """(kind, secret) from the submitted form, bounded before any service sees them."""
    kind = str(form.get("kind", ""))[:32]
    if kind not in credentials.KINDS:
        raise InvalidInput("credentials.bad_kind")
    return kind, str(form.get("secret", ""))[:MAX_FORM_SECRET]


def test_stored(*, project_id: int | None = None,
                user_id: int | None = None) -> tuple[bool, str]:
    """Ask the model endpoint about a stored credential (runs in a worker thread).

    The caller has already checked the right to use it; exactly one of
    ``project_id`` (the project's credential) or ``user_id`` (the user's own).

    Returns:
        (ok, message key).
    """
    try:
        with session_scope() as s:
            resolved = credentials.resolve(session=s, project_id=project_id,
                                           user_id=user_id)
    except crypto.SecretUnreadable:
        return False, "credentials.unreadable"
    if resolved is None:
        return False, "ui_agents.nothing_to_test"
    return credentials.test_credential(kind=resolved.kind, secret=resolved.secret)


test_stored.__test__ = False  # not a pytest test when imported by name
