"""The message and author of the commits clawweb makes for a task.

The worker's auto-commit (``worker/workspace.finish``) and the squash merge
both say what was done: the prompt (or shell command) as subject and body,
and for Claude the agent's final summary, each trimmed; a trailer names the
task. The author is the person who asked (name and email from their
profile); the committer stays clawweb (``run_git``'s default identity).
"""

from __future__ import annotations

import re

from clawweb.models import User
from clawweb.services.git import DEFAULT_AUTHOR

MAX_SUBJECT = 72
MAX_PROMPT = 2000
MAX_SUMMARY = 3000
PLACEHOLDER_DOMAIN = "users.clawweb.invalid"  # RFC 2606: never a real mailbox
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_IDENT_BAD = re.compile(r"[<>\x00-\x1f\x7f]")


def _clean(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def task_commit_message(*, task_id: int, prompt: str, summary: str = "") -> str:
    """A commit message for task ``task_id``.

    Args:
        task_id: The task the commit belongs to (named in a trailer).
        prompt: The prompt or shell command the user submitted.
        summary: The agent's final summary (Claude tasks), or "".

    Returns:
        Subject (the prompt's first line, at most 72 characters), a body with
        the whole prompt when the subject does not hold it, the summary, and
        ``Clawweb-Task: <id>``.
    """
    prompt, summary = _clean(prompt), _clean(summary)
    first = prompt.split("\n", 1)[0].strip() if prompt else ""
    subject = _trim(first, MAX_SUBJECT) if first else f"clawweb task {task_id}"
    parts = [subject]
    if prompt and prompt != subject:
        parts.append(_trim(prompt, MAX_PROMPT))
    if summary:
        parts.append(_trim(summary, MAX_SUMMARY))
    parts.append(f"Clawweb-Task: {int(task_id)}")
    return "\n\n".join(parts) + "\n"


def _ident(value: str) -> str:
    return " ".join(_IDENT_BAD.sub("", value or "").split())


def author_for(user: User | None) -> tuple[str, str]:
    """(name, email) for commits made on behalf of ``user``.

    The display name (else the username) and the profile email; a user without
    an email gets ``<username>@users.clawweb.invalid``, which can never reach
    anyone. No user: clawweb itself.
    """
    if user is None:
        return DEFAULT_AUTHOR
    name = _ident(user.display_name) or _ident(user.username) or DEFAULT_AUTHOR[0]
    email = _ident(getattr(user, "email", "") or "").replace(" ", "")
    if "@" not in email:
        local = re.sub(r"[^A-Za-z0-9._-]", "-", user.username or "user") or "user"
        email = f"{local}@{PLACEHOLDER_DOMAIN}"
    return name, email


def task_author(session, task) -> tuple[str, str]:
    """The author of ``task``'s commits: whoever submitted it (clawweb if unknown).

    Args:
        session: An open database session.
        task: The task row (its ``created_by`` names the submitter).
    """
    user = session.get(User, task.created_by) if task.created_by else None
    return author_for(user)


_EMAIL = re.compile(r"^[^@\s<>\"'\\,;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


def set_commit_email(*, session, user: User, email: str, ip: str = "") -> str:
    """Set the user's own commit email ("" clears it: the placeholder is used).

    Raises:
        InvalidInput: ``review.email_invalid`` for anything but one plain address.
    """
    from clawweb.services import audit
    from clawweb.services.errors import InvalidInput

    email = (email or "").strip()
    if email and (len(email) > 254 or not _EMAIL.match(email) or ".." in email):
        raise InvalidInput("review.email_invalid")
    before = {"email": user.email}
    user.email = email
    session.add(user)
    audit.record(session=session, actor=user, action="user.email", object_type="user",
                 object_id=user.id, before=before, after={"email": email}, ip=ip)
    session.commit()
    return email
