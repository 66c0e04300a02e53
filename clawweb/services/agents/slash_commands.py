"""Slash commands and skills a project's repository offers, for the prompt box's completions.

Read from the git objects of the bare repository at the default branch's
commit (never a working copy): ``.claude/commands/**/*.md`` (name: the file's
stem, description: front matter ``description:`` or the first line) and
``.claude/skills/<dir>/SKILL.md`` (front matter ``name`` and ``description``).
The repository is hostile: only regular files count (a link or a submodule is
never followed), names must match :data:`NAME_RE`, every blob is read with a
size cap, front matter is parsed without YAML aliases, and descriptions are
flattened to one short line of plain text. Results are cached per commit.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

import yaml
from sqlmodel import Session

from clawweb.models import AgentSettings, Project, ProjectRole, User
from clawweb.services import access
from clawweb.services.git import GitError
from clawweb.services.projects.service import project_repo_path
from clawweb.services.review import gitobj

COMMANDS_DIR = ".claude/commands/"
SKILLS_DIR = ".claude/skills/"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_FILE_BYTES = 8 * 1024  # read of each file: front matter and first line live at the top
MAX_ENTRIES = 200  # tree entries looked at under each directory
MAX_ITEMS = 100  # completions offered from the repository
MAX_DESCRIPTION = 160
MAX_DEPTH = 4  # .claude/commands/a/b/c/x.md at most
# Built-in commands of the pinned CLI (2.1.x) that do something useful in a one-shot
# prompt (no picker, no TUI): /init writes CLAUDE.md, /security-review reviews the
# branch, /compact shrinks a long conversation before a follow-up.
BUILTINS = ("init", "security-review", "compact")


class _NoAliases(yaml.SafeLoader):
    """Safe YAML without anchors/aliases: a few bytes of aliases can expand to gigabytes."""

    def compose_node(self, parent, index):  # noqa: D102 - PyYAML hook
        if self.check_event(yaml.events.AliasEvent):
            raise yaml.YAMLError("aliases are not allowed")
        return super().compose_node(parent, index)


def _plain(value: object) -> str:
    """One line of printable text, at most MAX_DESCRIPTION characters."""
    if not isinstance(value, (str, int, float)):
        return ""
    # Control and format characters (bidi overrides, zero-width) go: they can
    # make a description look like something else.
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c
                   for c in str(value))
    return " ".join(kept.split())[:MAX_DESCRIPTION]


def parse(text: str) -> tuple[dict, str]:
    """Front matter (a dict, {} when absent or malformed) and the body of a markdown file."""
    if not text.startswith("---"):
        return {}, text
    head, sep, body = text[3:].partition("\n---")
    if not sep:
        return {}, text
    try:
        meta = yaml.load(head, Loader=_NoAliases)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError:
        return {}, body.partition("\n")[2]
    return (meta if isinstance(meta, dict) else {}), body.partition("\n")[2]


def _first_line(body: str) -> str:
    for line in body.splitlines():
        if line.strip():
            return _plain(line.strip().lstrip("#").strip())
    return ""


def _files(repo: Path, commit: str, prefix: str) -> list[gitobj.Entry]:
    """The regular files under ``prefix`` (never a link or a submodule), at most MAX_ENTRIES."""
    res = gitobj.git(repo, "ls-tree", "-r", "-z", "-l", "--full-tree", "--end-of-options",
                     commit, "--", prefix, check=False)
    if res.returncode != 0:
        return []
    raw = res.stdout[:1_000_000]
    # Whole records only: a cut one would not parse.
    entries = gitobj._parse_ls_tree(raw[:raw.rfind(b"\0") + 1], "")[:MAX_ENTRIES]
    # Only plain blobs: a link (120000) or a submodule (160000) is never followed.
    return [e for e in entries if e.mode in ("100644", "100755")]


def _text(repo: Path, entry: gitobj.Entry) -> str:
    data, _size = gitobj.read_blob(repo, entry.oid, MAX_FILE_BYTES)
    return data.decode("utf-8", errors="replace")


def _commands(repo: Path, commit: str) -> list[dict]:
    out = []
    for entry in _files(repo, commit, COMMANDS_DIR):
        rel = entry.path[len(COMMANDS_DIR):]
        parts = rel.split("/")
        name = parts[-1][:-3] if parts[-1].endswith(".md") else ""
        if not NAME_RE.match(name) or len(parts) > MAX_DEPTH:
            continue
        meta, body = parse(_text(repo, entry))
        description = _plain(meta.get("description")) or _first_line(body)
        out.append({"name": name, "description": description, "kind": "command",
                    "scope": _plain("/".join(parts[:-1]))})
    return out


def _skills(repo: Path, commit: str) -> list[dict]:
    out = []
    for entry in _files(repo, commit, SKILLS_DIR):
        parts = entry.path[len(SKILLS_DIR):].split("/")
        if len(parts) != 2 or parts[1] != "SKILL.md":
            continue
        meta, _body = parse(_text(repo, entry))
        name = str(meta.get("name") or parts[0]) if isinstance(meta.get("name", ""), str) else ""
        if not NAME_RE.match(name):
            continue
        out.append({"name": name, "description": _plain(meta.get("description")),
                    "kind": "skill", "scope": ""})
    return out


@functools.lru_cache(maxsize=256)
def _at_commit(repo: str, commit: str) -> tuple[dict, ...]:
    # A commit's content never changes, so the key is the whole truth.
    seen: set[str] = set()
    items = []
    for item in _commands(Path(repo), commit) + _skills(Path(repo), commit):
        if item["name"] not in seen and item["name"] not in BUILTINS:
            seen.add(item["name"])
            items.append(item)
    return tuple(sorted(items, key=lambda i: i["name"].lower())[:MAX_ITEMS])


def at_commit(repo: Path, commit: str) -> list[dict]:
    """The repository's commands and skills at ``commit``: ``name``, ``description``,
    ``kind`` (``command`` | ``skill``), ``scope`` (a command's subdirectory)."""
    if not gitobj.is_sha(commit):
        return []
    return [dict(i) for i in _at_commit(str(Path(repo).absolute()), commit)]


def builtins() -> list[dict]:
    """The CLI's own commands worth offering in a one-shot prompt (descriptions: catalog keys)."""
    return [{"name": n, "description": "", "kind": "builtin", "scope": ""} for n in BUILTINS]


def for_project(*, session: Session, user: User, project_id: int) -> list[dict]:
    """What the prompt box offers an editor of the project: built-ins, then the repository's
    (only while the project lets the CLI load the repository's settings).

    Raises:
        PermissionDenied / NotFound: the caller may not submit prompts here.
    """
    access.require_role(session=session, user=user, project_id=project_id,
                        at_least=ProjectRole.editor)
    conf = session.get(AgentSettings, project_id)
    if conf is not None and not conf.use_repo_settings:
        return builtins()  # the CLI loads no project commands then
    project = session.get(Project, project_id)
    repo = project_repo_path(project)
    try:
        commit = gitobj.branch_commit(repo, project.default_branch)
        found = at_commit(repo, commit) if commit else []
    except (GitError, OSError, ValueError):
        found = []  # a broken repository offers the built-ins only
    return builtins() + found
