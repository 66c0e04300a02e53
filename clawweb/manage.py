"""Operator commands used by scripts/up: ``python -m clawweb.manage <command>``.

- ``migrate``: create or upgrade the database (Alembic).
- ``check``: print warnings about weak settings (exposure without HTTPS,
  test-only hashing, a readable key file, Redis without a password or without
  AOF and noeviction, a reverse proxy in front while CLAWWEB_TRUSTED_PROXY_HOPS
  is 0); never fails (``scripts/up`` runs it).
- ``doctor [--check-model]``: every check of ``clawweb.doctor``, each finding
  with what to do; exits 1 when any is an error.
- ``setup-code``: on a fresh install, print the one-time code the setup page asks for.
- ``wait-ready``: wait until a worker beats and the web app answers.
- ``makemigration MESSAGE``: developers: autogenerate a revision from the models (clawweb/models/).
- ``backup DEST`` / ``restore SRC``: a consistent snapshot of a running
  installation, and putting it back on a fresh one (``clawweb/backup/``).
- ``submit --user U --project P -- CMD`` / ``task ID``: run a task as a user,
  for smoke checks after an install or upgrade (``clawweb/ops/tasks_cli.py``).
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.request
from pathlib import Path

import redis as redis_lib
from alembic import command
from alembic.config import Config
from redis.backoff import NoBackoff
from redis.retry import Retry

from clawweb import routes
from clawweb.backup import cli as backup_cli
from clawweb.ops import tasks_cli
from clawweb.settings import get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate() -> None:
    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(), "head")


def doctor_warnings() -> list[str]:
    """Weak settings an operator should know about (``clawweb doctor``)."""
    settings = get_settings()
    warnings = []
    exposure = settings.exposure_warning()
    if exposure:
        warnings.append(exposure)
    if settings.password_hash_fast:
        warnings.append("WARNING: CLAWWEB_PASSWORD_HASH_FAST is on: password hashes are "
                        "cheap to crack. It exists for tests only.")
    key_file = settings.data_dir.resolve() / "secret.key"
    if not settings.secret_key and key_file.exists() and key_file.stat().st_mode & 0o077:
        warnings.append(f"WARNING: {key_file} is readable by other users; chmod 600 it.")
    if "@" not in settings.redis_url.split("//", 1)[-1]:
        warnings.append("WARNING: CLAWWEB_REDIS_URL has no password; anyone who can reach "
                        "Redis can queue work for the workers.")
    proxy = proxy_warning()
    if proxy:
        warnings.append(proxy)
    return warnings + redis_warnings(settings.redis_url)


def redis_warnings(url: str) -> list[str]:
    """Redis must keep what it holds: AOF on, no eviction. Silent when Redis
    cannot be asked (down, or CONFIG disabled): that is not a setting."""
    try:
        r = redis_lib.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2,
                                     retry=Retry(NoBackoff(), 0), decode_responses=True)
        aof = r.config_get("appendonly").get("appendonly")
        policy = r.config_get("maxmemory-policy").get("maxmemory-policy")
    except redis_lib.RedisError:
        return []
    warnings = []
    if aof != "yes":
        warnings.append(f"WARNING: Redis runs with appendonly={aof}: queued tasks are lost "
                        "when it restarts. Run it with --appendonly yes.")
    if policy != "noeviction":
        warnings.append(f"WARNING: Redis runs with maxmemory-policy={policy}: queued tasks "
                        "can be evicted. Run it with --maxmemory-policy noeviction.")
    return warnings


def proxy_warning() -> str | None:
    """A warning when sign-ins came through a proxy that clawweb was not told about."""
    from clawweb.services.accounts import throttle
    from clawweb.services.errors import Unavailable

    if get_settings().trusted_proxy_hops:
        return None
    try:
        seen = throttle.forwarded_header_seen()
    except Unavailable:
        return None  # Redis down: the other checks still print
    if not seen:
        return None
    return ("WARNING: sign-in requests arrived with X-Forwarded-For (a reverse proxy) but "
            "CLAWWEB_TRUSTED_PROXY_HOPS is 0, so every user shares the proxy's address: "
            "the per-address lockout is replaced by a gentler back-off. Set "
            "CLAWWEB_TRUSTED_PROXY_HOPS=1 for one proxy (and make clawweb reachable only "
            "through it).")


def check() -> int:
    for warning in doctor_warnings():
        print(warning, file=sys.stderr)
    return 0


def doctor(check_model: bool = False) -> int:
    """Print every finding of ``clawweb.doctor``; 1 when any is an error."""
    from clawweb import doctor as doctor_mod

    findings = doctor_mod.run(get_settings(), check_model_endpoint=check_model)
    proxy = proxy_warning()
    if proxy:
        findings.append(doctor_mod.Finding(doctor_mod.WARNING, "proxy",
                                           proxy.removeprefix("WARNING: ")))
    for finding in findings:
        print(finding.line())
    if not findings:
        print("doctor: no problems found")
    return 1 if any(f.level == doctor_mod.ERROR for f in findings) else 0


def print_setup_code() -> None:
    from clawweb.db import session_scope
    from clawweb.services.accounts import setup

    with session_scope() as s:
        code = setup.ensure_setup_code(session=s)
    if code:
        bar = "=" * 64
        print(f"\n{bar}\n  First run: open {get_settings().origin}{routes.SETUP} and enter\n"
              f"  the one-time setup code:  {code}\n{bar}\n", flush=True)


def wait_ready(timeout: float, worker_timeout: float = 60, worker_log: str = "") -> int:
    """Wait until a worker is alive and the web app answers (what scripts/up waits on).

    A worker counts as alive only for a heartbeat sent after this started: a
    dead worker's key outlives it by the TTL, and an earlier run's workers
    (kept by the AOF) count for nothing. Workers are checked first, since they
    fail fast, and again once the web app is up, since that takes minutes.
    """
    if not _worker_beats(worker_timeout, worker_log):
        return 1
    if not _web_answers(timeout):
        return 1
    return 0 if _worker_beats(worker_timeout, worker_log) else 1


def _worker_beats(timeout: float, worker_log: str) -> bool:
    from clawweb import redis_conn, streams

    since = time.time()
    deadline = time.monotonic() + timeout
    problem = ""
    while time.monotonic() < deadline:
        try:
            if redis_conn.get_redis().zrangebyscore(streams.workers_known_key(), since, "+inf"):
                return True
            problem = ""
        except redis_lib.RedisError as exc:
            problem = f" (Redis: {exc})"
        time.sleep(0.5)
    where = f"see the worker log: {worker_log}" if worker_log else "see the workers' output"
    print(f"no worker sent a heartbeat within {timeout:.0f}s{problem}; tasks would stay "
          f"queued. {where}", file=sys.stderr)
    return False


def _web_answers(timeout: float) -> bool:
    url = f"http://127.0.0.1:{get_settings().port}/api/health"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback
                if resp.status in (200, 503):
                    return True
        except OSError:
            time.sleep(1)
    print(f"the web app did not answer on {url} within {timeout:.0f}s", file=sys.stderr)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clawweb.manage")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("migrate")
    sub.add_parser("check")
    doc = sub.add_parser("doctor")
    doc.add_argument("--check-model", action="store_true",
                     help="also try the configured model endpoint (one request)")
    sub.add_parser("setup-code")
    ready = sub.add_parser("wait-ready")
    ready.add_argument("--timeout", type=float, default=600, help="for the web app")
    ready.add_argument("--worker-timeout", type=float, default=60,
                       help="for a worker's heartbeat")
    ready.add_argument("--worker-log", default="", help="named when no worker beats")
    mk = sub.add_parser("makemigration")
    mk.add_argument("message")
    backup_cli.add_commands(sub)
    tasks_cli.add_commands(sub)
    args = parser.parse_args(argv)
    if args.cmd in ("backup", "restore"):
        return getattr(backup_cli, args.cmd)(args)
    if args.cmd in ("submit", "task"):
        return tasks_cli.submit(args) if args.cmd == "submit" else tasks_cli.show(args)
    if args.cmd == "migrate":
        migrate()
    elif args.cmd == "check":
        return check()
    elif args.cmd == "doctor":
        return doctor(args.check_model)
    elif args.cmd == "setup-code":
        print_setup_code()
    elif args.cmd == "wait-ready":
        return wait_ready(args.timeout, args.worker_timeout, args.worker_log)
    elif args.cmd == "makemigration":
        command.revision(alembic_config(), message=args.message, autogenerate=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
