"""Snapshots taken while writers write: the database and the repositories are each
seen at one moment, never half-way through a change."""

from __future__ import annotations

import sqlite3
import threading
import time

from clawweb.backup import database, repos
from clawweb.services import git


def test_sqlite_snapshot_under_concurrent_writes_is_one_moment(settings, tmp_path):
    # Every transaction inserts a pair; a copy caught mid-transaction would hold
    # an odd number of rows, a plain file copy a torn page or a missing WAL.
    src = tmp_path / "live.db"
    conn = sqlite3.connect(src, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE pair (n INTEGER, half INTEGER)")
    stop = threading.Event()

    def write():
        n = 0
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO pair VALUES (?, 0)", (n,))
            conn.execute("INSERT INTO pair VALUES (?, 1)", (n,))
            conn.execute("COMMIT")
            n += 1

    writer = threading.Thread(target=write)
    writer.start()
    reader = sqlite3.connect(src)
    while reader.execute("SELECT count(*) FROM pair").fetchone()[0] == 0:
        time.sleep(0.01)
    reader.close()
    try:
        counts = []
        for i in range(15):
            out = tmp_path / f"snap{i}.db"
            database.sqlite_snapshot(src, out)
            copy = sqlite3.connect(out)
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            counts.append(copy.execute("SELECT count(*) FROM pair").fetchone()[0])
            assert copy.execute("SELECT count(*) FROM pair GROUP BY n HAVING count(*) != 2"
                                ).fetchall() == []
            copy.close()
    finally:
        stop.set()
        writer.join()
    assert all(c % 2 == 0 for c in counts)
    assert counts[-1] > counts[0] > 0, "the writer was not writing during the snapshots"


def test_bundle_while_branches_are_pushed_restores_what_it_lists(settings, tmp_path):
    repo = tmp_path / "live.git"
    git.init_empty(repo, branch="main")
    bare = ["--git-dir", str(repo)]
    stop = threading.Event()
    made = []

    def push_branches():
        # What a finishing task does: new objects, then one ref update.
        n = 0
        while not stop.is_set():
            blob = git.run_git(bare + ["hash-object", "-w", "--stdin"],
                               input=f"{n}\n".encode()).stdout.strip()
            tree = git.run_git(bare + ["mktree"], input=b"100644 blob " + blob + b"\tf\n")
            sha = git.run_git(bare + ["commit-tree", tree.stdout.decode().strip(),
                                      "-m", str(n)]).stdout.decode().strip()
            git.run_git(bare + ["update-ref", f"refs/heads/clawweb/task-{n}", sha])
            made.append(n)
            n += 1

    pusher = threading.Thread(target=push_branches)
    pusher.start()
    try:
        while len(made) < 2:
            time.sleep(0.01)
        snaps = []
        for i in range(4):
            snaps.append(repos.snapshot(repo, tmp_path / f"b{i}.bundle"))
            time.sleep(0.3)
    finally:
        stop.set()
        pusher.join()
    assert len(snaps[-1]["refs"]) > len(snaps[0]["refs"]) > 1, "nothing was pushed meanwhile"
    for i, entry in enumerate(snaps):
        dest = tmp_path / f"restored{i}.git"
        repos.restore(entry, tmp_path / f"b{i}.bundle", dest)
        got = {line.split()[1]: line.split()[0] for line in git.run_git(
            ["--git-dir", str(dest), "for-each-ref", "--format=%(objectname) %(refname)"]
        ).stdout.decode().splitlines()}
        assert got == entry["refs"]
        git.run_git(["--git-dir", str(dest), "fsck", "--no-dangling"])
