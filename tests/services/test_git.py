"""Host-side git: real git, temp dirs, loopback only.

Every hostile-repository test first proves its trap fires under a plain git
(so it cannot pass vacuously), then shows the hardened path does not fire it.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from clawweb.services import git
from clawweb.services.git import GitError
from tests.support.services import free_port

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
    git.prepare_workdir(repo, w, base_branch="main", task_branch=TASK)
    (w / "README").write_text("hello\n")
    git.commit_all(w, "readme")
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


# --- run_git -----------------------------------------------------------------

def test_run_git_ignores_host_user_config_and_environment(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[alias]\n\tpwned = !touch /nonexistent\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    out = git.run_git(["config", "--list", "--show-origin"]).stdout.decode()
    assert "pwned" not in out
    assert "command line:\tcore.hookspath=/dev/null" in out
    assert "core.fsmonitor=false" in out


def test_run_git_raises_on_failure(tmp_path):
    with pytest.raises(GitError) as err:
        git.run_git(["--git-dir", str(tmp_path / "nope"), "log"])
    assert err.value.key == "git.failed" and err.value.stderr
    assert git.run_git(["--git-dir", str(tmp_path / "nope"), "log"], check=False).returncode


# --- bare repositories ----------------------------------------------------------

def test_init_empty_has_one_commit_on_branch(tmp_path):
    r = tmp_path / "r.git"
    git.init_empty(r, branch="trunk")
    assert git.default_branch(r) == "trunk"
    assert git.branches(r) == ["trunk"]
    assert git.branch_exists(r, "trunk") and not git.branch_exists(r, "main")
    [c] = git.recent_commits(r, "trunk")
    assert c["subject"] == "Initial commit" and c["short"] == c["sha"][:7]
    assert c["author"] == "clawweb" and "T" in c["date"]


def test_init_empty_refuses_bad_branch_and_leaves_nothing(tmp_path):
    with pytest.raises(GitError) as err:
        git.init_empty(tmp_path / "r.git", branch="bad..name")
    assert err.value.key == "git.branch_invalid"
    assert list(tmp_path.iterdir()) == []


def test_recent_commits_of_unknown_ref_is_empty(repo):
    assert git.recent_commits(repo, "nope") == []
    assert git.recent_commits(repo, "--output=/tmp/x") == []


def test_clone_from_local_path_and_file_url(repo, wc, tmp_path):
    git.publish_branch(wc, repo, TASK)
    for n, url in enumerate([str(repo), f"file://{repo}"]):
        dest = tmp_path / f"clone{n}.git"
        git.clone_into(url, dest)
        assert git.branches(dest) == ["clawweb/task-1", "main"]
        assert git.recent_commits(dest, TASK)[0]["subject"] == "readme"
        # --no-local: nothing points back into the source repository.
        assert not (dest / "objects" / "info" / "alternates").exists()


def assert_nothing_left(parent: Path, dest: Path) -> None:
    assert not dest.exists()
    assert not [p for p in parent.iterdir() if p.name.startswith(".tmp-")]


@pytest.mark.parametrize("url, key", [
    ("", "git.url_invalid"),
    ("-uhttps://x/y", "git.url_invalid"),
    ("relative/path", "git.url_invalid"),
    ("https://", "git.url_invalid"),
    ("https://example.com/a b", "git.url_invalid"),
    ("file://otherhost/srv/x.git", "git.url_invalid"),
    ("ssh://example.com/x.git", "git.url_unsupported"),
    ("git://example.com/x.git", "git.url_unsupported"),
    ("http://example.com/x.git", "git.url_unsupported"),
    ("ftp://example.com/x.git", "git.url_unsupported"),
    ("git@example.com:x/y.git", "git.url_unsupported"),
    ("ext::sh -c touch% /tmp/pwned", "git.url_invalid"),
    ("ext::sh", "git.url_unsupported"),
    ("fd::3", "git.url_unsupported"),
    ("https://user:pw@example.com/x.git", "git.url_credentials"),
    ("https://127.0.0.1/x.git", "git.url_not_public"),
    ("https://localhost/x.git", "git.url_not_public"),
    ("https://10.1.2.3/x.git", "git.url_not_public"),
    ("https://169.254.169.254/x.git", "git.url_not_public"),
    ("https://[::1]/x.git", "git.url_not_public"),
])
def test_clone_refuses_urls_before_running_git(url, key, tmp_path, monkeypatch):
    def no_git(*a, **kw):
        raise AssertionError("git must not run for a refused URL")
    monkeypatch.setattr(git, "run_git", no_git)
    with pytest.raises(GitError) as err:
        git.clone_into(url, tmp_path / "dest.git")
    assert err.value.key == key
    assert_nothing_left(tmp_path, tmp_path / "dest.git")


def test_public_https_url_is_accepted():
    assert git.check_url(" https://github.com/a/b.git ") == "https://github.com/a/b.git"


@pytest.mark.parametrize("make", ["missing", "plain_dir", "file_url_missing"])
def test_clone_not_a_repo_leaves_nothing(make, tmp_path):
    src = tmp_path / "src"
    if make == "plain_dir":
        src.mkdir()
        (src / "f").write_text("x")
    url = f"file://{src}" if make == "file_url_missing" else str(src)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(GitError) as err:
        git.clone_into(url, out / "dest.git")
    assert err.value.key == "git.not_a_repo"
    assert_nothing_left(out, out / "dest.git")


def test_clone_refuses_existing_destination(repo, tmp_path):
    dest = tmp_path / "dest.git"
    dest.mkdir()
    (dest / "keep").write_text("x")
    with pytest.raises(GitError) as err:
        git.clone_into(str(repo), dest)
    assert err.value.key == "git.dest_exists" and (dest / "keep").exists()


class _Answer401(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="private"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def loopback_urls_allowed(monkeypatch):
    """Let clone_into reach http://127.0.0.1 test servers (production refuses them)."""
    monkeypatch.setattr(git, "check_url", lambda url: url)


