"""Merge (ff / merge commit / squash), conflicts, discard and exports in a bare repo, real git."""

from __future__ import annotations

import subprocess

import pytest

from clawweb.services.git import GitError
from clawweb.services.review import gitobj, merge
from tests.services.review.builder import ENV, RepoBuilder
from tests.services.review.conftest import TASK

AUTHOR = ("Ada Lovelace", "ada@example.invalid")


@pytest.fixture
def repo(tmp_path):
    b = RepoBuilder(tmp_path)
    b.commit("main", {"a.txt": "one\ntwo\nthree\n", "b.txt": "b\n"}, "base")
    return b


def _log(b, rev, fmt):
    return gitobj.out(b.bare, "log", "-1", f"--format={fmt}", rev)


def test_fast_forward_moves_the_default_branch_to_the_task_commit(repo):
    head = repo.commit(TASK, {"c.txt": "c\n"})
    result = merge.merge(repo.bare, target="main", head=head, strategy="ff", message="x",
                         author=AUTHOR)
    assert result.sha == head and repo.tip("main") == head


def test_fast_forward_refuses_a_diverged_branch(repo):
    head = repo.commit(TASK, {"c.txt": "c\n"})
    before = repo.commit("main", {"d.txt": "d\n"})
    with pytest.raises(GitError) as err:
        merge.merge(repo.bare, target="main", head=head, strategy="ff", message="x",
                    author=AUTHOR)
    assert err.value.key == "review.not_fast_forward" and repo.tip("main") == before


def test_merge_commit_has_both_parents_the_user_as_author_and_clawweb_as_committer(repo):
    head = repo.commit(TASK, {"c.txt": "c\n"})
    old = repo.commit("main", {"d.txt": "d\n"})
    result = merge.merge(repo.bare, target="main", head=head, strategy="merge",
                         message="Merge task 1\n\nbody", author=AUTHOR)
    assert repo.tip("main") == result.sha and result.old_target == old
    assert _log(repo, result.sha, "%P").split() == [old, head]
    assert _log(repo, result.sha, "%an <%ae>|%cn <%ce>|%B").strip() == \
        "Ada Lovelace <ada@example.invalid>|clawweb <clawweb@localhost>|Merge task 1\n\nbody"
    files = gitobj.out(repo.bare, "ls-tree", "--name-only", "-r", result.sha).split()
    assert files == ["a.txt", "b.txt", "c.txt", "d.txt"]


def test_merge_strategy_always_makes_a_merge_commit_even_when_ff_is_possible(repo):
    head = repo.commit(TASK, {"c.txt": "c\n"})
    result = merge.merge(repo.bare, target="main", head=head, strategy="merge", message="m",
                         author=AUTHOR)
    assert result.sha != head and len(_log(repo, result.sha, "%P").split()) == 2


def test_squash_is_one_commit_with_one_parent_and_the_branch_tree(repo):
    repo.commit(TASK, {"c.txt": "c\n"}, "first")
    head = repo.commit(TASK, {"c.txt": "c2\n", "a.txt": "one\nTWO\nthree\n"}, "second")
    old = repo.commit("main", {"d.txt": "d\n"})
    result = merge.merge(repo.bare, target="main", head=head, strategy="squash",
                         message="Squashed task", author=AUTHOR)
    assert _log(repo, result.sha, "%P").split() == [old]
    assert _log(repo, result.sha, "%s|%an") == "Squashed task|Ada Lovelace"
    assert gitobj.out(repo.bare, "show", f"{result.sha}:c.txt") == "c2"
    assert gitobj.out(repo.bare, "show", f"{result.sha}:d.txt") == "d"


@pytest.mark.parametrize("strategy", ["merge", "squash"])
def test_a_conflict_lists_the_files_and_moves_nothing(repo, strategy):
    head = repo.commit(TASK, {"a.txt": "one\nTASK\nthree\n", "b.txt": "task b\n",
                              "new.txt": "n\n"})
    old = repo.commit("main", {"a.txt": "one\nMAIN\nthree\n", "b.txt": "main b\n"})
    with pytest.raises(merge.MergeConflict) as err:
        merge.merge(repo.bare, target="main", head=head, strategy=strategy, message="m",
                    author=AUTHOR)
    assert err.value.files == ["a.txt", "b.txt"]
    assert err.value.key == "review.conflict" and err.value.params == {"count": 2}
    assert repo.tip("main") == old


