"""Task working copies: real git, temp dirs, loopback only.

Every hostile-repository test first proves its trap fires under a plain git
(so it cannot pass vacuously), then shows the hardened path does not fire it.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from clawweb.services import git
from worker import git_workdir
from clawweb.services.git import GitError

TASK = "clawweb/task-1"


# --- helpers ----------------------------------------------------------------

@pytest.fixture
def plain_env(tmp_path):
    """The environment of an ordinary git user (own HOME, identity, no system config)."""
    home = tmp_path / "plain-home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = plain\n\temail = plain@x\n"
                                     "[init]\n\tdefaultBranch = main\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", LC_ALL="C")
    return env


@pytest.fixture
def plain(plain_env):
    def run(args, cwd, check=False):
        return subprocess.run(["git", *args], cwd=cwd, env=plain_env, capture_output=True,
                              text=True, check=check)
    return run


@pytest.fixture
def repo(tmp_path) -> Path:
    r = tmp_path / "repos" / "proj.git"
    git.init_empty(r)
    return r


@pytest.fixture
def wc(repo, tmp_path) -> Path:
    w = tmp_path / "work" / "task-1"
    git_workdir.prepare_workdir(repo, w, base_branch="main", task_branch=TASK)
    (w / "README").write_text("hello\n")
    git_workdir.commit_all(w, "readme")
    return w


def script(path: Path, marker: Path, passthrough: bool = False) -> Path:
    """An executable that touches ``marker`` (and copies stdin to stdout)."""
    path.write_text(f"#!/bin/sh\ntouch '{marker}'\n" + ("cat\n" if passthrough else ""))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def set_config(w: Path, key: str, value: str) -> None:
    subprocess.run(["git", "config", "--file", str(w / ".git" / "config"), key, value],
                   check=True)


def tree_paths(w: Path, rev: str = "HEAD") -> set[str]:
    out = git.run_git(["--git-dir", str(w / ".git"), "ls-tree", "-r", "--name-only", rev])
    return set(out.stdout.decode().split())


# --- task working copies ---------------------------------------------------------

def test_prepare_commit_diff_publish_roundtrip(repo, tmp_path):
    w = tmp_path / "w"
    base = git_workdir.prepare_workdir(repo, w, base_branch="main", task_branch=TASK)
    assert base == git.resolve(repo, "main")
    (w / "a.txt").write_text("1\n2\n3\n")
    sha = git_workdir.commit_all(w, "add a", author_name="Ann", author_email="ann@x")
    assert sha and git_workdir.commit_all(w, "nothing") is None
    assert git_workdir.diff_stat(w, base) == (1, 3, 0)
    assert git_workdir.publish_branch(w, repo, TASK) == sha
    [top, _] = git.recent_commits(repo, TASK)
    assert top["sha"] == sha and top["author"] == "Ann" and top["subject"] == "add a"
    assert git.resolve(repo, "main") == base  # the base branch is untouched


def test_prepare_continues_existing_task_branch(repo, wc, tmp_path):
    git_workdir.publish_branch(wc, repo, TASK)
    w2 = tmp_path / "w2"
    git_workdir.prepare_workdir(repo, w2, base_branch="main", task_branch=TASK)
    assert (w2 / "README").read_text() == "hello\n"
    (w2 / "README").unlink()
    git_workdir.commit_all(w2, "drop readme")
    assert git_workdir.diff_stat(w2, "HEAD~1") == (1, 0, 1)


def test_prepare_missing_base_branch_leaves_nothing(repo, tmp_path):
    w = tmp_path / "w"
    with pytest.raises(GitError) as err:
        git_workdir.prepare_workdir(repo, w, base_branch="nope", task_branch=TASK)
    assert err.value.key == "git.branch_missing" and not w.exists()


def test_prepare_on_repository_without_commits(tmp_path, plain):
    src = tmp_path / "empty.git"
    plain(["init", "--bare", "-q", str(src)], cwd=tmp_path, check=True)
    repo = tmp_path / "proj.git"
    git.clone_into(str(src), repo)
    w = tmp_path / "w"
    assert git_workdir.prepare_workdir(repo, w, base_branch="main", task_branch=TASK) is None
    assert git_workdir.commit_all(w, "nothing yet") is None
    (w / "f").write_text("x\n")
    sha = git_workdir.commit_all(w, "first")
    assert git_workdir.publish_branch(w, repo, TASK) == sha
    assert git.branches(repo) == [TASK]


# --- hostile working copies: each trap fires under plain git first -----------------

@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "FIRED"


def fire_then_commit_all(wc: Path, marker: Path, plain, plain_args: list[list[str]]) -> str:
    """Prove the trap fires under plain git, then that commit_all does not fire it."""
    (wc / "change.txt").write_text("one\n")
    for args in plain_args:
        plain(args, cwd=wc)
    assert marker.exists(), "the trap must fire under plain git"
    marker.unlink()
    (wc / "change.txt").write_text("two\n")
    sha = git_workdir.commit_all(wc, "hardened commit")
    assert sha and not marker.exists()
    return sha


# Hooks that plain `git commit` runs, plus the ones plumbing (update-ref,
# read-tree, add) would run too.
HOOKS = ("pre-commit", "post-commit", "commit-msg", "post-index-change",
         "reference-transaction")


def test_hooks_in_git_dir_do_not_run(wc, marker, plain, tmp_path):
    (wc / ".git" / "hooks").mkdir(exist_ok=True)
    for hook in HOOKS:
        script(wc / ".git" / "hooks" / hook, marker)
    fire_then_commit_all(wc, marker, plain, [["add", "-A"], ["commit", "-qm", "x"]])
    assert list((wc / ".git" / "hooks").iterdir()) == []


def test_core_hookspath_does_not_run(wc, marker, plain, tmp_path):
    hooks = tmp_path / "evil-hooks"
    hooks.mkdir()
    for hook in HOOKS:
        script(hooks / hook, marker)
    set_config(wc, "core.hooksPath", str(hooks))
    fire_then_commit_all(wc, marker, plain, [["add", "-A"], ["commit", "-qm", "x"]])


def test_core_fsmonitor_does_not_run(wc, marker, plain, tmp_path):
    set_config(wc, "core.fsmonitor", str(script(tmp_path / "fsmon", marker)))
    fire_then_commit_all(wc, marker, plain, [["status"]])
    set_config(wc, "core.fsmonitor", str(tmp_path / "fsmon"))
    assert git_workdir.diff_stat(wc, "HEAD~1") == (1, 1, 0) and not marker.exists()


def test_clean_filter_does_not_run_and_content_is_raw(wc, marker, plain, tmp_path):
    evil = script(tmp_path / "clean", marker, passthrough=True)
    set_config(wc, "filter.evil.clean", str(evil))
    set_config(wc, "filter.evil.required", "true")
    (wc / ".gitattributes").write_text("* filter=evil\n")
    sha = fire_then_commit_all(wc, marker, plain, [["add", "-A"]])
    blob = git.run_git(["--git-dir", str(wc / ".git"), "show", f"{sha}:change.txt"])
    assert blob.stdout == b"two\n"


def test_include_path_does_not_run(wc, marker, plain, tmp_path):
    inc = tmp_path / "evil.config"
    inc.write_text(f"[core]\n\tfsmonitor = {script(tmp_path / 'fsmon', marker)}\n")
    set_config(wc, "include.path", str(inc))
    fire_then_commit_all(wc, marker, plain, [["status"]])


def test_nested_repository_fsmonitor_does_not_run(wc, marker, plain, tmp_path):
    sub = wc / "sub"
    plain(["init", "-q", str(sub)], cwd=wc, check=True)
    (sub / "s").write_text("s\n")
    plain(["add", "s"], cwd=sub, check=True)
    plain(["commit", "-qm", "s"], cwd=sub, check=True)
    plain(["add", "sub"], cwd=wc, check=True)
    plain(["commit", "-qm", "gitlink"], cwd=wc, check=True)
    set_config(sub, "core.fsmonitor", str(script(tmp_path / "fsmon", marker)))
    (sub / "s").write_text("dirty\n")
    fire_then_commit_all(wc, marker, plain, [["add", "-A"]])


def test_diff_external_and_textconv_do_not_run(wc, marker, plain, tmp_path):
    (wc / "f.txt").write_text("a\n")
    git_workdir.commit_all(wc, "f")
    (wc / "f.txt").write_text("a\nb\n")
    git_workdir.commit_all(wc, "f2")
    set_config(wc, "diff.external", str(script(tmp_path / "ext", marker)))
    plain(["diff", "HEAD~1", "HEAD"], cwd=wc)
    assert marker.exists()
    marker.unlink()
    set_config(wc, "diff.external", str(tmp_path / "ext"))
    set_config(wc, "diff.evil.textconv", str(script(tmp_path / "tc", marker)))
    (wc / ".gitattributes").write_text("* diff=evil\n")
    assert git_workdir.diff_stat(wc, "HEAD~1") == (1, 1, 0)
    assert not marker.exists()


def test_core_worktree_cannot_pull_in_host_files(wc, plain, tmp_path):
    outside = tmp_path / "host-secrets"
    outside.mkdir()
    (outside / "id_rsa").write_text("SECRET\n")
    set_config(wc, "core.worktree", str(outside))
    plain(["add", "-A"], cwd=wc)
    plain(["commit", "-qm", "x"], cwd=wc)
    assert "id_rsa" in tree_paths(wc), "plain git follows core.worktree"
    set_config(wc, "core.worktree", str(outside))
    (wc / "mine.txt").write_text("x\n")
    git_workdir.commit_all(wc, "hardened")
    assert "id_rsa" not in tree_paths(wc) and "mine.txt" in tree_paths(wc)


def secret_repo(tmp_path, plain) -> tuple[Path, str]:
    """Another project's repository holding a blob this task must not obtain."""
    other = tmp_path / "other.git"
    plain(["init", "--bare", "-q", str(other)], cwd=tmp_path, check=True)
    sha = subprocess.run(["git", "--git-dir", str(other), "hash-object", "-w", "--stdin"],
                         input=b"OTHER PROJECT SECRET\n", capture_output=True,
                         check=True).stdout.decode().strip()
    return other, sha