def test_clone_auth_required_leaves_nothing(tmp_path, loopback_urls_allowed):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer401)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/private.git"
        with pytest.raises(GitError) as err:
            git.clone_into(url, tmp_path / "dest.git")
    finally:
        server.shutdown()
        server.server_close()
    assert err.value.key == "git.auth_required", err.value.stderr
    assert_nothing_left(tmp_path, tmp_path / "dest.git")


def test_clone_unreachable_leaves_nothing(tmp_path, loopback_urls_allowed):
    url = f"http://127.0.0.1:{free_port()}/x.git"  # nothing listens there
    with pytest.raises(GitError) as err:
        git.clone_into(url, tmp_path / "dest.git")
    assert err.value.key == "git.unreachable", err.value.stderr
    assert_nothing_left(tmp_path, tmp_path / "dest.git")


def test_clone_timeout_leaves_nothing(tmp_path, loopback_urls_allowed):
    with socket.socket() as silent:  # accepts, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/x.git"
        with pytest.raises(GitError) as err:
            git.clone_into(url, tmp_path / "dest.git", timeout=1)
    assert err.value.key == "git.timeout"
    assert_nothing_left(tmp_path, tmp_path / "dest.git")


@pytest.mark.parametrize("stderr, key", [
    ("Cloning into bare repository 'x'...\nfatal: could not read Username for "
     "'https://github.com': terminal prompts disabled\n", "git.auth_required"),
    ("remote: HTTP Basic: Access denied\nfatal: Authentication failed for "
     "'https://gitlab.com/a/b.git/'\n", "git.auth_required"),
    ("fatal: unable to access 'https://h.example/x.git/': The requested URL returned "
     "error: 403\n", "git.auth_required"),
    ("fatal: unable to access 'https://nope.invalid/x.git/': Could not resolve host: "
     "nope.invalid\n", "git.unreachable"),
    ("fatal: unable to access 'https://h.example/x.git/': Failed to connect to h.example "
     "port 443 after 3 ms: Couldn't connect to server\n", "git.unreachable"),
    ("fatal: unable to access 'https://h.example/x.git/': SSL certificate problem: "
     "self-signed certificate\n", "git.unreachable"),
    ("remote: Repository not found.\nfatal: repository 'https://github.com/a/b.git/' "
     "not found\n", "git.not_a_repo"),
    ("fatal: repository '/srv/nope' does not exist\n", "git.not_a_repo"),
    ("fatal: '/srv/x' does not appear to be a git repository\nfatal: Could not read from "
     "remote repository.\n", "git.not_a_repo"),
    ("fatal: something else entirely\n", "git.clone_failed"),
])
def test_classify_clone_error_recorded_stderr(stderr, key):
    assert git.classify_clone_error(stderr) == key


