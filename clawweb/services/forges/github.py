"""GitHub REST API v3: pull requests (docs.github.com/rest/pulls/pulls) and issue comments
(docs.github.com/rest/issues/comments)."""

from __future__ import annotations

from clawweb.services.forges.base import Forge, PullRequest, need, owner_and_name
from clawweb.services.forges.http import segment

API_VERSION = "2022-11-28"


def _pull(data: dict) -> PullRequest:
    need(data, "number", "html_url", "state")
    merged = bool(data.get("merged") or data.get("merged_at"))
    return PullRequest(number=int(data["number"]), url=str(data["html_url"]),
                       state="merged" if merged else str(data["state"]))


class GitHub(Forge):
    kind = "github"

    def auth_headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION}

    def _repo(self) -> str:
        owner, name = owner_and_name(self.repo_path)
        return f"/repos/{segment(owner)}/{segment(name)}"

    def open_request(self, *, head: str, base: str, title: str, body: str) -> PullRequest:
        data = self.http.checked("POST", f"{self._repo()}/pulls", ok=(201,),
                                 body={"title": title, "head": head, "base": base,
                                       "body": body})
        return _pull(data)

    def request_state(self, number: int) -> PullRequest:
        return _pull(self.http.checked("GET", f"{self._repo()}/pulls/{int(number)}", ok=(200,)))

    def comment(self, *, number: int, body: str, on_request: bool = False) -> str:
        # Pull requests are issues to GitHub's comment API.
        data = self.http.checked("POST", f"{self._repo()}/issues/{int(number)}/comments",
                                 ok=(201,), body={"body": body})
        return str((data or {}).get("html_url") or "")