def test_alternates_to_host_repository_are_cut(wc, repo, plain, tmp_path):
    other, secret = secret_repo(tmp_path, plain)
    alt = wc / ".git" / "objects" / "info" / "alternates"
    alt.write_text(f"{other / 'objects'}\n")
    # Plain git reads the other project's object and builds history on it.
    assert "OTHER PROJECT SECRET" in plain(["cat-file", "-p", secret], cwd=wc).stdout
    plain(["update-index", "--add", "--cacheinfo", f"100644,{secret},leak.txt"],
          cwd=wc, check=True)
    plain(["commit", "-qm", "leak"], cwd=wc, check=True)
    with pytest.raises(GitError):
        git_workdir.publish_branch(wc, repo, TASK)
    assert not alt.exists()
    assert git.run_git(["--git-dir", str(repo), "cat-file", "-e", secret],
                       check=False).returncode != 0
    assert not git.branch_exists(repo, TASK)


def test_push_side_config_is_never_read_on_publish(wc, repo, marker, plain, tmp_path):
    evil = script(tmp_path / "receivepack", marker)
    set_config(wc, "remote.origin.url", str(repo))
    set_config(wc, "remote.origin.receivepack", str(evil))
    set_config(wc, "remote.origin.uploadpack", str(evil))
    plain(["push", "origin", "HEAD:refs/heads/x"], cwd=wc)
    assert marker.exists(), "plain push runs the working copy's receivepack"
    marker.unlink()
    sha = git_workdir.publish_branch(wc, repo, TASK)
    assert not marker.exists()
    assert git.resolve(repo, TASK) == sha


