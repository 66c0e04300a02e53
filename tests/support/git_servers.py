"""Real git remotes on loopback, started by the tests.

* :class:`GitHttpServer`: git's smart HTTP protocol — ``git http-backend`` run
  as a CGI program behind a small WSGI server (wsgiref) that demands HTTP Basic
  auth with one token, like a forge does.
* :class:`SshGitServer`: Debian's OpenSSH ``sshd`` on a free loopback port with
  its own host key and an ``AuthorizedKeysFile`` holding the deploy key. As
  root it runs as an unprivileged account made for it (sshd may only log in as
  the user it runs as), with its files under that account's home so
  ``StrictModes`` (which refuses a world-writable ancestor such as /tmp) holds.
"""

from __future__ import annotations

import base64
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from tests.support.services import free_port, need, wait_for_port

def _trust_all_config() -> str:
    # As root the servers' repositories belong to the sshd account; git's own
    # local transport drops "-c safe.directory", but not a global config file.
    fd, path = tempfile.mkstemp(prefix="git-servers-", suffix=".gitconfig")
    os.write(fd, b"[safe]\n\tdirectory = *\n")
    os.close(fd)
    return path


GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": _trust_all_config(), "LC_ALL": "C",
           "GIT_AUTHOR_NAME": "upstream", "GIT_AUTHOR_EMAIL": "up@example.invalid",
           "GIT_COMMITTER_NAME": "upstream", "GIT_COMMITTER_EMAIL": "up@example.invalid"}


def git(*args: str, cwd: Path | None = None, user: str | None = None) -> str:
    """Plain git for setting up and inspecting the servers' repositories."""
    cmd = ["git", "-c", "safe.directory=*", "-c", "init.defaultBranch=main", *args]
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def make_bare_repo(path: Path, files: dict[str, str], branch: str = "main",
                   user: str | None = None) -> Path:
    """A bare repository at ``path`` whose ``branch`` has one commit with ``files``."""
    work = Path(tempfile.mkdtemp(prefix="upstream-work-"))
    try:
        git("init", "-q", "-b", branch, str(work))
        for name, text in files.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_text(text)
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", "upstream: first commit", cwd=work)
        path.parent.mkdir(parents=True, exist_ok=True)
        git("clone", "-q", "--bare", str(work), str(path))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if user:
        subprocess.run(["chown", "-R", f"{user}:", str(path)], check=True)
    return path


def commit_on(repo: Path, branch: str, name: str, text: str, user: str | None = None) -> str:
    """Add one commit to ``branch`` of the bare ``repo`` (as another pusher would)."""
    work = Path(tempfile.mkdtemp(prefix="upstream-work-"))
    try:
        git("clone", "-q", "-b", branch, str(repo), str(work))
        (work / name).write_text(text)
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", f"upstream: {name}", cwd=work)
        git("push", "-q", "origin", branch, cwd=work)
        sha = git("rev-parse", "HEAD", cwd=work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if user:
        subprocess.run(["chown", "-R", f"{user}:", str(repo)], check=True)
    return sha


# --- smart HTTP ---------------------------------------------------------------------

class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def _read_body(environ) -> bytes:
    stream = environ["wsgi.input"]
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        body = bytearray()
        while True:  # git sends large pushes chunked; wsgiref does not decode that
            size = int(stream.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                stream.readline()
                return bytes(body)
            body += stream.read(size)
            stream.readline()
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return stream.read(length) if length else b""


class GitHttpServer:
    """``git http-backend`` on http://127.0.0.1:<port>/ serving bare repos under ``root``."""

    def __init__(self, root: Path, token: str):
        need(shutil.which("git") is not None, "git", "apt-get install git")
        self.root = root
        self.token = token
        self.port = free_port()
        self.requests: list[dict] = []  # method, path, query, authorized
        self._server = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url_for(self, name: str) -> str:
        return f"{self.base}/{name}.git"

    def repo(self, name: str) -> Path:
        return self.root / f"{name}.git"

    def _authorized(self, environ) -> str:
        kind, _, value = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if kind.lower() != "basic":
            return ""
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return ""
        return user if user and password == self.token else ""

    def _app(self, environ, start_response):
        user = self._authorized(environ)
        self.requests.append({"method": environ["REQUEST_METHOD"],
                              "path": environ.get("PATH_INFO", ""),
                              "query": environ.get("QUERY_STRING", ""),
                              "authorized": bool(user)})
        if not user:
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="git"'),
                                                ("Content-Type", "text/plain")])
            return [b"authentication required\n"]
        env = {**GIT_ENV, "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "HOME": str(self.root), "GIT_PROJECT_ROOT": str(self.root),
               "GIT_HTTP_EXPORT_ALL": "1", "REMOTE_USER": user, "REMOTE_ADDR": "127.0.0.1",
               "REQUEST_METHOD": environ["REQUEST_METHOD"],
               "PATH_INFO": environ.get("PATH_INFO", ""),
               "QUERY_STRING": environ.get("QUERY_STRING", ""),
               "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""),
               "GIT_PROTOCOL": environ.get("HTTP_GIT_PROTOCOL", "")}
        if environ.get("HTTP_CONTENT_ENCODING"):
            env["HTTP_CONTENT_ENCODING"] = environ["HTTP_CONTENT_ENCODING"]
        body = _read_body(environ)
        env["CONTENT_LENGTH"] = str(len(body))
        out = subprocess.run(["git", "-c", "safe.directory=*", "http-backend"], input=body,
                             env=env, capture_output=True, timeout=120).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        if not payload and b"\n\n" in head:
            head, _, payload = out.partition(b"\n\n")
        status, headers = "200 OK", []
        for line in head.decode(errors="replace").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = value.strip()
            elif name:
                headers.append((name.strip(), value.strip()))
        start_response(status, headers)
        return [payload]

    def start(self) -> "GitHttpServer":
        self.root.mkdir(parents=True, exist_ok=True)
        self._server = make_server("127.0.0.1", self.port, self._app,
                                   server_class=_ThreadingServer, handler_class=_Quiet)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


