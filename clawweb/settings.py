"""One settings object for the web app, the worker and the scripts.

Read from the environment (prefix ``CLAWWEB_``) and an optional ``.env``. Plain
Python: the worker and the tests import it without Reflex.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CLAWWEB_", env_file=".env", extra="ignore"
    )

    data_dir: Path = Field(default=Path("data"))
    database_url: str = ""  # empty: SQLite file under data_dir
    redis_url: str = "redis://127.0.0.1:6379/0"
    host: str = "127.0.0.1"
    port: int = 3000
    public_url: str = ""  # e.g. https://claw.example.com; empty: http://host:port
    secret_key: str = ""  # empty: read/create data_dir/secret.key (mode 0600)

    session_days: int = 30
    # Brute-force throttling: failures within the window before a lockout.
    login_max_failures_per_account: int = 5
    login_max_failures_per_ip: int = 20
    login_lockout_seconds: int = 900
    # Tests only: cheap argon2 parameters so a suite can create many users.
    # `clawweb doctor` should flag it; production keeps passlib's strong defaults.
    password_hash_fast: bool = False

    # Directories (os.pathsep-separated) members may clone local repositories
    # from; admins may clone any local path. Empty: admins only.
    local_clone_roots: str = ""
    # Hosts (``host`` or ``host:port``, comma-separated) that project remotes
    # and forge APIs may reach although they are loopback or private, e.g. a
    # self-hosted GitLab on the LAN. Plain http:// is allowed only for these.
    # Empty: remotes must be public hosts over https:// or ssh.
    remote_private_hosts: str = ""

    # -- Many web processes (ops-o1) ------------------------------------------------------
    # Web backend processes on this host (scripts/up passes it to Reflex's server as
    # GRANIAN_WORKERS). More than one, or backends on several hosts, must share the tabs'
    # states: Reflex's Redis state manager, on ``state_redis_url`` or else ``redis_url``.
    web_processes: int = 1
    # Redis for Reflex's tab states ("" = CLAWWEB_REDIS_URL when they must be shared).
    # Setting it makes the states shared even with one process here (backends on other hosts).
    state_redis_url: str = ""

    runner_image: str = "clawweb-runner"
    # Worker processes ./scripts/up starts, and the tasks each runs at once (RQ work
    # loops in threads, worker/loops.py): a task waiting on an approval or a silent
    # command holds one loop, not a process. Slots on this host = the product.
    worker_slots: int = 2
    tasks_per_worker: int = Field(default=16, ge=1, le=64)
    # Pre-started task containers per worker process (worker/sandbox/pool.py),
    # each used by one task and destroyed. 0: every task starts its container cold.
    warm_pool: int = Field(default=0, ge=0, le=16)
    output_cap_bytes: int = 50 * 1024 * 1024
    # How long a dead worker's task may stay "running" before another worker
    # notices; RQ's own default is minutes, we want seconds.
    worker_heartbeat_seconds: int = 5
    worker_dead_after_seconds: int = 30
    # The web processes end tasks whose every worker died, as the workers do.
    web_reaper: bool = True

    # Claude Code tasks. The model endpoint the egress proxy forwards to; the
    # container only ever sees the bridge on its own loopback.
    anthropic_base_url: str = "https://api.anthropic.com"
    claude_bridge_port: int = 8377
    # Retries and per-request timeout of the CLI's own API client.
    claude_api_max_retries: int = 3
    claude_api_timeout_ms: int = 600000
    # Earlier values of secret_key, comma-separated: rows encrypted under
    # them stay readable after a rotation (re-encrypted on next write).
    secret_key_previous: str = ""

    # A task's own disk (working copy + Claude config dir): a loop-mounted ext4
    # image of this many MB, enforced outside the container. 0 = unbounded
    # (weak: a task can fill the data disk); needed when the worker is not root.
    task_disk_mb: int = 4096
    # Where tasks run: "docker" (the hardened container) or "fake" (runs nothing;
    # tests and benchmarks that only exercise the engine around it).
    sandbox_backend: Literal["docker", "fake"] = "docker"
    # The Claude session transcript kept for follow-ups; a bigger one is not kept.
    claude_session_max_mb: int = 64

    # -- Behind a reverse proxy, and the browser (hard-c2) ------------------------------
    # How many reverse proxies in front of clawweb append to X-Forwarded-For (nginx
    # in front: 1). Passed to Reflex's trusted_proxy_hops; 0 ignores the header. Only
    # set it when clawweb cannot be reached except through those proxies.
    trusted_proxy_hops: int = 0
    # An address that may be shared by many people (a proxy's, when hops are 0 but
    # the request carries X-Forwarded-For) is never locked out: past this many
    # failures its attempts are spaced instead, the spacing doubling per failure
    # from 1 s up to the cap; beyond the queue wait it is told to retry shortly.
    login_backoff_after_failures: int = 5
    login_backoff_max_seconds: float = 10.0
    login_backoff_queue_seconds: float = 30.0
    # All addresses together: past this many failures in the lockout window every
    # attempt waits a little (at most the cap), and nobody is refused for it.
    login_global_soft_failures: int = 100
    login_global_max_delay_seconds: float = 2.0

    # Attachments to a task's prompt (attach-u): files per task, MB per file and in all.
    # Enforced by the server while the upload streams in, never only in the browser.
    attachment_max_count: int = 10
    attachment_max_file_mb: int = 10
    attachment_max_total_mb: int = 25

    # REST API (clawweb/rest): requests per token per minute, counted in Redis;
    # beyond it the API answers 429 with Retry-After.
    api_rate_limit_per_minute: int = 240

    # Egress proxy limits (worker/egress/limits.py), enforced in the worker, per
    # request: bodies are streamed and cut off at their cap; model replies are
    # uncapped in size but not in time. A CONNECT tunnel counts as one request.
    egress_max_request_bytes: int = 32 * 1024 * 1024
    egress_max_response_bytes: int = 512 * 1024 * 1024
    egress_connect_timeout_seconds: float = 10.0
    egress_idle_timeout_seconds: float = 60.0
    egress_total_timeout_seconds: float = 1800.0
    egress_model_total_timeout_seconds: float = 3600.0
    # Model calls in flight at once: bounds how far parallel calls can overshoot
    # the budget before the first of them reports its usage.
    egress_model_concurrency: int = 8
    # Refusal events per second per task; the rest become one "and N more".
    egress_refusals_per_second: int = 5

    # -- Inbound webhooks and schedules (issue 12) ---------------------------------------
    # Largest webhook body read; a bigger delivery is refused (413) without reading it all.
    webhook_max_body_bytes: int = 1024 * 1024
    # Generic webhooks: how far the signed timestamp may be from now.
    webhook_tolerance_seconds: int = 300
    # Forge deliveries: an event older than this (by the time its signed payload
    # gives) is refused as stale; within it, a replay is caught by its delivery id.
    webhook_event_max_age_seconds: int = 3600
    # Refused deliveries kept in each webhook's log (verified ones are kept 7 days).
    webhook_log_keep: int = 200
    # How often each worker's schedule loop looks for due schedules and runs to settle.
    schedule_loop_seconds: float = 5.0
    # A due time found later than this counts as missed (downtime) and follows
    # the schedule's missed-run policy.
    schedule_grace_seconds: int = 120
    # The shortest interval (and cron step) a schedule may have.
    schedule_min_interval_seconds: int = 60
    # Also run a schedule loop beside the web app (every worker runs one anyway).
    schedule_loop_in_web: bool = False
    # -- Notifications (notify-g) -----------------------------------------------------
    # The VAPID "sub" claim push services may use to reach the operator (mailto: or
    # https:). Empty: the https public URL, else mailto:clawweb@localhost.
    vapid_subject: str = ""
    # Events other than approvals wait this long, so a burst to one channel is sent
    # as one grouped message.
    notify_group_seconds: int = 10
    # Back-off before the second and third attempt of a failed delivery.
    notify_retry_seconds: str = "5,30"
    # Consecutive failed attempts after which a channel is paused (circuit breaker).
    notify_breaker_failures: int = 5
    # How long before an approval expires its "about to expire" notice goes out.
    notify_expiring_seconds: int = 300
    notify_retention_days: int = 30
    notify_private_hosts: str = ""

    # -- Monitoring (ops-o2) --------------------------------------------------------------
    # Bearer token for /metrics. Empty: /metrics answers loopback clients only (never a
    # request relayed by a proxy).
    metrics_token: str = ""
    # Log lines: "json" (one object a line, for collectors) or "console" (for people).
    log_format: str = "json"
    log_level: str = "INFO"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir.resolve() / 'clawweb.db'}"

    @property
    def shared_state_redis_url(self) -> str:
        """Where Reflex keeps tab states so several backends share them; "" = memory.

        REFLEX_REDIS_URL (Reflex's own variable) counts too: with it Reflex starts
        several server processes, which only work with the states in Redis.
        """
        if self.state_redis_url:
            return self.state_redis_url
        if os.environ.get("REFLEX_REDIS_URL"):
            return os.environ["REFLEX_REDIS_URL"]
        return self.redis_url if self.web_processes > 1 else ""

    @property
    def origin(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    @property
    def repos_dir(self) -> Path:
        return self.data_dir.resolve() / "repos"

    @property
    def output_dir(self) -> Path:
        return self.data_dir.resolve() / "output"

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir.resolve() / "attachments"

    @property
    def workspaces_dir(self) -> Path:
        return self.data_dir.resolve() / "workspaces"

    def binds_publicly(self) -> bool:
        try:
            return not ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return self.host != "localhost"

    def exposure_warning(self) -> str | None:
        """A warning when the app listens beyond loopback without an HTTPS origin."""
        if self.binds_publicly() and not self.public_url.startswith("https://"):
            return (
                f"WARNING: clawweb listens on {self.host}, which other machines can reach, "
                "but CLAWWEB_PUBLIC_URL is not an https:// origin. Passwords and session "
                "tokens would cross the network in clear text. Put clawweb behind a TLS "
                "proxy and set CLAWWEB_PUBLIC_URL=https://your.host, or bind to 127.0.0.1."
            )
        return None

    def secret_bytes(self) -> bytes:
        """The key for secrets at rest and signed values; created on first use."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir.resolve() / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()

    def previous_secret_bytes(self) -> list[bytes]:
        """Earlier keys that still open old rows: ``secret_key_previous``, then the
        lines of ``data_dir/secret-previous.key`` (written by ``manage restore``)."""
        keys = [p.strip().encode() for p in self.secret_key_previous.split(",") if p.strip()]
        path = self.data_dir.resolve() / "secret-previous.key"
        if path.is_file():
            keys += [line.strip().encode() for line in path.read_text().splitlines()
                     if line.strip()]
        return keys


@functools.lru_cache
def get_settings() -> Settings:
    return Settings()
