"""Gitea (and Forgejo, same API) REST API v1: pull requests and issue comments
(gitea.com/api/swagger)."""

from __future__ import annotations

from clawweb.services.forges.base import Forge, PullRequest, need, owner_and_name
from clawweb.services.forges.http import segment


def _pull(data: dict) -> PullRequest:
    need(data, "number", "html_url", "state")
    return PullRequest(number=int(data["number"]), url=str(data["html_url"]),
                       state="merged" if data.get("merged") else str(data["state"]))


class Gitea(Forge):
    kind = "gitea"

    def auth_headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"token {token}"}

    def _repo(self) -> str:
        owner, name = owner_and_name(self.repo_path)
        return f"/repos/{segment(owner)}/{segment(name)}"

    def open_request(self, *, head: str, base: str, title: str, body: str) -> PullRequest:
        data = self.http.checked("POST", f"{self._repo()}/pulls", ok=(201,),
                                 body={"head": head, "base": base, "title": title,
                                       "body": body})
        return _pull(data)

    def request_state(self, number: int) -> PullRequest:
        return _pull(self.http.checked("GET", f"{self._repo()}/pulls/{int(number)}", ok=(200,)))

    def comment(self, *, number: int, body: str, on_request: bool = False) -> str:
        # Pull requests share the issues' numbering and comment endpoint.
        data = self.http.checked("POST", f"{self._repo()}/issues/{int(number)}/comments",
                                 ok=(201,), body={"body": body})
        return str((data or {}).get("html_url") or "")
