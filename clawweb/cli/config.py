"""Where the CLI keeps the server URL and token: ``~/.config/clawweb/config``, mode 0600.

``$XDG_CONFIG_HOME`` moves it as usual. ``CLAWWEB_API_URL`` and
``CLAWWEB_API_TOKEN`` in the environment win over the file (CI jobs).
The file is written to a private temporary file and renamed over the old one,
so it is never readable by others, not even for a moment, and never half written.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

URL_ENV, TOKEN_ENV = "CLAWWEB_API_URL", "CLAWWEB_API_TOKEN"


class NotLoggedIn(Exception):
    """No URL or token: run ``clawweb login`` first."""


@dataclass(frozen=True)
class Config:
    url: str
    token: str


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "clawweb" / "config"


def normalize_url(url: str) -> str:
    """The server's base URL (scheme and host, any path) without a trailing slash."""
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ValueError("the URL must start with https:// (or http:// for a local server)")
    return url.removesuffix("/api/v1")


def load() -> Config:
    """The saved config, with the environment's values first.

    Raises:
        NotLoggedIn: no URL or no token anywhere.
    """
    saved: dict = {}
    path = config_path()
    if path.exists():
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
    url = os.environ.get(URL_ENV) or saved.get("url") or ""
    token = os.environ.get(TOKEN_ENV) or saved.get("token") or ""
    if not url or not token:
        raise NotLoggedIn()
    return Config(url=normalize_url(url), token=token)


def save(config: Config) -> Path:
    """Write the config with mode 0600 (its directory 0700)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"url": config.url, "token": config.token}, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def forget() -> bool:
    """Delete the saved config; whether there was one."""
    path = config_path()
    if path.exists():
        path.unlink()
        return True
    return False
