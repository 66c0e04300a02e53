"""Slash commands and skills read from a project's bare repository (real git)."""

from __future__ import annotations

import pytest

from clawweb.models import ProjectRole
from clawweb.services import git
from clawweb.services.agents import slash_commands as sc
from clawweb.services.errors import ServiceError
from clawweb.services.projects.service import project_repo_path
from tests.services.agent_fixtures import add_member, make_project, make_user
from tests.services.review.builder import Link, RepoBuilder

DEPLOY = "---\ndescription: Deploy to staging\nallowed-tools: Bash(*)\n---\nDeploy $ARGUMENTS\n"


def _names(items):
    return [i["name"] for i in items]


@pytest.fixture
def repo(tmp_path):
    b = RepoBuilder(tmp_path)
    b.commit("main", {"README.md": "hi\n"}, "base")
    return b


def _at_main(b):
    return sc.at_commit(b.bare, b.git("rev-parse", "origin/main"))


def test_commands_and_skills_with_their_descriptions(repo):
    repo.commit("main", {
        ".claude/commands/deploy.md": DEPLOY,
        ".claude/commands/frontend/lint-all.md": "# Lint every package\n\nRun eslint.\n",
        ".claude/commands/notes.txt": "not a command\n",
        ".claude/skills/pdf-tools/SKILL.md": "---\nname: pdf-tools\ndescription: Fill PDF forms\n---\nbody\n",
        ".claude/skills/loose.md": "---\nname: loose\n---\n",
    })
    items = {i["name"]: i for i in _at_main(repo)}
    assert sorted(items) == ["deploy", "lint-all", "pdf-tools"]
    assert items["deploy"]["description"] == "Deploy to staging"
    assert items["lint-all"] == {"name": "lint-all", "description": "Lint every package",
                                 "kind": "command", "scope": "frontend"}
    assert items["pdf-tools"]["kind"] == "skill"
    assert items["pdf-tools"]["description"] == "Fill PDF forms"


def test_read_from_git_objects_not_a_working_copy(repo):
    """Only what the default branch's commit holds counts; the scratch clone's files do not."""
    repo.commit("main", {".claude/commands/deploy.md": DEPLOY})
    (repo.work / ".claude" / "commands" / "uncommitted.md").write_text("x\n")
    repo.commit("other", {".claude/commands/elsewhere.md": "x\n"})
    assert _names(_at_main(repo)) == ["deploy"]


def test_hostile_names_and_front_matter(repo):
    bomb = "---\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n" \
           "c: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\ndescription: boom\n---\nfallback line\n"
    repo.commit("main", {
        ".claude/commands/-rf.md": "x\n",
        ".claude/commands/has space.md": "x\n",
        ".claude/commands/<img src=x onerror=alert(1)>.md": "x\n",
        ".claude/commands/html.md": "---\ndescription: \"<b>bold</b>\\u202eevil\\nline2\"\n---\n",
        ".claude/commands/bomb.md": bomb,
        ".claude/commands/obj.md": "---\ndescription: {nested: [1, 2]}\n---\nplain first\n",
        ".claude/commands/long.md": "---\ndescription: " + "a" * 5000 + "\n---\n",
        ".claude/skills/x/SKILL.md": "---\nname: \"bad name; rm -rf\"\n---\n",
        ".claude/skills/y/SKILL.md": "---\nname: [1]\n---\n",
    })
    items = {i["name"]: i for i in _at_main(repo)}
    assert sorted(items) == ["bomb", "html", "long", "obj"]
    # Kept as text (the page renders it as text), one line, no bidi override.
    assert items["html"]["description"] == "<b>bold</b> evil line2"
    assert items["bomb"]["description"] == "fallback line"  # aliases refused, not expanded
    assert items["obj"]["description"] == "plain first"
    assert len(items["long"]["description"]) == sc.MAX_DESCRIPTION


