"""A review task works on the pull request's own code: its head is fetched first.

Each forge keeps a read-only ref per request in the base repository (GitHub and
Gitea ``refs/pull/<n>/head``, GitLab ``refs/merge-requests/<n>/head``), so a
request from a fork is fetched the same way. It lands in the project's bare
repository as branch ``clawweb/review-<n>``, which the review task then
continues: its working copy is the request's code, with the target branch
beside it as ``origin/<base>``. Host git only fetches (nothing is checked out
here); only the project's own remote is asked, through ``remotes.net`` (the
token never in argv or the URL).
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from clawweb.models import Project
from clawweb.services import git
from clawweb.services.errors import ServiceError
from clawweb.services.projects.service import project_repo_path
from clawweb.services.remotes import net
from clawweb.services.remotes import store as remote_store
from clawweb.services.webhooks.events import Trigger

log = logging.getLogger(__name__)

HEAD_REFS = {"github": "refs/pull/{n}/head", "gitea": "refs/pull/{n}/head",
             "gitlab": "refs/merge-requests/{n}/head"}
TIMEOUT = 600


def branch_for(number: int) -> str:
    return f"clawweb/review-{int(number)}"


def fetch_head(session: Session, project: Project, forge: str,
               trigger: Trigger) -> tuple[str | None, str]:
    """Fetch the request's head as ``clawweb/review-<n>``.

    Returns:
        (the branch, "") when fetched; (None, a message key) when not, and the
        review then runs on the default branch with the request's description.
    """
    try:
        url, creds, kind = remote_store.opened(session, project.id)
    except ServiceError as exc:
        return None, exc.key
    if kind != forge or not trigger.repo or trigger.repo.lower() != url.repo_path.lower():
        return None, "webhooks.review_other_repo"
    branch = branch_for(trigger.number)
    source = HEAD_REFS[kind].format(n=int(trigger.number))
    try:
        net.run(net.bare(project_repo_path(project)) + [
            "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--", url.raw,
            f"+{source}:refs/heads/{branch}"], url=url, creds=creds, timeout=TIMEOUT)
    except ServiceError as exc:
        log.warning("project %s: pull request %s not fetched (%s)", project.id,
                    trigger.number, exc.key)
        return None, exc.key
    return (branch, "") if git.branch_exists(project_repo_path(project), branch) else \
        (None, "webhooks.review_not_fetched")
