"""Forge adapters behind one interface (:class:`base.Forge`): ``open_request`` and
``request_state``, one module per forge, chosen from a dict by kind.

The kind comes from the remote URL's host (github.com, gitlab.com, gitea.com,
codeberg.org) or the project's setting (self-hosted GitLab or Gitea/Forgejo);
the API root is derived from the remote's host unless the project sets one.
"""

from __future__ import annotations

from clawweb.services.forges.base import Forge, ForgeError, PullRequest
from clawweb.services.forges.gitea import Gitea
from clawweb.services.forges.github import GitHub
from clawweb.services.forges.gitlab import GitLab
from clawweb.services.remotes import urls

KINDS: dict[str, type[Forge]] = {"github": GitHub, "gitlab": GitLab, "gitea": Gitea}
KNOWN_HOSTS = {"github.com": "github", "gitlab.com": "gitlab", "gitea.com": "gitea",
               "codeberg.org": "gitea"}
_API_PATHS = {"gitlab": "/api/v4", "gitea": "/api/v1", "github": "/api/v3"}

__all__ = ["KINDS", "Forge", "ForgeError", "PullRequest", "api_base", "check_api_url",
           "for_remote", "guess_kind"]


def guess_kind(host: str) -> str:
    """The forge a well-known host runs ("" when the project must say)."""
    return KNOWN_HOSTS.get((host or "").lower(), "")


def check_api_url(url: str) -> str:
    """A project's API root override, validated like a remote URL; normalised.

    Raises:
        RemoteError: a ``remotes.url_*`` key.
    """
    return urls.parse_web(url).raw


def api_base(kind: str, remote: urls.RemoteURL, override: str = "") -> str:
    """The API root for ``remote`` on a forge of ``kind``."""
    if override:
        return check_api_url(override)
    if kind == "github" and remote.host == "github.com":
        return "https://api.github.com"
    scheme = "http" if remote.scheme == "http" else "https"
    return f"{scheme}://{remote.web_host}{_API_PATHS[kind]}"


def for_remote(*, remote: urls.RemoteURL, kind: str, token: str, api_url: str = "",
               timeout: float = 20) -> Forge:
    """The adapter for a project's remote.

    Raises:
        ForgeError: ``forges.unknown`` when the kind is neither set nor guessable,
            ``forges.token_required`` without a token.
    """
    kind = kind or guess_kind(remote.host)
    if kind not in KINDS:
        raise ForgeError("forges.unknown", host=remote.host)
    return KINDS[kind](api_base=api_base(kind, remote, api_url), repo_path=remote.repo_path,
                       token=token, timeout=timeout)
