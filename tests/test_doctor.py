"""``manage doctor``: each check against the real thing (redis-server started each way,
tmp data dirs with bad modes, the real dockerd and image, a loopback model endpoint)."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis as redis_lib

from clawweb import doctor, streams
from tests.conftest import clear_process_caches
from tests.support.services import free_port, need, need_docker, wait_for_port

GOOD_KEY = "k" * 48


@pytest.fixture
def redis_each_way(tmp_path):
    """Start a redis-server with the given flags; all stopped at teardown."""
    need(shutil.which("redis-server") is not None, "redis-server", "apt-get install redis-server")
    procs = []

    def start(*flags: str) -> str:
        port = free_port()
        d = tmp_path / f"redis-{port}"
        d.mkdir()
        procs.append(subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--requirepass", "pw",
             "--dir", str(d), "--save", "", *flags],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for_port(port)
        return f"redis://:pw@127.0.0.1:{port}/0"

    yield start
    for p in procs:
        p.terminate()
        p.wait(10)


def configured(monkeypatch, **env):
    for k, v in env.items():
        monkeypatch.setenv(f"CLAWWEB_{k.upper()}", str(v))
    clear_process_caches()
    from clawweb.settings import get_settings

    return get_settings()


def levels(findings, check):
    return [f.level for f in findings if f.check == check]


def test_a_sound_configuration_passes_and_exits_0(settings, redis_each_way, monkeypatch,
                                                  capsys):
    need_docker()
    from clawweb import manage

    url = redis_each_way("--appendonly", "yes", "--maxmemory-policy", "noeviction")
    s = configured(monkeypatch, redis_url=url, secret_key=GOOD_KEY)
    s.data_dir.mkdir(mode=0o700, parents=True)
    assert manage.main(["doctor"]) == 0, capsys.readouterr().out
    assert "ERROR" not in capsys.readouterr().out


@pytest.mark.parametrize("flags, fragment", [
    (("--appendonly", "no", "--maxmemory-policy", "noeviction"), "appendonly=no"),
    (("--appendonly", "yes", "--maxmemory-policy", "allkeys-lru"), "maxmemory-policy=allkeys-lru"),
])
def test_redis_without_aof_or_with_eviction_is_an_error(settings, redis_each_way, monkeypatch,
                                                        flags, fragment):
    s = configured(monkeypatch, redis_url=redis_each_way(*flags))
    (finding,) = doctor.check_redis(s)
    assert finding.level == doctor.ERROR and fragment in finding.message
    assert "--" in finding.message, "it says how to run Redis instead"


def test_redis_down_is_an_error_and_the_command_exits_1(settings, monkeypatch, capsys):
    from clawweb import manage

    configured(monkeypatch, redis_url=f"redis://:pw@127.0.0.1:{free_port()}/0")
    assert manage.main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "ERROR [redis] Redis does not answer" in out and ":pw@" not in out


@pytest.mark.parametrize("key", ["changeme", "short-key"])
def test_weak_or_default_secret_key_is_an_error(settings, monkeypatch, key):
    s = configured(monkeypatch, secret_key=key, redis_url="redis://:pw@127.0.0.1:1/0")
    assert levels(doctor.check_secrets(s), "secrets") == [doctor.ERROR]


def test_test_only_hashing_and_a_redis_url_without_password(settings, monkeypatch):
    s = configured(monkeypatch, password_hash_fast=1, redis_url="redis://127.0.0.1:1/0",
                   secret_key=GOOD_KEY)
    text = " ".join(f.message for f in doctor.check_secrets(s))
    assert "PASSWORD_HASH_FAST" in text and "requirepass" in text


def test_public_bind_without_https_origin_is_an_error(settings, monkeypatch):
    s = configured(monkeypatch, host="0.0.0.0")
    assert levels(doctor.check_exposure(s), "exposure") == [doctor.ERROR]
    s = configured(monkeypatch, host="0.0.0.0", public_url="https://claw.example.com")
    assert doctor.check_exposure(s) == []


@pytest.mark.parametrize("mode, expected", [(0o700, []), (0o750, [doctor.WARNING]),
                                            (0o777, [doctor.ERROR])])
def test_data_directory_permissions(settings, mode, expected):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.data_dir.chmod(mode)
    assert levels(doctor.check_data_dir(settings), "data_dir") == expected


def test_low_disk_space(settings):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(settings.data_dir).free
    assert levels(doctor.check_disk(settings, error_below=free * 2, warn_below=free * 3),
                  "disk") == [doctor.ERROR]
    assert levels(doctor.check_disk(settings, error_below=1, warn_below=free * 2),
                  "disk") == [doctor.WARNING]
    assert doctor.check_disk(settings, error_below=1, warn_below=2) == []


def test_sandbox_image_missing_stale_and_current(settings, monkeypatch, tmp_path):
    need_docker()
    s = configured(monkeypatch, runner_image="clawweb-no-such-image-o2")
    assert [(f.level, f.check) for f in doctor.check_docker(s)] == [
        (doctor.ERROR, "sandbox_image")]
    s = configured(monkeypatch, runner_image="clawweb-runner")
    assert doctor.check_docker(s) == [], "the built image matches worker/runner"
    changed = tmp_path / "runner"
    shutil.copytree(doctor.RUNNER_DIR, changed)
    (changed / "Dockerfile").write_text((changed / "Dockerfile").read_text() + "\n# changed\n")
    (finding,) = doctor.check_docker(s, runner_dir=changed)
    assert finding.level == doctor.WARNING and "stale" in finding.message


def test_dockerd_unreachable_or_absent(settings, tmp_path):
    not_a_daemon = tmp_path / "docker.sock"
    not_a_daemon.write_text("")
    assert levels(doctor.check_docker(settings, socket_path=str(not_a_daemon)),
                  "docker") == [doctor.ERROR]
    assert levels(doctor.check_docker(settings, socket_path=str(tmp_path / "none")),
                  "docker") == [doctor.WARNING]


@pytest.mark.parametrize("offset, expected", [(0, []), (15, [doctor.WARNING]),
                                              (120, [doctor.ERROR]), (-120, [doctor.ERROR])])
def test_clock_skew_from_heartbeats(settings, redis_url, monkeypatch, offset, expected):
    r = redis_lib.Redis.from_url(redis_url)
    now = time.time()
    r.set(streams.worker_alive_key("w1"), "h pid 1", ex=30)
    r.zadd(streams.workers_known_key(), {"w1": now + offset})
    r.zadd(streams.workers_known_key(), {"dead": now - 3000})  # no live key: not checked
    from clawweb.settings import get_settings

    assert levels(doctor.check_clock(get_settings(), now=now), "clock") == expected


@pytest.fixture
def model_endpoint():
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            seen.append(self.path)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/model-o2", seen
    server.shutdown()
    server.server_close()


def test_model_endpoint_is_tried_only_when_asked_and_only_there(settings, monkeypatch,
                                                                model_endpoint, capsys):
    from clawweb import manage

    url, seen = model_endpoint
    configured(monkeypatch, anthropic_base_url=url,
               redis_url=f"redis://:pw@127.0.0.1:{free_port()}/0")
    manage.main(["doctor"])
    assert seen == [], "the model endpoint was asked without --check-model"
    manage.main(["doctor", "--check-model"])
    assert seen == ["/model-o2"]
    assert "[model]" not in capsys.readouterr().out


def test_unreachable_model_endpoint_is_an_error(settings, monkeypatch):
    s = configured(monkeypatch, anthropic_base_url=f"http://127.0.0.1:{free_port()}")
    assert levels(doctor.check_model(s, timeout=2), "model") == [doctor.ERROR]
