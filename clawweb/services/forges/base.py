"""The one small interface every forge adapter implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from clawweb.services.forges.errors import ForgeError
from clawweb.services.forges.http import ForgeHTTP

STATES = ("open", "closed", "merged")
__all__ = ["STATES", "Forge", "ForgeError", "PullRequest", "need", "owner_and_name"]


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str  # the request's page on the forge
    state: str  # open | closed | merged


class Forge(ABC):
    """A forge's pull/merge requests (and their comments) for one repository.

    Args:
        api_base: the REST API root (``https://api.github.com``, ``…/api/v4``, ``…/api/v1``).
        repo_path: ``owner/name`` (GitLab: ``group/subgroup/name``).
        token: the project's access token.
    """

    kind = ""

    def __init__(self, *, api_base: str, repo_path: str, token: str, timeout: float = 20):
        if not token:
            raise ForgeError("forges.token_required")
        self.repo_path = repo_path
        self.http = ForgeHTTP(api_base, self.auth_headers(token), timeout=timeout,
                              secrets=[token])

    @abstractmethod
    def auth_headers(self, token: str) -> dict[str, str]:
        """The headers that carry ``token`` (and the API version) on every call."""

    @abstractmethod
    def open_request(self, *, head: str, base: str, title: str, body: str) -> PullRequest:
        """Open a pull/merge request from branch ``head`` into ``base``."""

    @abstractmethod
    def request_state(self, number: int) -> PullRequest:
        """The request's current URL and state."""

    @abstractmethod
    def comment(self, *, number: int, body: str, on_request: bool = False) -> str:
        """Add a comment to issue ``number`` (or pull/merge request, ``on_request``).

        Returns:
            The comment's page on the forge, or "" when the forge does not say.
        """


def owner_and_name(repo_path: str) -> tuple[str, str]:
    """``owner/name`` split in two; GitHub and Gitea have no deeper paths.

    Raises:
        ForgeError: ``forges.repo_path_invalid``.
    """
    parts = repo_path.split("/")
    if len(parts) != 2 or not all(parts):
        raise ForgeError("forges.repo_path_invalid", path=repo_path)
    return parts[0], parts[1]


def need(data: dict, *fields: str) -> None:
    """Raise ``forges.bad_response`` unless every field is in the forge's answer."""
    if not isinstance(data, dict) or any(data.get(f) in (None, "") for f in fields):
        raise ForgeError("forges.bad_response")