# --- task working copies ---------------------------------------------------------

def test_prepare_commit_diff_publish_roundtrip(repo, tmp_path):
    w = tmp_path / "w"
    base = git.prepare_workdir(repo, w, base_branch="main", task_branch=TASK)
    assert base == git.resolve(repo, "main")
    (w / "a.txt").write_text("1\n2\n3\n")
    sha = git.commit_all(w, "add a", author_name="Ann", author_email="ann@x")
    assert sha and git.commit_all(w, "nothing") is None
    assert git.diff_stat(w, base) == (1, 3, 0)
    assert git.publish_branch(w, repo, TASK) == sha
    [top, _] = git.recent_commits(repo, TASK)
    assert top["sha"] == sha and top["author"] == "Ann" and top["subject"] == "add a"
    assert git.resolve(repo, "main") == base  # the base branch is untouched


def test_prepare_continues_existing_task_branch(repo, wc, tmp_path):
    git.publish_branch(wc, repo, TASK)
    w2 = tmp_path / "w2"
    git.prepare_workdir(repo, w2, base_branch="main", task_branch=TASK)
    assert (w2 / "README").read_text() == "hello\n"
    (w2 / "README").unlink()
    git.commit_all(w2, "drop readme")
    assert git.diff_stat(w2, "HEAD~1") == (1, 0, 1)


def test_prepare_missing_base_branch_leaves_nothing(repo, tmp_path):
    w = tmp_path / "w"
    with pytest.raises(GitError) as err:
        git.prepare_workdir(repo, w, base_branch="nope", task_branch=TASK)
    assert err.value.key == "git.branch_missing" and not w.exists()


def test_prepare_on_repository_without_commits(tmp_path, plain):
    src = tmp_path / "empty.git"
    plain(["init", "--bare", "-q", str(src)], cwd=tmp_path, check=True)
    repo = tmp_path / "proj.git"
    git.clone_into(str(src), repo)
    w = tmp_path / "w"
    assert git.prepare_workdir(repo, w, base_branch="main", task_branch=TASK) is None
    assert git.commit_all(w, "nothing yet") is None
    (w / "f").write_text("x\n")
    sha = git.commit_all(w, "first")
    assert git.publish_branch(w, repo, TASK) == sha
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
    sha = git.commit_all(wc, "hardened commit")
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
    assert git.diff_stat(wc, "HEAD~1") == (1, 1, 0) and not marker.exists()


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
    git.commit_all(wc, "f")
    (wc / "f.txt").write_text("a\nb\n")
    git.commit_all(wc, "f2")
    set_config(wc, "diff.external", str(script(tmp_path / "ext", marker)))
    plain(["diff", "HEAD~1", "HEAD"], cwd=wc)
    assert marker.exists()
    marker.unlink()
    set_config(wc, "diff.external", str(tmp_path / "ext"))
    set_config(wc, "diff.evil.textconv", str(script(tmp_path / "tc", marker)))
    (wc / ".gitattributes").write_text("* diff=evil\n")
    assert git.diff_stat(wc, "HEAD~1") == (1, 1, 0)
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
    git.commit_all(wc, "hardened")
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
        git.publish_branch(wc, repo, TASK)
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
    sha = git.publish_branch(wc, repo, TASK)
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
    for op in (git.neutralize, lambda w: git.commit_all(w, "x")):
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
        git.commit_all(wc, "x")
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
        git.neutralize(wc)
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
    files = git.collect_files(wc)
    assert set(files) == {"README", "sub/ok.txt"}
    assert git.read_workdir_file(wc, "sub/ok.txt") == b"ok\n"
    for rel in ("link-file", "link-dir/key", "../host-secrets/key", "/etc/passwd"):
        with pytest.raises(GitError):
            git.read_workdir_file(wc, rel)
    # Committed as a link, never as the target's content.
    sha = git.commit_all(wc, "links")
    blob = git.run_git(["--git-dir", str(wc / ".git"), "show", f"{sha}:link-file"]).stdout
    assert blob == str(outside / "key").encode()