# --- OpenSSH --------------------------------------------------------------------------

SSHD = "/usr/sbin/sshd"
SSH_USER = "clawweb-sshtest"


def _ensure_account() -> tuple[str, Path]:
    """The unprivileged account sshd runs as, and its home (created as needed)."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, Path(me.pw_dir)
    home = Path("/var/lib") / SSH_USER
    try:
        pwd.getpwnam(SSH_USER)
    except KeyError:
        res = subprocess.run(["useradd", "--system", "--shell", "/bin/sh", "--home-dir",
                              str(home), "--no-create-home", SSH_USER], capture_output=True)
        if res.returncode not in (0, 9):  # 9: made meanwhile by another test run
            raise RuntimeError(f"useradd failed: {res.stderr.decode()}")
    home.mkdir(parents=True, exist_ok=True)
    shutil.chown(home, SSH_USER, SSH_USER)
    home.chmod(0o755)
    return SSH_USER, home


class SshGitServer:
    """sshd on 127.0.0.1:<port> whose only login takes ``authorized_keys``."""

    def __init__(self):
        need(Path(SSHD).exists(), "OpenSSH server",
             "run ./scripts/test (it installs openssh-server) or apt-get install openssh-server")
        self.user, home = _ensure_account()
        cache = home / ".cache" if os.geteuid() != 0 else home
        cache.mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix="sshd-", dir=cache))
        self.repos = self.dir / "repos"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.host_key = self.dir / "host_key"

    def _as_user(self) -> list[str]:
        return ["runuser", "-u", self.user, "--"] if os.geteuid() == 0 else []

    def _own(self, path: Path) -> None:
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", f"{self.user}:", str(path)], check=True)

    def url_for(self, name: str) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}{self.repos}/{name}.git"

    def repo(self, name: str) -> Path:
        return self.repos / f"{name}.git"

    def make_repo(self, name: str, files: dict[str, str], branch: str = "main") -> Path:
        return make_bare_repo(self.repo(name), files, branch,
                              user=self.user if os.geteuid() == 0 else None)

    def new_host_key(self, kind: str = "ed25519") -> str:
        """Replace the host key (takes effect on the next start); its public line."""
        for path in (self.host_key, self.host_key.with_suffix(".pub")):
            path.unlink(missing_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "", "-f",
                        str(self.host_key)], check=True)
        self.host_key.chmod(0o600)
        self._own(self.dir)
        return self.host_key.with_suffix(".pub").read_text().strip()

    def host_fingerprint(self) -> str:
        out = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f",
                              str(self.host_key.with_suffix(".pub"))], check=True,
                             capture_output=True, text=True).stdout
        return out.split()[1]

    def _config(self, authorized_keys: list[str]) -> Path:
        keys_file = self.dir / "authorized_keys"
        keys_file.write_text("".join(k.strip() + "\n" for k in authorized_keys))
        keys_file.chmod(0o600)
        config = self.dir / "sshd_config"
        config.write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {self.host_key}",
            f"PidFile {self.dir}/sshd.pid", f"AuthorizedKeysFile {keys_file}",
            f"AllowUsers {self.user}", "PubkeyAuthentication yes",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no",
            "StrictModes yes", "PermitRootLogin no", "PermitTTY no", "X11Forwarding no",
            "AllowTcpForwarding no", "AllowAgentForwarding no", "PermitUserEnvironment no",
            "AcceptEnv GIT_PROTOCOL", "LogLevel VERBOSE", ""]))
        config.chmod(0o600)
        self.dir.chmod(0o700)
        self._own(self.dir)
        return config

    def start(self, authorized_keys: list[str]) -> "SshGitServer":
        if not self.host_key.exists():
            self.new_host_key()
        config = self._config(authorized_keys)
        self.log = self.dir / "sshd.log"
        self.proc = subprocess.Popen(
            [*self._as_user(), SSHD, "-D", "-e", "-f", str(config)],
            stdout=subprocess.DEVNULL, stderr=open(self.log, "wb"), start_new_session=True)
        try:
            wait_for_port(self.port, timeout=15)
        except TimeoutError:
            raise RuntimeError(f"sshd did not start: {self.log.read_text()[-2000:]}") from None
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def restart(self, authorized_keys: list[str]) -> None:
        self.stop()
        self.start(authorized_keys)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def allow_loopback_remotes(monkeypatch, hosts: str = "127.0.0.1") -> None:
    """Let remotes and forge APIs reach the test servers on loopback (an operator
    setting: ``CLAWWEB_REMOTE_PRIVATE_HOSTS``)."""
    from clawweb import settings as settings_mod

    monkeypatch.setenv("CLAWWEB_REMOTE_PRIVATE_HOSTS", hosts)
    settings_mod.get_settings.cache_clear()