def test_a_stale_expected_tip_is_refused(repo):
    head = repo.commit(TASK, {"c.txt": "c\n"})
    seen = repo.tip("main")
    moved = repo.commit("main", {"d.txt": "d\n"})
    with pytest.raises(GitError) as err:
        merge.merge(repo.bare, target="main", head=head, strategy="merge", message="m",
                    author=AUTHOR, expected_target=seen)
    assert err.value.key == "review.target_moved" and repo.tip("main") == moved


def test_update_ref_refuses_when_the_branch_moves_between_read_and_write(repo, monkeypatch):
    """The old-value check is git's: a tip read before someone else moved it loses."""
    head = repo.commit(TASK, {"c.txt": "c\n"})
    stale = repo.tip("main")
    moved = repo.commit("main", {"d.txt": "d\n"})
    real = gitobj.branch_commit
    monkeypatch.setattr(gitobj, "branch_commit",
                        lambda r, b: stale if b == "main" else real(r, b))
    with pytest.raises(GitError) as err:
        merge.merge(repo.bare, target="main", head=head, strategy="merge", message="m",
                    author=AUTHOR)
    assert err.value.key == "review.target_moved" and repo.tip("main") == moved


def test_merging_an_already_merged_branch_is_refused(repo):
    head = repo.commit(TASK, {"c.txt": "c\n"})
    merge.merge(repo.bare, target="main", head=head, strategy="ff", message="m", author=AUTHOR)
    with pytest.raises(GitError) as err:
        merge.merge(repo.bare, target="main", head=head, strategy="merge", message="m",
                    author=AUTHOR)
    assert err.value.key == "review.already_merged"


def test_unknown_strategy_is_refused(repo):
    head = repo.commit(TASK, {"c.txt": "c\n"})
    with pytest.raises(GitError) as err:
        merge.merge(repo.bare, target="main", head=head, strategy="octopus", message="m",
                    author=AUTHOR)
    assert err.value.key == "review.strategy_invalid"


def test_discard_deletes_the_branch_only_at_the_expected_tip(repo):
    head = repo.commit(TASK, {"c.txt": "c\n"})
    with pytest.raises(GitError) as err:
        merge.discard(repo.bare, branch=TASK, expected=repo.tip("main"), protected="main")
    assert err.value.key == "review.branch_moved" and repo.tip(TASK) == head
    with pytest.raises(GitError) as err:
        merge.discard(repo.bare, branch="main", expected=repo.tip("main"), protected="main")
    assert err.value.key == "git.branch_protected"
    merge.discard(repo.bare, branch=TASK, expected=head, protected="main")
    assert repo.tip(TASK) == ""


def test_patch_export_applies_with_git_am(repo, tmp_path):
    base = repo.tip("main")
    repo.commit(TASK, {"c.txt": "c\n"}, "add c")
    head = repo.commit(TASK, {"bin.dat": bytes(range(256))}, "add binary")
    out_dir = tmp_path / "export"
    out_dir.mkdir()
    patch = merge.export_patch(repo.bare, base=base, head=head, directory=out_dir)
    text = patch.read_bytes()
    assert text.count(b"\nSubject: [PATCH") == 2 and b"GIT binary patch" in text
    clone = tmp_path / "apply"
    subprocess.run(["git", "clone", "-q", "-b", "main", str(repo.bare), str(clone)], env=ENV,
                   check=True)
    subprocess.run(["git", "am", "-q", str(patch)], cwd=clone, env=ENV, check=True)
    assert (clone / "bin.dat").read_bytes() == bytes(range(256))


def test_bundle_export_carries_only_the_branch_commits(repo, tmp_path):
    base = repo.tip("main")
    head = repo.commit(TASK, {"c.txt": "c\n"}, "add c")
    out_dir = tmp_path / "export"
    out_dir.mkdir()
    bundle = merge.export_bundle(repo.bare, branch=TASK, base=base, directory=out_dir)
    clone = tmp_path / "fetch"
    subprocess.run(["git", "clone", "-q", "-b", "main", str(repo.bare), str(clone)], env=ENV,
                   check=True)
    res = subprocess.run(["git", "bundle", "verify", str(bundle)], cwd=clone, env=ENV,
                         capture_output=True, text=True)
    assert res.returncode == 0 and base in res.stdout  # the base is a prerequisite
    subprocess.run(["git", "fetch", "-q", str(bundle), f"refs/heads/{TASK}:got"], cwd=clone,
                   env=ENV, check=True)
    assert subprocess.run(["git", "rev-parse", "got"], cwd=clone, env=ENV, capture_output=True,
                          text=True).stdout.strip() == head
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    with pytest.raises(GitError) as err:
        merge.export_bundle(repo.bare, branch=TASK, base=head, directory=empty_dir)
    assert err.value.key == "review.nothing_to_export"
