"""Every host-side git call in clawweb, hardened against hostile repositories.

A task's container can write anything into its working copy, ``.git`` included:
hooks, ``core.fsmonitor``, ``core.hooksPath``, filter drivers, ``core.worktree``,
alternates pointing at host repositories, symlinks pointing outside. Host git
must never run or follow any of it. Two layers make sure of that:

* :func:`run_git` runs git with an empty environment of our own, no system or
  global config, and command-line overrides (the highest-precedence config) for
  every setting that names a program.
* :func:`neutralize` rewrites a working copy's ``.git`` to a trusted state
  before host git touches it, because filters, includes and ``core.worktree``
  cannot be switched off from the command line.

Project repositories are bare repositories under ``settings.repos_dir``.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from clawweb.services.errors import ServiceError

# Command-line config wins over every config file, so these hold even when a
# hostile .git/config says otherwise. Each one names a program git could run,
# or a transport that could reach something we do not allow.
_HARDENING = {
    "core.hooksPath": "/dev/null",
    "core.fsmonitor": "false",
    "core.sshCommand": "false",
    "core.askPass": "/bin/false",
    "core.pager": "cat",
    "core.editor": "false",
    "core.attributesFile": "/dev/null",
    "core.untrackedCache": "false",
    "sequence.editor": "false",
    "credential.helper": "",
    "protocol.file.allow": "always",
    "protocol.ext.allow": "never",
    "protocol.ssh.allow": "never",
    "protocol.git.allow": "never",
    "diff.external": "",
    "diff.ignoreSubmodules": "all",
    "submodule.recurse": "false",
    "commit.gpgSign": "false",
    "tag.gpgSign": "false",
    "gc.auto": "0",
    "maintenance.auto": "false",
    "fetch.fsckObjects": "true",
    "receive.fsckObjects": "true",
    "advice.detachedHead": "false",
    "init.defaultBranch": "main",
}

# The whole .git/config of a working copy after neutralize(): nothing that names
# a program, a path or a remote survives.
TRUSTED_WORKDIR_CONFIG = """\
[core]
\trepositoryformatversion = 0
\tfilemode = true
\tbare = false
\tlogallrefupdates = true
"""

# Files inside .git that make git read or run something outside the repository.
_REMOVE_IN_GITDIR = (
    "info/attributes", "info/sparse-checkout", "objects/info/alternates",
    "objects/info/http-alternates", "commondir", "config.worktree", "info/grafts",
    "shallow",
)

DEFAULT_AUTHOR = ("clawweb", "clawweb@localhost")


class GitError(ServiceError):
    """A git operation failed; ``key`` says why in the user's words."""

    def __init__(self, key: str = "git.failed", *, stderr: str = "", **params):
        super().__init__(key, **params)
        self.stderr = stderr


@functools.lru_cache
def _empty_home() -> str:
    # An empty HOME so nothing of the host user's (~/.gitconfig, ~/.ssh,
    # ~/.netrc) is ever read.
    return tempfile.mkdtemp(prefix="clawweb-git-home-")


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    home = _empty_home()
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": home,
        "XDG_CONFIG_HOME": home,
        "LC_ALL": "C",  # stderr is classified by its English text
        "LANG": "C",
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_ATTR_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "SSH_ASKPASS": "/bin/false",
        "GIT_SSH": "/bin/false",
        "GIT_SSH_COMMAND": "false",
        "GIT_PAGER": "cat",
        "GIT_EDITOR": "false",
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_PROTOCOL_FROM_USER": "0",
        "GIT_AUTHOR_NAME": DEFAULT_AUTHOR[0],
        "GIT_AUTHOR_EMAIL": DEFAULT_AUTHOR[1],
        "GIT_COMMITTER_NAME": DEFAULT_AUTHOR[0],
        "GIT_COMMITTER_EMAIL": DEFAULT_AUTHOR[1],
    }
    env.update(extra or {})
    return env