def test_git_dir_symlink_is_refused(wc, plain, tmp_path):
    other = tmp_path / "other"
    plain(["init", "-q", str(other)], cwd=tmp_path, check=True)
    (other / "o").write_text("o")
    plain(["add", "o"], cwd=other, check=True)
    plain(["commit", "-qm", "other project"], cwd=other, check=True)
    os.rename(wc / ".git", tmp_path / "moved.git")
    os.symlink(other / ".git", wc / ".git")
    assert "other project" in plain(["log", "--oneline"], cwd=wc).stdout
    for op in (git_workdir.neutralize, lambda w: git_workdir.commit_all(w, "x")):
        with pytest.raises(GitError) as err:
            op(wc)
        assert err.value.key == "git.workdir_unsafe"
    assert (other / ".git" / "hooks").exists()  # the other repository was not touched


def test_gitfile_pointing_elsewhere_is_refused(wc, plain, tmp_path):
    other = tmp_path / "other"
    plain(["init", "-q", str(other)], cwd=tmp_path, check=True)
    plain(["commit", "-q", "--allow-empty", "-m", "other project"], cwd=other, check=True)
    os.rename(wc / ".git", tmp_path / "moved.git")
    (wc / ".git").write_text(f"gitdir: {other / '.git'}\n")
    assert "other project" in plain(["log", "--oneline"], cwd=wc).stdout
    with pytest.raises(GitError) as err:
        git_workdir.commit_all(wc, "x")
    assert err.value.key == "git.workdir_unsafe"


