"""Settings: safe defaults, the secret key file, the exposure warning."""

from __future__ import annotations

import stat

from clawweb.settings import Settings


def test_secret_key_file_is_created_once_with_mode_0600(tmp_path):
    s = Settings(data_dir=tmp_path / "d")
    first = s.secret_bytes()
    path = tmp_path / "d" / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert Settings(data_dir=tmp_path / "d").secret_bytes() == first


def test_defaults_bind_loopback_with_sqlite_under_the_data_dir(tmp_path):
    s = Settings(data_dir=tmp_path)
    assert s.host == "127.0.0.1" and s.port == 3000
    assert s.sqlalchemy_url == f"sqlite:///{tmp_path.resolve() / 'clawweb.db'}"
    assert s.exposure_warning() is None


def test_public_bind_without_https_origin_warns(tmp_path):
    assert "WARNING" in Settings(data_dir=tmp_path, host="0.0.0.0").exposure_warning()
    assert Settings(data_dir=tmp_path, host="0.0.0.0",
                    public_url="https://claw.example.com").exposure_warning() is None


def test_postgres_url_is_used_verbatim(tmp_path):
    url = "postgresql+psycopg://u:p@127.0.0.1/clawweb"
    assert Settings(data_dir=tmp_path, database_url=url).sqlalchemy_url == url


def test_reflex_config_allows_only_the_configured_origin(monkeypatch, tmp_path):
    import importlib

    from clawweb import settings as settings_mod

    monkeypatch.setenv("CLAWWEB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CLAWWEB_PUBLIC_URL", "https://claw.example.com")
    settings_mod.get_settings.cache_clear()
    try:
        import rxconfig
        config = importlib.reload(rxconfig).config
        assert list(config.cors_allowed_origins) == ["https://claw.example.com"]
        assert "*" not in config.cors_allowed_origins
        assert config.telemetry_enabled is False
    finally:
        settings_mod.get_settings.cache_clear()


def test_the_sandbox_backend_is_docker_unless_set_and_only_known_ones_are_accepted(tmp_path):
    import pydantic
    import pytest

    assert Settings(data_dir=tmp_path).sandbox_backend == "docker"
    assert Settings(data_dir=tmp_path, sandbox_backend="fake").sandbox_backend == "fake"
    with pytest.raises(pydantic.ValidationError):
        Settings(data_dir=tmp_path, sandbox_backend="podman")
