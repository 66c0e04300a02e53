"""One compose deployment for a test: its own project name, data dir, passwords and
an internal bridge (nothing it runs can reach beyond this machine)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from tests.support.services import docker_ready, need

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yml"
IMAGES = ("clawweb-app", "clawweb-redis", "clawweb-postgres", "clawweb-runner")
# The test's own network: a bridge with no route out.
INTERNAL = 'version: "2.4"\nnetworks:\n  default:\n    internal: true\n'


def need_compose() -> None:
    need(docker_ready(), "dockerd", "run ./scripts/test, which installs and starts it")
    need(shutil.which("docker-compose") is not None, "docker-compose (v1)",
         "apt-get install docker-compose (./scripts/test does)")
    need(os.geteuid() == 0, "root", "the data dir needs a shared mount (mount --make-rshared)")
    _wait_for_background_build()
    for image in IMAGES:
        ok = subprocess.run(["docker", "image", "inspect", image],
                            capture_output=True).returncode == 0
        need(ok, f"the {image} image", "run deploy/build-images.sh (./scripts/test does)")


def _wait_for_background_build(timeout: float = 540) -> None:
    """./scripts/test builds the images while the other tests run; wait for it."""
    status = os.environ.get("CLAWWEB_DEPLOY_IMAGES_STATUS")
    if not status:
        return
    path = Path(status)
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, "deploy/build-images.sh did not finish"
        time.sleep(2)
    code = path.read_text().strip()
    if code != "0":
        log = path.with_name("deploy-images.log")
        tail = log.read_text()[-3000:] if log.exists() else ""
        raise AssertionError(f"deploy/build-images.sh failed ({code}):\n{tail}")


def image_label(image: str, label: str) -> str:
    return subprocess.run(["docker", "image", "inspect", "-f",
                           f'{{{{ index .Config.Labels "{label}" }}}}', image],
                          capture_output=True, text=True, check=True).stdout.strip()


def _compose_env() -> dict[str, str]:
    """The caller's environment without its clawweb settings: docker-compose lets the
    shell override --env-file, and scripts/lib.sh exports CLAWWEB_DATA_DIR (the
    checkout's own data dir, which a clean clone does not have)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("CLAWWEB_", "POSTGRES_", "REDIS_"))}


class Deployment:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.project = f"clawwebt{uuid.uuid4().hex[:8]}"
        self.data = tmp / "data"
        self.public_url = image_label("clawweb-app", "clawweb.public_url")
        self.env_file = tmp / "compose.env"
        self.override = tmp / "internal.yml"
        self._mounted = False

    def compose(self, *args: str, check: bool = True, timeout: float = 600,
                input: str | None = None) -> subprocess.CompletedProcess:
        cmd = ["docker-compose", "-p", self.project, "-f", str(COMPOSE), "-f",
               str(self.override), "--env-file", str(self.env_file), *args]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input,
                             env=_compose_env())
        if check and res.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed:\n{res.stdout}\n{res.stderr}")
        return res

    def up(self, workers: int = 1) -> "Deployment":
        self.data.mkdir()
        # The worker's rshared bind needs the data dir on a shared mount (the README
        # says so for hosts); the test makes its own, and undoes it.
        subprocess.run(["mount", "--bind", str(self.data), str(self.data)], check=True)
        self._mounted = True
        subprocess.run(["mount", "--make-rshared", str(self.data)], check=True)
        self.env_file.write_text("\n".join([
            f"CLAWWEB_DATA_DIR={self.data}",
            f"POSTGRES_PASSWORD={secrets.token_hex(12)}",
            f"REDIS_PASSWORD={secrets.token_hex(12)}",
            f"CLAWWEB_PUBLIC_URL={self.public_url}",
            # Never contacted by a shell task; loopback of the worker container anyway.
            "CLAWWEB_ANTHROPIC_BASE_URL=http://127.0.0.1:9",
            "CLAWWEB_TASK_DISK_MB=256",
            "CLAWWEB_WORKER_DRAIN_TIMEOUT=120s",
            "CLAWWEB_BIND=127.0.0.1",
            f"CLAWWEB_WEB_PORT={_free_port()}", ""]))
        self.override.write_text(INTERNAL)
        self.compose("up", "-d", "--scale", f"worker={workers}", timeout=900)
        return self

    def container(self, service: str) -> str:
        ids = self.compose("ps", "-a", "-q", service).stdout.split()
        assert len(ids) == 1, f"{service}: {ids}"
        return ids[0]

    def inspect(self, container: str) -> dict:
        out = subprocess.run(["docker", "inspect", container], capture_output=True, text=True,
                             check=True).stdout
        return json.loads(out)[0]

    def web_url(self) -> str:
        nets = self.inspect(self.container("web"))["NetworkSettings"]["Networks"]
        return f"http://{nets[f'{self.project}_default']['IPAddress']}:3000"

    def wait_healthy(self, timeout: float = 300) -> str:
        url = self.web_url()
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                with _open(f"{url}/api/health", timeout=3) as resp:
                    body = json.loads(resp.read())
                    if body.get("ok"):
                        return url
                    last = str(body)
            except (OSError, ValueError) as exc:
                last = str(exc)
            time.sleep(1)
        logs = self.compose("logs", "--tail", "60", check=False).stdout
        raise AssertionError(f"web not healthy ({last}):\n{logs[-6000:]}")

    def manage(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return self.compose("exec", "-T", "web", "python", "-m", "clawweb.manage", *args,
                            check=False, timeout=timeout)

    def worker_names(self) -> list[str]:
        """Hostnames of the worker containers (the prefix of each worker's name)."""
        ids = self.compose("ps", "-a", "-q", "worker").stdout.split()
        return [self.inspect(i)["Config"]["Hostname"] for i in ids]

    def down(self) -> None:
        try:
            self.compose("down", "-v", "--remove-orphans", "-t", "60", check=False,
                         timeout=600)
        finally:
            if self._mounted:
                subprocess.run(["umount", "-l", str(self.data)], check=False)


def task_containers(prefixes: list[str]) -> list[str]:
    """Task containers (running or not) started by workers whose names start so."""
    out = subprocess.run(["docker", "ps", "-a", "--filter", "label=clawweb.task", "--format",
                          '{{.Names}} {{.Label "clawweb.worker"}}'], capture_output=True,
                         text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines() if line.strip()]
    return [r[0] for r in rows if len(r) == 2 and any(r[1].startswith(p) for p in prefixes)]


def post_json(url: str, body: dict, origin: str, cookie: str = "") -> tuple[int, dict, str]:
    """POST JSON as the sign-in page does; returns status, body, Set-Cookie."""
    headers = {"Content-Type": "application/json", "Origin": origin}
    if cookie:
        headers["Cookie"] = cookie
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers,
                                 method="POST")
    try:
        with _open(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read()), resp.headers.get("Set-Cookie", "")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}"), ""