def test_symlink_inside_git_dir_is_refused(wc, plain_env, tmp_path):
    outside = tmp_path / "host-dir"
    outside.mkdir()
    sha = subprocess.run(["git", "hash-object", "--stdin"], input=b"payload\n",
                         capture_output=True, check=True).stdout.decode().strip()
    objdir = wc / ".git" / "objects" / sha[:2]
    if objdir.exists():
        os.rename(objdir, tmp_path / "moved-objdir")
    os.symlink(outside, objdir)
    subprocess.run(["git", "hash-object", "-w", "--stdin"], input=b"payload\n", cwd=wc,
                   env=plain_env, capture_output=True)
    assert (outside / sha[2:]).exists(), "plain git writes through the symlink"
    with pytest.raises(GitError) as err:
        git_workdir.neutralize(wc)
    assert err.value.key == "git.workdir_unsafe"


def test_file_collection_never_follows_symlinks_out(wc, tmp_path):
    outside = tmp_path / "host-secrets"
    outside.mkdir()
    (outside / "key").write_text("SECRET\n")
    os.symlink(outside / "key", wc / "link-file")
    os.symlink(outside, wc / "link-dir")
    (wc / "sub").mkdir()
    (wc / "sub" / "ok.txt").write_text("ok\n")
    # What a naive collector would do:
    assert (wc / "link-file").read_text() == "SECRET\n"
    assert any("key" in names for _, _, names in os.walk(wc, followlinks=True))
    files = git_workdir.collect_files(wc)
    assert set(files) == {"README", "sub/ok.txt"}
    assert git_workdir.read_workdir_file(wc, "sub/ok.txt") == b"ok\n"
    for rel in ("link-file", "link-dir/key", "../host-secrets/key", "/etc/passwd"):
        with pytest.raises(GitError):
            git_workdir.read_workdir_file(wc, rel)
    # Committed as a link, never as the target's content.
    sha = git_workdir.commit_all(wc, "links")
    blob = git.run_git(["--git-dir", str(wc / ".git"), "show", f"{sha}:link-file"]).stdout
    assert blob == str(outside / "key").encode()


def test_reading_a_fifo_or_device_is_refused_without_blocking(wc):
    os.mkfifo(wc / "pipe")  # open() of a FIFO with no writer waits for ever
    os.symlink("/dev/zero", wc / "zero")
    result: dict = {}

    def read_all():
        for rel in ("pipe", "zero"):
            try:
                result[rel] = git_workdir.read_workdir_file(wc, rel)
            except GitError as exc:
                result[rel] = exc.key

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    reader.join(5)
    if reader.is_alive():
        with open(wc / "pipe", "wb"):  # let the stuck reader go before failing
            pass
        pytest.fail("reading a FIFO of the working copy blocked")
    assert result == {"pipe": "git.workdir_unsafe", "zero": "git.workdir_unsafe"}


