"""Every host-side git call in clawweb, hardened against hostile repositories.

``runner`` runs git (an environment and config of our own, nothing a
repository says about programs is followed); ``urls`` decides which clone
sources are allowed; ``repos`` clones or starts the bare project
repositories; ``refs`` reads their branches and commits. Task working copies
are the worker's (``worker/git_workdir.py``).

Callers import the package (``from clawweb.services import git``) and use the
names below. Inside the package each module imports what it uses from the
module that defines it, so a test patches a name where it is looked up (e.g.
``git.repos.run_git`` for what ``clone_into`` runs).
"""

from clawweb.services.git.refs import (branch_exists, branches, check_branch_name,
                                       default_branch, heads, recent_commits, resolve)
from clawweb.services.git.repos import clone_into, init_empty
from clawweb.services.git.runner import DEFAULT_AUTHOR, GitError, bare, git_out, run_git
from clawweb.services.git.urls import check_url, classify_clone_error, pin_public_host

__all__ = [
    "DEFAULT_AUTHOR", "GitError", "bare", "branch_exists", "branches", "check_branch_name",
    "check_url", "classify_clone_error", "clone_into", "default_branch", "git_out",
    "heads", "init_empty", "pin_public_host", "recent_commits", "resolve", "run_git",
]
