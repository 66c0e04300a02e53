"""The file browser's model: directories and files of any commit, from git objects."""

from __future__ import annotations

import pytest

from clawweb.services.git import GitError
from clawweb.services.review import gitobj, tree
from tests.services.review.builder import Link, RepoBuilder
from tests.services.review.conftest import PNG, TASK


def test_listing_puts_directories_first_and_names_each_kind(built):
    b, _base, head = built
    entries, cut = tree.listing(b.bare, head)
    assert not cut
    names = [(e.name, e.kind) for e in entries]
    assert names[:4] == [("docs", "dir"), ("notes", "dir"), ("src", "dir"),
                         ("data.bin", "file")]
    assert ("passwd-link", "link") in names and ("logo.png", "file") in names
    sub, _ = tree.listing(b.bare, head, "src")
    assert [(e.name, e.path) for e in sub] == [("app.py", "src/app.py")]


def test_listing_of_a_file_or_missing_directory_is_not_found(built):
    b, _base, head = built
    for path in ("README.md", "nope", "src/nope"):
        with pytest.raises(GitError) as err:
            tree.listing(b.bare, head, path)
        assert err.value.key == "review.not_found"


def test_view_classifies_text_markdown_image_binary_and_link(built):
    b, _base, head = built
    app = tree.view_file(b.bare, head, "src/app.py")
    assert app.kind == "text" and "new value" in app.text and not app.truncated
    md = tree.view_file(b.bare, head, "notes/new.md")
    assert md.kind == "markdown" and "<script>" in md.text  # raw text; escaping is the view's
    png = tree.view_file(b.bare, head, "logo.png")
    assert (png.kind, png.content_type, png.size, png.text) == ("image", "image/png",
                                                                len(PNG), "")
    assert tree.view_file(b.bare, head, "data.bin").kind == "binary"
    link = tree.view_file(b.bare, head, "passwd-link")
    assert (link.kind, link.text) == ("link", "/etc/passwd")


def test_a_link_to_a_host_file_shows_the_target_text_never_the_content(tmp_path):
    secret = tmp_path / "host-secret.txt"
    secret.write_text("HOST-SECRET-CONTENT\n")
    b = RepoBuilder(tmp_path)
    b.commit("main", {"a.txt": "a\n"})
    head = b.commit(TASK, {"evil.md": Link(str(secret)), "dir-link": Link(str(tmp_path))})
    view = tree.view_file(b.bare, head, "evil.md")
    assert view.kind == "link" and view.text == str(secret)
    with pytest.raises(GitError):
        tree.listing(b.bare, head, "dir-link")  # a link is never entered as a directory
    entry = tree.blob_for_download(b.bare, head, "evil.md")
    data, _ = gitobj.read_blob(b.bare, entry.oid, 10_000)
    assert data == str(secret).encode()


def test_large_files_are_truncated_with_their_full_size(tmp_path, monkeypatch):
    b = RepoBuilder(tmp_path)
    head = b.commit("main", {"big.txt": "x" * 5000, "long.txt": "l\n" * 50})
    monkeypatch.setattr(tree, "MAX_VIEW_BYTES", 1000)
    monkeypatch.setattr(tree, "MAX_VIEW_LINES", 10)
    big = tree.view_file(b.bare, head, "big.txt")
    assert big.truncated and big.size == 5000 and len(big.text) == 1000
    long = tree.view_file(b.bare, head, "long.txt")
    assert long.truncated and long.text.count("\n") == 9


def test_read_blob_over_the_cap_reads_only_the_head(tmp_path):
    b = RepoBuilder(tmp_path)
    head = b.commit("main", {"big.txt": "0123456789" * 1000})
    entry = gitobj.entry(b.bare, head, "big.txt")
    data, size = gitobj.read_blob(b.bare, entry.oid, 25)
    assert (data, size) == (b"0123456789012345678901234", 10000)


def test_directories_submodules_and_bad_paths_are_not_downloads(built):
    b, _base, head = built
    for path in ("src", "missing.txt"):
        with pytest.raises(GitError) as err:
            tree.blob_for_download(b.bare, head, path)
        assert err.value.key == "review.not_found"
    with pytest.raises(GitError) as err:
        tree.view_file(b.bare, head, "../outside")
    assert err.value.key == "review.path_invalid"