# --- more working-copy guarantees --------------------------------------------------------

def test_publish_never_overwrites_default_branch(wc, repo):
    before = git.resolve(repo, "main")
    with pytest.raises(GitError) as err:
        git_workdir.publish_branch(wc, repo, "main")
    assert err.value.key == "git.branch_protected" and git.resolve(repo, "main") == before


def test_head_sees_commits_made_inside_the_container(wc, plain):
    start = git_workdir.head(wc)
    (wc / "agent.txt").write_text("x\n")
    plain(["add", "agent.txt"], cwd=wc, check=True)
    plain(["commit", "-qm", "agent commit"], cwd=wc, check=True)
    assert git_workdir.commit_all(wc, "nothing left") is None
    assert git_workdir.head(wc) != start
    assert git_workdir.diff_stat(wc, start) == (1, 1, 0)


def test_odd_git_dir_contents_are_refused_or_reset(wc):
    (wc / ".git" / "info").mkdir(exist_ok=True)
    (wc / ".git" / "info" / "grafts").write_text("0" * 40 + "\n")
    shutil.rmtree(wc / ".git" / "hooks", ignore_errors=True)
    (wc / ".git" / "hooks").write_text("not a dir")
    git_workdir.neutralize(wc)
    assert not (wc / ".git" / "info" / "grafts").exists()
    assert (wc / ".git" / "hooks").is_dir()
    (wc / ".git" / "config").unlink()
    (wc / ".git" / "config").mkdir()
    (wc / ".git" / "config" / "x").write_text("x")
    with pytest.raises(GitError) as err:
        git_workdir.neutralize(wc)
    assert err.value.key == "git.workdir_unsafe"


# --- neutralize() on its own ---------------------------------------------------------
# The tests above pass through run_git, whose -c flags alone already stop hooks,
# fsmonitor and hooksPath. These prove the second layer by itself: after
# neutralize(), even a *plain* git (no -c flags, no empty HOME) run on the
# working copy no longer fires what the container planted.

def _plant_hooks(wc: Path, marker: Path, tmp: Path) -> None:
    (wc / ".git" / "hooks").mkdir(exist_ok=True)
    for hook in HOOKS:
        script(wc / ".git" / "hooks" / hook, marker)


def _plant_hooks_path(wc: Path, marker: Path, tmp: Path) -> None:
    hooks = tmp / "evil-hooks"
    hooks.mkdir()
    for hook in HOOKS:
        script(hooks / hook, marker)
    set_config(wc, "core.hooksPath", str(hooks))


def _plant_fsmonitor(wc: Path, marker: Path, tmp: Path) -> None:
    set_config(wc, "core.fsmonitor", str(script(tmp / "fsmon", marker)))


def _plant_filter(wc: Path, marker: Path, tmp: Path) -> None:
    set_config(wc, "filter.evil.clean", str(script(tmp / "clean", marker, passthrough=True)))
    (wc / ".gitattributes").write_text("* filter=evil\n")


def _plant_include(wc: Path, marker: Path, tmp: Path) -> None:
    inc = tmp / "evil.config"
    inc.write_text(f"[core]\n\tfsmonitor = {script(tmp / 'fsmon', marker)}\n")
    set_config(wc, "include.path", str(inc))


def _plant_commondir(wc: Path, marker: Path, tmp: Path) -> None:
    # commondir makes git take config, refs and objects from another repository,
    # here one whose config runs a program.
    other = tmp / "other"
    subprocess.run(["git", "init", "-q", str(other)], check=True, capture_output=True)
    set_config(other, "core.fsmonitor", str(script(tmp / "fsmon", marker)))
    (wc / ".git" / "commondir").write_text(f"{other / '.git'}\n")


PLANTS = {"hooks": _plant_hooks, "core.hooksPath": _plant_hooks_path,
          "core.fsmonitor": _plant_fsmonitor, "filter": _plant_filter,
          "include.path": _plant_include, "commondir": _plant_commondir}