def test_size_cap_reads_only_the_top_of_a_big_file(repo, monkeypatch):
    big = "---\ndescription: big one\n---\n" + "z" * (sc.MAX_FILE_BYTES * 50)
    repo.commit("main", {".claude/commands/big.md": big})
    read = []
    real = sc.gitobj.read_blob
    monkeypatch.setattr(sc.gitobj, "read_blob",
                        lambda r, oid, cap: read.append(cap) or real(r, oid, cap))
    sc._at_commit.cache_clear()
    (item,) = _at_main(repo)
    assert item["description"] == "big one"
    assert read == [sc.MAX_FILE_BYTES]


def test_links_and_submodules_are_not_followed(repo):
    repo.commit("main", {
        "secret.md": "---\ndescription: SECRET-CONTENT\n---\n",
        ".claude/commands/leak.md": Link("../../secret.md"),
        ".claude/commands/abs.md": Link("/etc/passwd"),
        ".claude/skills/linked": Link("../../.git"),
    })
    assert _at_main(repo) == []


def test_a_linked_commands_directory_is_not_followed(repo):
    repo.commit("main", {"real/deploy.md": DEPLOY, ".claude/commands": Link("../real")})
    assert _at_main(repo) == []


def test_cached_per_commit(repo, monkeypatch):
    repo.commit("main", {".claude/commands/deploy.md": DEPLOY})
    sc._at_commit.cache_clear()
    _at_main(repo)
    calls = []
    monkeypatch.setattr(sc, "_commands", lambda *a: calls.append(a) or [])
    _at_main(repo)
    assert calls == []  # same commit: no git read
    repo.commit("main", {".claude/commands/more.md": "x\n"})
    _at_main(repo)
    assert len(calls) == 1  # a new commit is read again


def test_for_project_offers_builtins_and_the_default_branch_to_editors_only(session, tmp_path,
                                                                           settings):
    owner = make_user(session, "o")
    project = make_project(session, owner)
    bare = project_repo_path(project)
    git.init_empty(bare)
    b = RepoBuilder(tmp_path, bare=bare)
    b.commit("main", {".claude/commands/deploy.md": DEPLOY})
    got = sc.for_project(session=session, user=owner, project_id=project.id)
    assert _names(got) == [*sc.BUILTINS, "deploy"]
    viewer = make_user(session, "v")
    add_member(session, project, viewer, ProjectRole.viewer)
    with pytest.raises(ServiceError):
        sc.for_project(session=session, user=viewer, project_id=project.id)


def test_a_name_is_offered_once_and_never_shadows_a_builtin(repo):
    repo.commit("main", {
        ".claude/commands/init.md": "---\ndescription: planted init\n---\n",
        ".claude/commands/deploy.md": DEPLOY,
        ".claude/commands/ops/deploy.md": "second deploy\n",
        ".claude/skills/deploy/SKILL.md": "---\nname: deploy\ndescription: skill\n---\n",
    })
    (item,) = _at_main(repo)
    assert (item["name"], item["description"]) == ("deploy", "Deploy to staging")


def test_with_repo_settings_off_only_builtins_are_offered(session, tmp_path, settings):
    """The CLI loads no project commands then, so none is offered."""
    from clawweb.models import AgentSettings

    owner = make_user(session, "o")
    project = make_project(session, owner)
    git.init_empty(project_repo_path(project))
    RepoBuilder(tmp_path, bare=project_repo_path(project)).commit(
        "main", {".claude/commands/deploy.md": DEPLOY})
    session.add(AgentSettings(project_id=project.id, use_repo_settings=False))
    session.commit()
    got = sc.for_project(session=session, user=owner, project_id=project.id)
    assert _names(got) == list(sc.BUILTINS)


def test_the_offer_is_capped(repo, monkeypatch):
    monkeypatch.setattr(sc, "MAX_ENTRIES", 30)
    repo.commit("main", {f".claude/commands/c{i:03d}.md": "x\n" for i in range(40)})
    sc._at_commit.cache_clear()
    assert _names(_at_main(repo)) == [f"c{i:03d}" for i in range(30)]
    monkeypatch.setattr(sc, "MAX_ITEMS", 5)
    sc._at_commit.cache_clear()
    assert len(_at_main(repo)) == 5