def run_git(
    args: list[str],
    *,
    cwd: Path | None = None,
    timeout: float = 120,
    check: bool = True,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run git with a hardened environment and configuration.

    Args:
        args: git arguments (without ``git``).
        cwd: directory to run in; prefer ``--git-dir`` in ``args`` for repositories.
        timeout: seconds before the whole process group is killed.
        check: raise :class:`GitError` on a non-zero exit.
        input: bytes for stdin.
        env: extra environment variables (e.g. author identity).

    Returns:
        The completed process, stdout and stderr as bytes.

    Raises:
        GitError: ``git.timeout`` on timeout, ``git.failed`` on failure (with ``check``).
    """
    cmd = ["git"]
    for key, value in _HARDENING.items():
        cmd += ["-c", f"{key}={value}"]
    cmd += list(args)
    # A new session so a timeout kills git's helpers (remote-https,
    # index-pack) too, not only the git process itself.
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=_env(env), start_new_session=True,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        out, err = proc.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise GitError("git.timeout", stderr=err.decode(errors="replace")) from None
    result = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    if check and proc.returncode != 0:
        raise GitError("git.failed", stderr=err.decode(errors="replace"))
    return result


def _git_out(args: list[str], **kw) -> str:
    return run_git(args, **kw).stdout.decode(errors="replace").strip()


def _bare(repo: Path) -> list[str]:
    return ["--git-dir", str(Path(repo).absolute())]


def _wt(workdir: Path) -> list[str]:
    # Explicit git dir and work tree: never discover a repository upwards, and
    # never honour a core.worktree from the working copy's config.
    workdir = Path(workdir).absolute()
    return ["--git-dir", str(workdir / ".git"), "--work-tree", str(workdir)]


# --- URLs and errors -------------------------------------------------------

_AUTH = re.compile(
    r"Authentication failed|could not read (Username|Password)|terminal prompts disabled"
    r"|returned error: (401|403)|HTTP Basic: Access denied|Invalid username or password",
    re.I)
_UNREACHABLE = re.compile(
    r"Could not resolve host|Failed to connect|Connection refused|Connection timed out"
    r"|Network is unreachable|No route to host|Operation timed out|SSL|TLS"
    r"|Couldn't connect|Connection reset|Empty reply from server|unable to access",
    re.I)
_NOT_A_REPO = re.compile(
    r"does not appear to be a git repository|not a git repository|does not exist"
    r"|not found|returned error: 404|not valid: is this a git repository"
    r"|dubious ownership|Could not read from remote repository",
    re.I)


def classify_clone_error(stderr: str) -> str:
    """Map git's stderr from a clone/fetch to a message key (order matters)."""
    for pattern, key in ((_AUTH, "git.auth_required"), (_NOT_A_REPO, "git.not_a_repo"),
                         (_UNREACHABLE, "git.unreachable")):
        if pattern.search(stderr or ""):
            return key
    return "git.clone_failed"


def _public_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in ("localhost", "") or host.endswith(".localhost"):
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return True  # a name; we do not resolve it here


def check_url(url: str) -> str:
    """Validate a clone source; return it normalised.

    Accepts public ``https://`` URLs, ``file://`` URLs and absolute local paths.

    Raises:
        GitError: ``git.url_invalid``, ``git.url_unsupported``,
            ``git.url_credentials`` or ``git.url_not_public``.
    """
    url = (url or "").strip()
    if not url or url.startswith("-") or any(c.isspace() or ord(c) < 32 for c in url):
        raise GitError("git.url_invalid")
    if url.startswith("/"):
        return url
    # "transport::address" (ext::, fd::) runs commands; scp-like "host:path" is ssh.
    if "::" in url.split("/", 1)[0] or re.match(r"^[^/:]+:(?!//)", url):
        raise GitError("git.url_unsupported")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise GitError("git.url_invalid")
        return url
    if scheme != "https":
        raise GitError("git.url_unsupported" if scheme else "git.url_invalid")
    if not parts.hostname:
        raise GitError("git.url_invalid")
    if parts.username or parts.password:
        raise GitError("git.url_credentials")
    if not _public_host(parts.hostname):
        raise GitError("git.url_not_public")
    return url


def pin_public_host(url: str) -> list[str]:
    """git options that pin an https URL's host to addresses checked to be public.

    Resolving here and handing curl the result (``http.curloptResolve``) means a
    name that resolves, or re-resolves, to a loopback or private address cannot
    make the server fetch from inside its own network; redirects are refused
    for the same reason. Other URLs need no options.

    Raises:
        GitError: ``git.url_not_public`` or ``git.unreachable`` (name unknown).
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        return []
    port = parts.port or 443
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise GitError("git.unreachable", stderr=str(exc)) from None
    addrs = sorted({info[4][0] for info in infos})
    if not addrs or not all(_public_host(a) for a in addrs):
        raise GitError("git.url_not_public")
    pinned = ",".join(f"[{a}]" if ":" in a else a for a in addrs)
    return ["-c", f"http.curloptResolve={parts.hostname}:{port}:{pinned}",
            "-c", "http.followRedirects=false"]


def check_branch_name(name: str) -> str:
    """Raise ``git.branch_invalid`` unless ``name`` is a valid branch name."""
    if not name or name.startswith("-") or run_git(
            ["check-ref-format", "--branch", name], check=False).returncode != 0:
        raise GitError("git.branch_invalid", branch=name)
    return name


# --- bare project repositories ---------------------------------------------

def _staging_dir(dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest.parent / f".tmp-{dest.name}-{uuid.uuid4().hex[:8]}"


def _publish_dir(tmp: Path, dest: Path) -> None:
    if dest.exists():
        raise GitError("git.dest_exists")
    os.rename(tmp, dest)


def clone_into(url: str, dest: Path, *, timeout: float = 600) -> None:
    """Clone ``url`` as a bare repository at ``dest``; nothing remains on failure.

    Raises:
        GitError: a ``git.url_*`` key for a refused URL; ``git.unreachable``,
            ``git.not_a_repo``, ``git.auth_required``, ``git.timeout`` or
            ``git.clone_failed`` when the clone fails.
    """
    url = check_url(url)
    if dest.exists():
        raise GitError("git.dest_exists")
    pinned = pin_public_host(url)
    tmp = _staging_dir(dest)
    try:
        # --no-local: go through upload-pack even for local sources, so no
        # hardlinks into, or alternates towards, a repository we do not own.
        res = run_git([*pinned, "clone", "--bare", "--no-local", "--template=", "--quiet",
                       "--", url, str(tmp)], timeout=timeout, check=False)
        if res.returncode != 0:
            err = res.stderr.decode(errors="replace")
            raise GitError(classify_clone_error(err), stderr=err)
        _publish_dir(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def init_empty(dest: Path, branch: str = "main") -> None:
    """Create a bare repository at ``dest`` whose ``branch`` has one empty commit."""
    check_branch_name(branch)
    if dest.exists():
        raise GitError("git.dest_exists")
    tmp = _staging_dir(dest)
    try:
        run_git(["init", "--bare", "--quiet", "--template=", "-b", branch, str(tmp)])
        # Plumbing instead of a temporary work tree: an empty tree and a commit.
        tree = _git_out(_bare(tmp) + ["mktree"], input=b"")
        sha = _git_out(_bare(tmp) + ["commit-tree", tree, "-m", "Initial commit"])
        run_git(_bare(tmp) + ["update-ref", f"refs/heads/{branch}", sha])
        _publish_dir(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def default_branch(repo: Path) -> str:
    """The branch HEAD names in a bare repository (may have no commits yet)."""
    out = run_git(_bare(repo) + ["symbolic-ref", "--quiet", "HEAD"], check=False)
    ref = out.stdout.decode().strip()
    return ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else "main"


def branches(repo: Path) -> list[str]:
    """All branch names of a repository, sorted."""
    out = _git_out(_bare(repo) + ["for-each-ref", "--format=%(refname)", "refs/heads/"])
    return sorted(line.removeprefix("refs/heads/") for line in out.splitlines() if line)


def branch_exists(repo: Path, branch: str) -> bool:
    """Whether ``refs/heads/<branch>`` exists in ``repo``."""
    check_branch_name(branch)
    return run_git(_bare(repo) + ["rev-parse", "--verify", "--quiet",
                                  f"refs/heads/{branch}^{{commit}}"],
                   check=False).returncode == 0


def resolve(repo: Path, ref: str) -> str | None:
    """The commit sha ``ref`` names in ``repo``, or None."""
    if not ref or ref.startswith("-"):
        return None
    res = run_git(_bare(repo) + ["rev-parse", "--verify", "--quiet", "--end-of-options",
                                 f"{ref}^{{commit}}"], check=False)
    return res.stdout.decode().strip() if res.returncode == 0 else None


def recent_commits(repo: Path, ref: str, limit: int = 20) -> list[dict]:
    """Newest first: ``sha``, ``short``, ``author``, ``date`` (ISO 8601), ``subject``."""
    sha = resolve(repo, ref)
    if sha is None:
        return []
    out = _git_out(_bare(repo) + ["log", f"--max-count={int(limit)}",
                                  "--format=%H%x00%h%x00%an%x00%aI%x00%s", sha, "--"])
    keys = ("sha", "short", "author", "date", "subject")
    return [dict(zip(keys, line.split("\0"))) for line in out.splitlines() if line]


# --- task working copies (the worker) --------------------------------------

def _refuse_links_in(gitdir: Path) -> None:
    # Legit git never puts a symlink inside .git; a hostile one (objects/ab ->
    # /host/dir) would make host git write or read outside the working copy.
    for root, dirs, files in os.walk(gitdir, followlinks=False):
        for name in dirs + files:
            if os.path.islink(os.path.join(root, name)):
                raise GitError("git.workdir_unsafe", path=os.path.join(root, name))


def neutralize(workdir: Path, *, trusted_config: str | None = None) -> None:
    """Return a task working copy's ``.git`` to a state host git can trust.

    Rewrites ``.git/config`` from ``trusted_config`` (default
    :data:`TRUSTED_WORKDIR_CONFIG`), empties ``.git/hooks`` and removes files
    that point git elsewhere (alternates, commondir, info/attributes).

    Raises:
        GitError: ``git.workdir_unsafe`` when the working copy or ``.git`` is a
            symlink, ``.git`` is a gitfile, or ``.git`` contains a symlink.
    """
    workdir = Path(workdir)
    gitdir = workdir / ".git"
    if workdir.is_symlink() or not workdir.is_dir():
        raise GitError("git.workdir_unsafe", path=str(workdir))
    if gitdir.is_symlink() or not gitdir.is_dir():
        raise GitError("git.workdir_unsafe", path=str(gitdir))
    _refuse_links_in(gitdir)
    try:
        _reset_gitdir(gitdir, trusted_config)
    except OSError as exc:  # e.g. a directory where .git/config should be
        raise GitError("git.workdir_unsafe", path=str(gitdir)) from exc


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def _reset_gitdir(gitdir: Path, trusted_config: str | None) -> None:
    config = gitdir / "config"
    tmp = gitdir / f"config.clawweb-{uuid.uuid4().hex[:8]}"
    tmp.write_text(trusted_config if trusted_config is not None else TRUSTED_WORKDIR_CONFIG)
    os.replace(tmp, config)  # replaces whatever was there, never writes through it
    _remove(gitdir / "hooks")
    (gitdir / "hooks").mkdir()
    for rel in _REMOVE_IN_GITDIR:
        _remove(gitdir / rel)


def prepare_workdir(repo: Path, workdir: Path, *, base_branch: str,
                    task_branch: str) -> str | None:
    """Clone the bare project ``repo`` into ``workdir`` on ``task_branch``.

    An existing ``task_branch`` in ``repo`` is continued; otherwise it starts
    from ``base_branch``. A repository without commits gets an unborn branch.
    ``workdir`` must not exist or be empty; on failure it is removed.

    Returns:
        The sha of ``base_branch`` (for :func:`diff_stat`), or None without commits.

    Raises:
        GitError: ``git.branch_missing`` when the base branch does not exist.
    """
    check_branch_name(base_branch)
    check_branch_name(task_branch)
    workdir = Path(workdir)
    if workdir.exists() and any(workdir.iterdir()):
        raise GitError("git.dest_exists")
    base_sha = resolve(repo, f"refs/heads/{base_branch}")
    has_task = branch_exists(repo, task_branch)
    if base_sha is None and not has_task and branches(repo):
        raise GitError("git.branch_missing", branch=base_branch)
    try:
        run_git(["clone", "--no-local", "--no-checkout", "--template=", "--quiet",
                 "--", str(repo), str(workdir)])
        neutralize(workdir)
        if has_task or base_sha:
            start = f"refs/remotes/origin/{task_branch if has_task else base_branch}"
            run_git(_wt(workdir) + ["checkout", "--quiet", "-B", task_branch, start],
                    cwd=workdir)
        else:
            run_git(_wt(workdir) + ["symbolic-ref", "HEAD", f"refs/heads/{task_branch}"])
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return base_sha


def commit_all(workdir: Path, message: str, *, author_name: str = DEFAULT_AUTHOR[0],
               author_email: str = DEFAULT_AUTHOR[1]) -> str | None:
    """Commit every change in a (possibly hostile) working copy.

    Returns:
        The new commit's sha, or None when nothing changed.
    """
    workdir = Path(workdir)
    neutralize(workdir)
    wt = _wt(workdir)
    # A fresh index: the container may have planted skip-worktree bits,
    # sparse entries or a crafted index file.
    (workdir / ".git" / "index").unlink(missing_ok=True)
    res = run_git(wt + ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], check=False)
    head_sha = res.stdout.decode().strip() if res.returncode == 0 else None
    if head_sha:
        run_git(wt + ["read-tree", head_sha], cwd=workdir)
    run_git(wt + ["add", "--all", "--", "."], cwd=workdir, timeout=600)
    tree = _git_out(wt + ["write-tree"], cwd=workdir)
    if head_sha and tree == _git_out(wt + ["rev-parse", f"{head_sha}^{{tree}}"]):
        return None
    if not head_sha and tree == _git_out(wt + ["mktree"], input=b""):
        return None
    ident = {"GIT_AUTHOR_NAME": author_name, "GIT_AUTHOR_EMAIL": author_email,
             "GIT_COMMITTER_NAME": author_name, "GIT_COMMITTER_EMAIL": author_email}
    parents = ["-p", head_sha] if head_sha else []
    sha = _git_out(wt + ["commit-tree", tree, *parents, "-F", "-"],
                   input=message.encode(), env=ident)
    # Moves whatever branch HEAD names (or HEAD itself when detached).
    run_git(wt + ["update-ref", "-m", "clawweb commit", "HEAD", sha])
    return sha


def diff_stat(workdir: Path, base: str, head: str = "HEAD") -> tuple[int, int, int]:
    """(files changed, insertions, deletions) between ``base`` and ``head``."""
    workdir = Path(workdir)
    neutralize(workdir)
    if not base or base.startswith("-") or head.startswith("-"):
        raise GitError("git.failed")
    out = _git_out(_wt(workdir) + ["diff", "--numstat", "--no-ext-diff", "--no-textconv",
                                   "--ignore-submodules=all", "--no-renames",
                                   base, head, "--"], cwd=workdir)
    files = ins = dels = 0
    for line in out.splitlines():
        added, deleted, _path = line.split("\t", 2)
        files += 1
        ins += int(added) if added.isdigit() else 0  # "-" for binary files
        dels += int(deleted) if deleted.isdigit() else 0
    return files, ins, dels


def head(workdir: Path) -> str | None:
    """The commit sha HEAD names in a working copy, or None before the first commit.

    Compare it with the base sha: an agent may have committed inside the
    container, leaving nothing for :func:`commit_all` to do.
    """
    workdir = Path(workdir)
    neutralize(workdir)
    res = run_git(_wt(workdir) + ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
                  check=False)
    return res.stdout.decode().strip() if res.returncode == 0 else None


def publish_branch(workdir: Path, repo: Path, branch: str) -> str:
    """Copy the working copy's HEAD into ``repo`` as ``refs/heads/<branch>``.

    The bare repository fetches from the working copy, so git runs with the
    project repository's (trusted) config; pushing from the working copy would
    read its config, where ``remote.*.receivepack`` or ``url.*.insteadOf``
    could name any program or place. Received objects are fsck-checked.

    Returns:
        The published commit sha.

    Raises:
        GitError: ``git.branch_protected`` for the repository's default branch,
            which a task never overwrites.
    """
    check_branch_name(branch)
    if branch == default_branch(repo):
        raise GitError("git.branch_protected", branch=branch)
    workdir = Path(workdir)
    neutralize(workdir)
    sha = _git_out(_wt(workdir) + ["rev-parse", "--verify", "HEAD^{commit}"])
    run_git(_bare(repo) + ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head",
                           "--", str(workdir.absolute()), f"+{sha}:refs/heads/{branch}"],
            timeout=600)
    return sha


def collect_files(workdir: Path, *, limit: int = 10000) -> list[str]:
    """Relative paths of regular files in a working copy, never through a symlink.

    ``.git`` is skipped; symlinks are neither listed nor followed.
    """
    root = Path(workdir)
    found: list[str] = []
    for dirpath, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != ".git"
                         and not os.path.islink(os.path.join(dirpath, d)))
        for name in sorted(files):
            full = os.path.join(dirpath, name)
            if not os.path.islink(full) and os.path.isfile(full):
                found.append(os.path.relpath(full, root))
                if len(found) >= limit:
                    return found
    return found


def read_workdir_file(workdir: Path, relpath: str, *, max_bytes: int = 1 << 20) -> bytes:
    """Read a file of a working copy without following any symlink.

    Raises:
        GitError: ``git.workdir_unsafe`` for a path leaving the working copy or
            passing through a symlink.
    """
    root = Path(workdir).resolve()
    target = root.joinpath(relpath)
    parts = Path(relpath).parts
    if Path(relpath).is_absolute() or ".." in parts or not parts:
        raise GitError("git.workdir_unsafe", path=relpath)
    probe = root
    for part in parts:
        probe = probe / part
        if probe.is_symlink():
            raise GitError("git.workdir_unsafe", path=relpath)
    fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        return f.read(max_bytes)
