"""The auto-commit message says what was done; the author is the person who asked."""

from __future__ import annotations

from clawweb.models import Task, User
from clawweb.services.review import commit_message as cm


def test_subject_is_the_prompt_and_the_body_keeps_prompt_and_summary():
    message = cm.task_commit_message(task_id=12, prompt="Fix the login bug\n\nIt 500s on ü.",
                                     summary="Changed auth.py to compare hashes.")
    assert message == ("Fix the login bug\n\nFix the login bug\n\nIt 500s on ü.\n\n"
                       "Changed auth.py to compare hashes.\n\nClawweb-Task: 12\n")


def test_a_one_line_prompt_is_not_repeated_and_long_parts_are_trimmed():
    short = cm.task_commit_message(task_id=3, prompt="make test")
    assert short == "make test\n\nClawweb-Task: 3\n"
    long = cm.task_commit_message(task_id=4, prompt="x" * 200, summary="s" * 10_000)
    subject, body, summary, trailer = long.rstrip("\n").split("\n\n")
    assert len(subject) == cm.MAX_SUBJECT and subject.endswith("…")
    assert len(body) == 200 and len(summary) == cm.MAX_SUMMARY and summary.endswith("…")
    assert trailer == "Clawweb-Task: 4"


def test_control_characters_and_carriage_returns_are_removed():
    message = cm.task_commit_message(task_id=5, prompt="a\x1b[31mred\r\nnext\x00",
                                     summary="\x07done")
    assert "\x1b" not in message and "\r" not in message and "\x00" not in message
    assert message.startswith("a[31mred\n\na[31mred\nnext\n\ndone\n")


def test_an_empty_prompt_still_names_the_task():
    assert cm.task_commit_message(task_id=9, prompt="  ").startswith("clawweb task 9\n")


def test_author_is_the_profile_name_and_email():
    user = User(username="ada", display_name="Ada <Lovelace>\n", email="ada@example.org")
    assert cm.author_for(user) == ("Ada Lovelace", "ada@example.org")


def test_author_without_email_gets_an_address_that_reaches_nobody():
    assert cm.author_for(User(username="bob smith")) == (
        "bob smith", "bob-smith@users.clawweb.invalid")
    assert cm.author_for(None) == ("clawweb", "clawweb@localhost")


def test_task_author_is_the_submitter(session):
    user = User(username="carol", display_name="Carol", email="carol@example.org")
    session.add(user)
    session.flush()
    task = Task(project_id=1, created_by=user.id)
    assert cm.task_author(session, task) == ("Carol", "carol@example.org")
    assert cm.task_author(session, Task(project_id=1)) == ("clawweb", "clawweb@localhost")


def test_users_set_their_own_commit_email_and_it_is_audited(session):
    from sqlmodel import select

    import pytest
    from clawweb.models import AuditEvent
    from clawweb.services.errors import InvalidInput

    user = User(username="dora")
    session.add(user)
    session.commit()
    assert cm.set_commit_email(session=session, user=user, email=" dora@example.org ") == \
        "dora@example.org"
    assert cm.author_for(user) == ("dora", "dora@example.org")
    for bad in ("no-at-sign", "a b@example.org", "<x>@example.org", "x@-bad.org",
                "x@example..org", "a@b@c", "x@" + "d" * 260, "evil\n@example.org"):
        with pytest.raises(InvalidInput) as err:
            cm.set_commit_email(session=session, user=user, email=bad)
        assert err.value.key == "review.email_invalid", bad
    cm.set_commit_email(session=session, user=user, email="")
    assert cm.author_for(user)[1] == "dora@users.clawweb.invalid"
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "user.email")).all()
    assert [e.after for e in events] == [{"email": "dora@example.org"}, {"email": ""}]
