"""Changed files, patches in windows and commits, read from git objects of a bare repo."""

from __future__ import annotations

import pytest

from clawweb.services.review import diff, gitobj
from tests.services.review.builder import Link, RepoBuilder
from tests.services.review.conftest import TASK


def _by_path(changes):
    return {c.path: c for c in changes}


def test_changed_files_show_each_kind_of_change(built):
    b, base, head = built
    changes, cut = diff.changed_files(b.bare, base, head)
    assert not cut
    files = _by_path(changes)
    assert set(files) == {"src/app.py", "remove_me.txt", "data.bin", "logo.png",
                          "passwd-link", "notes/new.md", "docs/new_name.txt"}
    assert (files["src/app.py"].status, files["src/app.py"].additions,
            files["src/app.py"].deletions) == ("modified", 1, 1)
    assert files["remove_me.txt"].status == "deleted" and files["remove_me.txt"].deletions == 1
    renamed = files["docs/new_name.txt"]
    assert (renamed.status, renamed.old_path, renamed.similarity) == \
        ("renamed", "docs/old_name.txt", 100)
    assert files["data.bin"].binary and files["data.bin"].kind == "binary"
    assert files["logo.png"].kind == "image" and files["logo.png"].status == "added"
    assert files["passwd-link"].kind == "symlink" and files["passwd-link"].new_mode == "120000"
    assert files["notes/new.md"].kind == "text" and files["notes/new.md"].additions == 3
    assert all(gitobj.is_sha(c.new_oid) or set(c.new_oid) == {"0"} for c in changes)


def test_patch_lines_number_old_and_new_sides(built):
    b, base, head = built
    change = _by_path(diff.changed_files(b.bare, base, head)[0])["src/app.py"]
    window = diff.patch_window(b.bare, base, head, change)
    kinds = [line[0] for line in window.lines]
    assert kinds[0] == "@" and "-" in kinds and "+" in kinds
    minus = next(line for line in window.lines if line[0] == "-")
    plus = next(line for line in window.lines if line[0] == "+")
    assert minus == ("-", 2, 0, "    return 'old value'")
    assert plus == ("+", 0, 2, "    return 'new value'")
    assert window.total == len(window.lines) and window.start == 0


def test_symlink_shows_its_target_text_and_never_the_file_it_names(tmp_path):
    secret = tmp_path / "host-secret.txt"
    secret.write_text("HOST-SECRET-CONTENT\n")
    b = RepoBuilder(tmp_path)
    base = b.commit("main", {"a.txt": "a\n"})
    head = b.commit(TASK, {"evil": Link(str(secret))})
    [change] = diff.changed_files(b.bare, base, head)[0]
    assert change.kind == "symlink"
    window = diff.patch_window(b.bare, base, head, change)
    text = "\n".join(line[3] for line in window.lines)
    assert str(secret) in text  # the link's own target text
    assert "HOST-SECRET-CONTENT" not in text


def test_binary_and_image_have_no_patch_lines(built):
    b, base, head = built
    files = _by_path(diff.changed_files(b.bare, base, head)[0])
    assert diff.patch_window(b.bare, base, head, files["data.bin"]).lines == []
    assert diff.patch_window(b.bare, base, head, files["logo.png"]).lines == []


def test_a_submodule_is_named_not_diffed_and_its_commit_never_looked_up(tmp_path):
    b = RepoBuilder(tmp_path)
    base = b.commit("main", {"a.txt": "a\n"})
    b.git("checkout", "-q", "-B", TASK, "origin/main")
    elsewhere = "1234567890abcdef1234567890abcdef12345678"  # in no repository here
    b.git("update-index", "--add", "--cacheinfo", f"160000,{elsewhere},vendor/lib")
    b.git("commit", "-q", "-m", "add a submodule")
    b.git("push", "-q", "origin", f"HEAD:refs/heads/{TASK}")
    head = b.tip(TASK)
    [change] = diff.changed_files(b.bare, base, head)[0]
    assert (change.path, change.kind, change.status, change.new_oid) == \
        ("vendor/lib", "submodule", "added", elsewhere)
    window = diff.patch_window(b.bare, base, head, change)
    assert window.lines == [] and not window.too_large


def test_a_one_megabyte_diff_is_paged(tmp_path):
    b = RepoBuilder(tmp_path)
    base = b.commit("main", {"keep.txt": "x\n"})
    big = "".join(f"line {i:06d} {'x' * 40}\n" for i in range(21000))  # ~1 MB
    many = {f"many/f{i:03d}.txt": f"content {i}\n" for i in range(120)}
    head = b.commit(TASK, {"big.txt": big, **many})
    changes, _ = diff.changed_files(b.bare, base, head)
    assert len(changes) == 121
    big_change = _by_path(changes)["big.txt"]
    assert big_change.additions == 21000
    first = diff.patch_window(b.bare, base, head, big_change)
    assert len(first.lines) == diff.WINDOW and first.total == 21001  # + the hunk header
    assert first.lines[1][3].startswith("line 000000")
    later = diff.patch_window(b.bare, base, head, big_change, start=diff.WINDOW * 10 + 7)
    assert later.start == diff.WINDOW * 10 and len(later.lines) == diff.WINDOW
    assert later.lines[0][3].startswith(f"line {diff.WINDOW * 10 - 1:06d}")
    last = diff.patch_window(b.bare, base, head, big_change, start=10 ** 9)
    assert last.start + len(last.lines) == last.total


def test_blobs_over_the_cap_are_not_diffed(tmp_path, monkeypatch):
    b = RepoBuilder(tmp_path)
    base = b.commit("main", {"keep.txt": "x\n"})
    head = b.commit(TASK, {"large.txt": "y" * 5000 + "\n"})
    monkeypatch.setattr(diff, "MAX_PATCH_BLOB", 1000)
    [change] = diff.changed_files(b.bare, base, head)[0]
    window = diff.patch_window(b.bare, base, head, change)
    assert window.too_large and window.lines == []


def test_commits_of_the_branch_with_messages(built):
    b, base, head = built
    found = diff.commits(b.bare, base, head)
    assert [c["subject"] for c in found] == ["task: rename", "task: several changes"]
    assert found[0]["sha"] == head and found[0]["author"] == "Test Author"
    assert found[0]["email"] == "author@example.invalid" and "T" in found[0]["date"]


def test_paths_from_a_task_are_names_not_pathspecs(tmp_path):
    b = RepoBuilder(tmp_path)
    base = b.commit("main", {"keep.txt": "x\n"})
    head = b.commit(TASK, {"*.txt": "star\n", "other.txt": "o\n"})
    changes = _by_path(diff.changed_files(b.bare, base, head)[0])
    window = diff.patch_window(b.bare, base, head, changes["*.txt"])
    assert [line[3] for line in window.lines if line[0] == "+"] == ["star"]


@pytest.mark.parametrize("bad", ["", "/etc/passwd", "a/../b", "./a", "a//b", "a\x00b", "..",
                                 "a/\nb"])
def test_clean_path_refuses_anything_but_a_plain_repository_path(bad):
    from clawweb.services.git import GitError

    with pytest.raises(GitError) as err:
        gitobj.clean_path(bad)
    assert err.value.key == "review.path_invalid"
    assert gitobj.clean_path("src/app.py") == "src/app.py"
