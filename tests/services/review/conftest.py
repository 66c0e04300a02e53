"""A bare repository with a task branch that adds, modifies, renames, deletes and adds a
binary file, an image and a symlink (real git)."""

from __future__ import annotations

import base64

import pytest

from tests.services.review.builder import Link, RepoBuilder

# A 1×1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
BINARY = bytes(range(256)) * 4
TASK = "clawweb/task-1"
MAIN_FILES = {
    "README.md": "# Project\n\nHello.\n",
    "src/app.py": "def main():\n    return 'old value'\n\n\nif __name__ == '__main__':\n    main()\n",
    "docs/old_name.txt": "this file will be renamed\nline two\nline three\n",
    "remove_me.txt": "bye\n",
}


@pytest.fixture
def built(tmp_path):
    """(builder, base sha, head sha) for the task branch described above."""
    b = RepoBuilder(tmp_path)
    base = b.commit("main", MAIN_FILES, "base files")
    b.commit(TASK, {
        "src/app.py": MAIN_FILES["src/app.py"].replace("old value", "new value"),
        "remove_me.txt": None,
        "data.bin": BINARY,
        "logo.png": PNG,
        "passwd-link": Link("/etc/passwd"),
        "notes/new.md": "# New\n\n<script>alert(1)</script>\n",
    }, "task: several changes")
    head = b.rename(TASK, "docs/old_name.txt", "docs/new_name.txt", "task: rename")
    return b, base, head