# --- SSRF: https hosts are pinned to checked public addresses ------------------------

def fake_resolver(monkeypatch, addrs: list[str]) -> None:
    def getaddrinfo(host, port, *a, **kw):
        return [(socket.AF_INET6 if ":" in a_ else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a_, port)) for a_ in addrs]
    monkeypatch.setattr(git.socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("addrs", [["127.0.0.1"], ["10.0.0.5"], ["93.184.215.14", "::1"],
                                   ["169.254.169.254"], ["fd00::1"]])
def test_names_resolving_to_private_addresses_are_refused(monkeypatch, tmp_path, addrs):
    fake_resolver(monkeypatch, addrs)
    with pytest.raises(GitError) as err:
        git.clone_into("https://rebind.example/x.git", tmp_path / "d.git")
    assert err.value.key == "git.url_not_public"
    assert_nothing_left(tmp_path, tmp_path / "d.git")


def test_public_name_is_pinned_and_redirects_refused(monkeypatch):
    fake_resolver(monkeypatch, ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
    args = git.pin_public_host("https://git.example/x.git")
    assert args == ["-c", "http.curloptResolve=git.example:443:"
                    "[2606:2800:21f:cb07:6820:80da:af6b:8b2c],93.184.215.14",
                    "-c", "http.followRedirects=false"]
    assert git.pin_public_host("file:///srv/x.git") == []


def test_git_connects_to_the_pinned_address():
    """Proves http.curloptResolve is honoured: the name never reaches DNS."""
    version = git.run_git(["version"]).stdout.decode().split()[2]
    # Older git would ignore the option and ask a DNS server: not from a test.
    assert tuple(int(x) for x in version.split(".")[:2]) >= (2, 37), version
    seen = []
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(4)
        port = srv.getsockname()[1]

        def accept():
            conn, _ = srv.accept()
            seen.append(True)
            conn.close()
        t = threading.Thread(target=accept, daemon=True)
        t.start()
        git.run_git(["-c", f"http.curloptResolve=pinned.invalid:{port}:127.0.0.1",
                     "ls-remote", f"https://pinned.invalid:{port}/x.git"],
                    check=False, timeout=20)
        t.join(5)
    assert seen == [True]


# --- more working-copy guarantees --------------------------------------------------------

def test_publish_never_overwrites_default_branch(wc, repo):
    before = git.resolve(repo, "main")
    with pytest.raises(GitError) as err:
        git.publish_branch(wc, repo, "main")
    assert err.value.key == "git.branch_protected" and git.resolve(repo, "main") == before


def test_head_sees_commits_made_inside_the_container(wc, plain):
    start = git.head(wc)
    (wc / "agent.txt").write_text("x\n")
    plain(["add", "agent.txt"], cwd=wc, check=True)
    plain(["commit", "-qm", "agent commit"], cwd=wc, check=True)
    assert git.commit_all(wc, "nothing left") is None
    assert git.head(wc) != start
    assert git.diff_stat(wc, start) == (1, 1, 0)


def test_odd_git_dir_contents_are_refused_or_reset(wc):
    (wc / ".git" / "info").mkdir(exist_ok=True)
    (wc / ".git" / "info" / "grafts").write_text("0" * 40 + "\n")
    shutil.rmtree(wc / ".git" / "hooks", ignore_errors=True)
    (wc / ".git" / "hooks").write_text("not a dir")
    git.neutralize(wc)
    assert not (wc / ".git" / "info" / "grafts").exists()
    assert (wc / ".git" / "hooks").is_dir()
    (wc / ".git" / "config").unlink()
    (wc / ".git" / "config").mkdir()
    (wc / ".git" / "config" / "x").write_text("x")
    with pytest.raises(GitError) as err:
        git.neutralize(wc)
    assert err.value.key == "git.workdir_unsafe"