# What a user of the working copy would run; each plant fires on one of them.
PLAIN_USE = [["status"], ["add", "-A"], ["commit", "-qm", "x"]]


@pytest.mark.parametrize("plant", list(PLANTS))
def test_neutralize_alone_disarms_what_runs_programs(wc, marker, plain, tmp_path, plant):
    scratch = tmp_path / "scratch-fired"
    scratch.mkdir()
    shutil.copytree(wc, scratch / "wc", symlinks=True)
    PLANTS[plant](scratch / "wc", marker, scratch)
    (scratch / "wc" / "change.txt").write_text("one\n")
    for args in PLAIN_USE:
        plain(args, cwd=scratch / "wc")
    assert marker.exists(), f"{plant}: the trap must fire under plain git"
    marker.unlink()

    PLANTS[plant](wc, marker, tmp_path)
    git_workdir.neutralize(wc)
    (wc / "change.txt").write_text("two\n")
    for args in PLAIN_USE:
        plain(args, cwd=wc)
    assert not marker.exists(), f"{plant} still fires after neutralize()"
    assert (wc / ".git" / "config").read_text() == git_workdir.TRUSTED_WORKDIR_CONFIG
    assert list((wc / ".git" / "hooks").iterdir()) == []


def test_neutralize_alone_cuts_alternates(wc, plain, tmp_path):
    other, secret = secret_repo(tmp_path, plain)
    alt = wc / ".git" / "objects" / "info" / "alternates"
    alt.write_text(f"{other / 'objects'}\n")
    assert "OTHER PROJECT SECRET" in plain(["cat-file", "-p", secret], cwd=wc).stdout
    git_workdir.neutralize(wc)
    assert not alt.exists()
    assert plain(["cat-file", "-p", secret], cwd=wc).returncode != 0


def test_neutralize_alone_resets_core_worktree(wc, plain, tmp_path):
    outside = tmp_path / "host-secrets"
    outside.mkdir()
    (outside / "id_rsa").write_text("SECRET\n")
    set_config(wc, "core.worktree", str(outside))
    assert plain(["rev-parse", "--show-toplevel"], cwd=wc).stdout.strip() == str(outside)
    git_workdir.neutralize(wc)
    assert plain(["rev-parse", "--show-toplevel"], cwd=wc).stdout.strip() == str(wc)


GITDIR_FILES = ("info/attributes", "info/sparse-checkout", "objects/info/alternates",
                "objects/info/http-alternates", "commondir", "config.worktree",
                "info/grafts", "shallow")


def test_neutralize_removes_every_file_that_points_git_elsewhere(wc, tmp_path):
    for rel in GITDIR_FILES:
        path = wc / ".git" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{tmp_path}\n")
    (wc / ".git" / "hooks").mkdir(exist_ok=True)
    (wc / ".git" / "hooks" / "pre-commit").write_text("#!/bin/sh\n")
    git_workdir.neutralize(wc)
    left = [rel for rel in GITDIR_FILES if (wc / ".git" / rel).exists()]
    assert left == []
    assert list((wc / ".git" / "hooks").iterdir()) == []


@pytest.mark.parametrize("where", ["config", "hooks", "objects/info", "refs/heads"])
def test_neutralize_refuses_symlinks_inside_git_dir_and_writes_nothing_through(
        wc, tmp_path, where):
    outside = tmp_path / "host-thing"
    outside.mkdir()
    (outside / "keep").write_text("host file\n")
    target = wc / ".git" / where
    if not target.exists():
        target.mkdir(parents=True)
    moved = tmp_path / "moved"
    os.rename(target, moved)
    os.symlink(outside, target)
    before = sorted(p.name for p in outside.iterdir())
    with pytest.raises(GitError) as err:
        git_workdir.neutralize(wc)
    assert err.value.key == "git.workdir_unsafe"
    assert sorted(p.name for p in outside.iterdir()) == before
    assert (outside / "keep").read_text() == "host file\n"
    assert target.is_symlink(), "neutralize must refuse, not quietly replace"
