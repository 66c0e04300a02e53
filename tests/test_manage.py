"""Operator commands: doctor warnings and the first-run setup code."""

from __future__ import annotations

import os

import pytest


def test_doctor_is_quiet_for_safe_settings(settings, monkeypatch):
    from clawweb import manage

    from clawweb import settings as settings_mod

    monkeypatch.setenv("CLAWWEB_REDIS_URL", "redis://:pw@127.0.0.1:6390/0")
    settings_mod.get_settings.cache_clear()
    settings_mod.get_settings().secret_bytes()
    assert manage.doctor_warnings() == []


def test_doctor_names_each_weak_setting(settings, monkeypatch):
    from clawweb import manage, settings as settings_mod

    monkeypatch.setenv("CLAWWEB_HOST", "0.0.0.0")
    monkeypatch.setenv("CLAWWEB_PASSWORD_HASH_FAST", "1")
    monkeypatch.setenv("CLAWWEB_REDIS_URL", "redis://127.0.0.1:6379/0")
    settings_mod.get_settings.cache_clear()
    s = settings_mod.get_settings()
    s.secret_bytes()
    os.chmod(s.data_dir.resolve() / "secret.key", 0o644)
    text = "\n".join(manage.doctor_warnings())
    for fragment in ("https://", "PASSWORD_HASH_FAST", "chmod 600", "no password"):
        assert fragment in text


@pytest.mark.fresh_database  # it runs the migrations: an empty database on PostgreSQL
def test_setup_code_printed_only_on_a_fresh_install(settings, capsys):
    from clawweb import manage

    manage.migrate()
    manage.print_setup_code()
    first = capsys.readouterr().out
    code = (settings.data_dir.resolve() / "setup-code").read_text().strip()
    assert code and code in first
    manage.print_setup_code()
    assert code in capsys.readouterr().out  # the same code until it is used
