"""The project repositories in a backup: one git bundle per bare repository.

``git bundle create --all`` reads the refs once and packs what they reach, so
a bundle is the repository at one moment even while tasks publish branches
(a push writes its objects first and moves a ref last; ``gc.auto`` is off, so
nothing it lists is pruned meanwhile). The refs recorded in the manifest are
the bundle's own (``list-heads``), not a second look at the live repository.
Restoring fetches the bundle into a new bare repository with the hardened git
(``fetch.fsckObjects`` on) and checks that every ref came back as recorded.
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

from clawweb.backup.errors import Tampered
from clawweb.services import git

REPO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.git$")


def _bare(repo: Path) -> list[str]:
    return ["--git-dir", str(repo)]


def _out(args: list[str], **kw) -> str:
    return git.run_git(args, timeout=3600, **kw).stdout.decode(errors="replace")


def snapshot(repo: Path, bundle: Path) -> dict:
    """Bundle ``repo`` into ``bundle``; returns its manifest entry.

    An empty repository (no refs) has no bundle (git refuses to make one); its
    entry says so and restoring it makes an empty repository.
    """
    head = _out(_bare(repo) + ["symbolic-ref", "--quiet", "HEAD"], check=False).strip()
    entry = {"name": repo.name, "head": head or "refs/heads/main", "refs": {}, "file": None}
    if not _out(_bare(repo) + ["for-each-ref", "--count=1"]).strip():
        return entry
    git.run_git(_bare(repo) + ["bundle", "create", "--quiet", str(bundle), "--all"],
                timeout=3600)
    heads = _out(_bare(repo) + ["bundle", "list-heads", str(bundle)])
    entry["refs"] = {name: sha for sha, name in (line.split(" ", 1)
                                                 for line in heads.splitlines() if line)
                     if name != "HEAD"}
    return entry


def restore(entry: dict, bundle: Path | None, dest: Path) -> None:
    """Make the bare repository ``dest`` from its manifest entry and bundle.

    Raises:
        Tampered: the bundle does not verify or its refs differ from the manifest's.
    """
    if not REPO_NAME.match(dest.name):
        raise Tampered(f"a repository name in the manifest is not one clawweb makes: {dest.name!r}")
    tmp = dest.parent / f".restore-{dest.name}-{uuid.uuid4().hex[:8]}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        branch = entry["head"].removeprefix("refs/heads/")
        git.check_branch_name(branch)
        git.run_git(["init", "--bare", "--quiet", "--template=", "-b", branch, str(tmp)])
        if entry["refs"]:
            _fetch(tmp, bundle, entry)
        tmp.rename(dest)
    except git.GitError as exc:
        raise Tampered(f"repository {dest.name} does not restore from its bundle: "
                       f"{exc.stderr.strip()[-500:]}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fetch(tmp: Path, bundle: Path | None, entry: dict) -> None:
    if bundle is None:
        raise Tampered(f"repository {entry['name']} lists refs but has no bundle")
    git.run_git(_bare(tmp) + ["bundle", "verify", "--quiet", str(bundle)], timeout=3600)
    git.run_git(_bare(tmp) + ["fetch", "--quiet", "--update-head-ok", "--no-tags",
                              str(bundle), "refs/*:refs/*"], timeout=3600)
    got = {}
    for line in _out(_bare(tmp) + ["for-each-ref", "--format=%(objectname) %(refname)"]
                     ).splitlines():
        sha, name = line.split(" ", 1)
        got[name] = sha
    if got != entry["refs"]:
        raise Tampered(f"repository {entry['name']}: the restored refs differ from the "
                       "manifest's")
