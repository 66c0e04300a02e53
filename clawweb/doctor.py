"""``python -m clawweb.manage doctor``: check the whole configuration, say what to do.

Each check returns findings; an ``error`` makes the command exit 1, so it can
gate a deployment, a ``warning`` is printed only. Nothing here leaves this host
except, with ``--check-model``, one request to the configured model endpoint.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import os
import re
import shutil
import time
from pathlib import Path

import redis as redis_lib
from redis.backoff import NoBackoff
from redis.retry import Retry

from clawweb import streams
from clawweb.settings import Settings

ERROR, WARNING = "error", "warning"
RUNNER_DIR = Path(__file__).resolve().parents[1] / "worker" / "runner"
DOCKER_SOCKET = "/var/run/docker.sock"
WEAK_SECRETS = {"changeme", "change-me", "secret", "password", "clawweb", "test", "dev",
                "default", "admin", "example"}
MIN_SECRET_LEN = 32
DISK_ERROR_BYTES = 1 << 30
DISK_WARN_BYTES = 5 << 30
SKEW_WARN_SECONDS = 5.0
SKEW_ERROR_SECONDS = 60.0


@dataclasses.dataclass
class Finding:
    level: str
    check: str
    message: str  # what is wrong, then what to do

    def line(self) -> str:
        return f"{self.level.upper()} [{self.check}] {self.message}"


def check_secrets(s: Settings) -> list[Finding]:
    out = []
    if s.secret_key and (s.secret_key.lower() in WEAK_SECRETS or len(s.secret_key) < MIN_SECRET_LEN):
        out.append(Finding(ERROR, "secrets", "CLAWWEB_SECRET_KEY is short or a well-known value. "
                           "Unset it (a random key is kept in the data directory) or set "
                           f"{MIN_SECRET_LEN}+ random characters: openssl rand -base64 48."))
    key_file = s.data_dir.resolve() / "secret.key"
    if not s.secret_key and key_file.exists() and key_file.stat().st_mode & 0o077:
        out.append(Finding(ERROR, "secrets", f"{key_file} is readable by other users; "
                           "chmod 600 it."))
    if s.metrics_token and len(s.metrics_token) < 16:
        out.append(Finding(WARNING, "secrets", "CLAWWEB_METRICS_TOKEN is shorter than 16 "
                           "characters; use a long random one."))
    if s.password_hash_fast:
        out.append(Finding(ERROR, "secrets", "CLAWWEB_PASSWORD_HASH_FAST is on: password "
                           "hashes are cheap to crack. It is for tests only; unset it."))
    if "@" not in s.redis_url.split("//", 1)[-1]:
        out.append(Finding(WARNING, "secrets", "CLAWWEB_REDIS_URL has no password; anyone who "
                           "can reach Redis can queue work. Set requirepass and put it in "
                           "the URL (redis://:PASSWORD@host:6379/0)."))
    return out


def check_exposure(s: Settings) -> list[Finding]:
    warning = s.exposure_warning()
    return [Finding(ERROR, "exposure", warning.removeprefix("WARNING: "))] if warning else []


def check_redis(s: Settings) -> list[Finding]:
    try:
        r = redis_lib.Redis.from_url(s.redis_url, socket_connect_timeout=2, socket_timeout=3,
                                     retry=Retry(NoBackoff(), 0), decode_responses=True)
        aof = r.config_get("appendonly").get("appendonly")
        policy = r.config_get("maxmemory-policy").get("maxmemory-policy")
    except redis_lib.ResponseError:
        return [Finding(WARNING, "redis", "Redis refuses CONFIG GET, so its persistence could "
                        "not be checked; make sure it runs with appendonly yes and "
                        "maxmemory-policy noeviction.")]
    except redis_lib.RedisError as exc:
        return [Finding(ERROR, "redis", f"Redis does not answer ({type(exc).__name__}); start it "
                        "or fix CLAWWEB_REDIS_URL.")]
    out = []
    if aof != "yes":
        out.append(Finding(ERROR, "redis", f"Redis runs with appendonly={aof}: queued tasks are "
                           "lost when it restarts. Run it with --appendonly yes."))
    if policy != "noeviction":
        out.append(Finding(ERROR, "redis", f"Redis runs with maxmemory-policy={policy}: queued "
                           "tasks can be evicted. Run it with --maxmemory-policy noeviction."))
    return out


def check_data_dir(s: Settings) -> list[Finding]:
    d = s.data_dir.resolve()
    if not d.exists():
        return [Finding(WARNING, "data_dir", f"{d} does not exist yet; `manage migrate` "
                        "creates it (mode 700).")]
    mode = d.stat().st_mode
    if not os.access(d, os.W_OK | os.X_OK):
        return [Finding(ERROR, "data_dir", f"{d} is not writable by this user; chown it to "
                        "the user clawweb runs as.")]
    if mode & 0o002:
        return [Finding(ERROR, "data_dir", f"{d} is writable by every user; chmod 700 it.")]
    if mode & 0o077:
        return [Finding(WARNING, "data_dir", f"{d} is readable by other users (it holds the "
                        "database, repositories and task output); chmod 700 it.")]
    return []


def check_disk(s: Settings, error_below: int = DISK_ERROR_BYTES,
               warn_below: int = DISK_WARN_BYTES) -> list[Finding]:
    d = s.data_dir.resolve()
    while not d.exists():
        d = d.parent
    free = shutil.disk_usage(d).free
    gib = free / (1 << 30)
    if free < error_below:
        return [Finding(ERROR, "disk", f"only {gib:.1f} GiB free under {d}; tasks and output "
                        "will fail. Free space or move CLAWWEB_DATA_DIR.")]
    if free < warn_below:
        return [Finding(WARNING, "disk", f"{gib:.1f} GiB free under {d}; each task may use "
                        f"up to CLAWWEB_TASK_DISK_MB ({s.task_disk_mb} MB).")]
    return []


def runner_inputs_hash(runner_dir: Path = RUNNER_DIR) -> str | None:
    """The hash ``build-image.sh`` labels the image with (``clawweb.inputs``), or None."""
    try:
        script = (runner_dir / "build-image.sh").read_text()
        packages = re.search(r"^packages=(\S+)$", script, re.M).group(1)
        data = b"".join((runner_dir / f).read_bytes()
                        for f in ("Dockerfile", "bridge.py", "build-image.sh"))
    except (OSError, AttributeError):
        return None
    data += packages.encode() + b"\n" + _claude_version()
    return hashlib.sha256(data).hexdigest()[:16]


def _claude_version() -> bytes:
    binary = os.environ.get("CLAWWEB_CLAUDE_BIN")
    if not binary:
        spec = importlib.util.find_spec("claude_agent_sdk")
        if spec is None or not spec.origin:
            return b""
        binary = str(Path(spec.origin).parent / "_bundled" / "claude")
    try:
        return (Path(binary).parent / "claude.version").read_bytes()
    except OSError:
        return b""


def check_docker(s: Settings, socket_path: str = DOCKER_SOCKET,
                 runner_dir: Path = RUNNER_DIR) -> list[Finding]:
    import docker

    if not os.path.exists(socket_path):
        return [Finding(WARNING, "docker", f"no dockerd socket at {socket_path}: fine for a "
                        "web-only host; every worker host needs a running dockerd.")]
    try:
        client = docker.DockerClient(base_url=f"unix://{socket_path}", timeout=5)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure: unreachable
        return [Finding(ERROR, "docker", f"dockerd does not answer on {socket_path} "
                        f"({type(exc).__name__}); start it (systemctl start docker).")]
    try:
        image = client.images.get(s.runner_image)
    except docker.errors.ImageNotFound:
        return [Finding(ERROR, "sandbox_image", f"the sandbox image {s.runner_image} is "
                        "missing; build it: worker/runner/build-image.sh.")]
    finally:
        client.close()
    want = runner_inputs_hash(runner_dir)
    have = (image.labels or {}).get("clawweb.inputs")
    if want and have != want:
        return [Finding(WARNING, "sandbox_image", f"the sandbox image {s.runner_image} was built "
                        "from other inputs than worker/runner holds now (stale); rebuild it: "
                        "worker/runner/build-image.sh.")]
    return []


def check_clock(s: Settings, now: float | None = None) -> list[Finding]:
    """Workers' heartbeat times against this host's clock (live workers only)."""
    from clawweb.services.ops.workers import alive_names

    now = time.time() if now is None else now
    try:
        r = redis_lib.Redis.from_url(s.redis_url, socket_connect_timeout=2, socket_timeout=3,
                                     retry=Retry(NoBackoff(), 0), decode_responses=True)
        alive = alive_names(r)
        beats = {n: r.zscore(streams.workers_known_key(), n) for n in alive}
    except redis_lib.RedisError:
        return []  # check_redis has said so
    out = []
    for name, at in sorted(beats.items()):
        if at is None:
            continue
        # A beat is up to one interval old; beyond that the clocks disagree.
        skew = at - now if at > now else max(0.0, now - at - s.worker_heartbeat_seconds)
        if skew > SKEW_WARN_SECONDS:
            level = ERROR if skew > SKEW_ERROR_SECONDS else WARNING
            out.append(Finding(level, "clock", f"worker {name}'s clock is {skew:.0f} s off this "
                               "host's; run NTP (chrony or systemd-timesyncd) on every host."))
    return out


def check_model(s: Settings, timeout: float = 10.0) -> list[Finding]:
    """One request to the configured model endpoint; any HTTP answer means reachable."""
    import httpx

    try:
        httpx.get(s.anthropic_base_url, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as exc:
        return [Finding(ERROR, "model", f"the model endpoint CLAWWEB_ANTHROPIC_BASE_URL does "
                        f"not answer from this host ({type(exc).__name__}); check the "
                        "worker hosts' outbound access or the URL.")]
    return []


def run(s: Settings, *, check_model_endpoint: bool = False) -> list[Finding]:
    """Every check's findings, errors first."""
    found = [*check_secrets(s), *check_exposure(s), *check_redis(s), *check_data_dir(s),
             *check_disk(s), *check_docker(s), *check_clock(s)]
    if check_model_endpoint:
        found += check_model(s)
    return sorted(found, key=lambda f: f.level != ERROR)