def _open(req, timeout: float):
    # No proxy from the environment: straight to the test's own bridge.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return opener.open(req, timeout=timeout)


def _free_port() -> int:
    from tests.support.services import free_port

    return free_port()


def event_socket_shows(url: str, origin: str, session_cookie: str, want: str,
                       within: float = 30) -> dict:
    """Open the UI's event WebSocket as a signed-in browser would, hydrate a page,
    and return the first state update whose delta mentions ``want`` (the signed-in
    user's name: the socket, the Origin rule and the session cookie all worked)
    within ``within`` seconds; AssertionError when none does.
    """
    from websockets.sync.client import connect

    from tests.e2e.harness import NAMESPACE, _names

    ws_url = url.replace("http://", "ws://") + (
        f"/_event/?EIO=4&transport=websocket&token={uuid.uuid4()}")
    names = _names()
    headers = {"Cookie": session_cookie} if session_cookie else {}
    with connect(ws_url, origin=origin, proxy=None, open_timeout=20, ping_interval=None,
                 additional_headers=headers) as ws:
        assert str(ws.recv(timeout=20)).startswith("0{")
        hydrate = {"name": names["hydrate"], "payload": {},
                   "router_data": {"pathname": "/projects/", "asPath": "/projects/"}}
        ws.send(f"40{NAMESPACE}," + json.dumps({"event": hydrate}))
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            try:
                frame = str(ws.recv(timeout=left))
            except TimeoutError:
                break
            if frame.startswith(f"42{NAMESPACE},"):
                name, *args = json.loads(frame[len(NAMESPACE) + 3:])
                if name == "event" and args and want in json.dumps(args[0].get("delta")):
                    return args[0]
    raise AssertionError(f"no state update mentioning {want!r} after hydrate")
