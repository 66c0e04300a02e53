"""GitLab REST API v4: merge requests (docs.gitlab.com/api/merge_requests) and notes
(docs.gitlab.com/api/notes)."""

from __future__ import annotations

from clawweb.services.forges.base import Forge, PullRequest, need
from clawweb.services.forges.http import segment

# GitLab's states; a locked request is one being merged right now.
_STATES = {"opened": "open", "locked": "open", "closed": "closed", "merged": "merged"}


def _merge_request(data: dict) -> PullRequest:
    need(data, "iid", "web_url", "state")
    return PullRequest(number=int(data["iid"]), url=str(data["web_url"]),
                       state=_STATES.get(str(data["state"]), "open"))


class GitLab(Forge):
    kind = "gitlab"

    def auth_headers(self, token: str) -> dict[str, str]:
        return {"PRIVATE-TOKEN": token}

    def _project(self) -> str:
        # The project is named by its full path, URL-encoded as one segment.
        return f"/projects/{segment(self.repo_path)}"

    def open_request(self, *, head: str, base: str, title: str, body: str) -> PullRequest:
        data = self.http.checked("POST", f"{self._project()}/merge_requests", ok=(201,),
                                 body={"source_branch": head, "target_branch": base,
                                       "title": title, "description": body})
        return _merge_request(data)

    def request_state(self, number: int) -> PullRequest:
        return _merge_request(self.http.checked(
            "GET", f"{self._project()}/merge_requests/{int(number)}", ok=(200,)))

    def comment(self, *, number: int, body: str, on_request: bool = False) -> str:
        # A note on the issue or merge request; GitLab's answer carries no page URL.
        kind = "merge_requests" if on_request else "issues"
        self.http.checked("POST", f"{self._project()}/{kind}/{int(number)}/notes", ok=(201,),
                          body={"body": body})
        return ""
