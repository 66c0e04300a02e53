"""Host-side git: the hardened runner and project repositories; real git,
temp dirs, loopback only. Task working copies: test_git_workdir.py.
"""

from __future__ import annotations

import http.server
import socket
import threading
from pathlib import Path

import pytest

from clawweb.services import git
from worker import git_workdir
from clawweb.services.git import GitError
from tests.support.services import free_port

TASK = "clawweb/task-1"


# --- helpers ----------------------------------------------------------------

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


def test_heads_names_each_branch_with_its_commit_as_resolve_does(repo, tmp_path):
    main = git.resolve(repo, "refs/heads/main")
    git.run_git(git.bare(repo) + ["branch", "side", "main"])
    assert git.heads(repo) == {"main": main, "side": main}
    empty = tmp_path / "empty.git"
    git.run_git(["init", "--bare", "--quiet", str(empty)])
    assert git.heads(empty) == {}


def test_clone_from_local_path_and_file_url(repo, wc, tmp_path):
    git_workdir.publish_branch(wc, repo, TASK)
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
    from tests.support.no_dns import refuse_dns

    def no_git(*a, **kw):
        raise AssertionError("git must not run for a refused URL")
    monkeypatch.setattr(git.repos, "run_git", no_git)  # what clone_into runs
    asked = refuse_dns(monkeypatch)  # nor is any of these names looked up
    with pytest.raises(GitError) as err:
        git.clone_into(url, tmp_path / "dest.git")
    assert err.value.key == key and asked == []
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
    monkeypatch.setattr(git.repos, "check_url", lambda url: url)


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


# --- SSRF: https hosts are pinned to checked public addresses ------------------------

def fake_resolver(monkeypatch, addrs: list[str]) -> None:
    def getaddrinfo(host, port, *a, **kw):
        return [(socket.AF_INET6 if ":" in a_ else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a_, port)) for a_ in addrs]
    monkeypatch.setattr(git.urls.socket, "getaddrinfo", getaddrinfo)


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
