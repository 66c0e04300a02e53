"""The systemd units: systemd itself accepts them, and they keep the promises that
matter for upgrades (migrations first, workers drain on SIGTERM, restarts)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from clawweb.models import Project
from clawweb.settings import Settings
from tests.support.services import need

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
SYSTEM_UNITS = Path("/lib/systemd/system")


def parse(path: Path) -> dict[str, dict[str, list[str]]]:
    """Sections -> key -> values (systemd keys may repeat, e.g. ExecStart)."""
    out: dict[str, dict[str, list[str]]] = {}
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            out.setdefault(section, {})
            continue
        key, _, value = line.partition("=")
        out[section].setdefault(key.strip(), []).append(value.strip())
    return out


def _fake_root(tmp_path: Path, units: Path) -> Path:
    """A root where the units' programs exist, with the host's system units."""
    root = tmp_path / "root"
    (root / "usr/lib/systemd").mkdir(parents=True)
    shutil.copytree(SYSTEM_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    for name in ("python", "reflex"):
        exe = root / "opt/clawweb/venv/bin" / name
        exe.parent.mkdir(parents=True, exist_ok=True)
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    (root / "etc/clawweb").mkdir(parents=True)
    shutil.copy(units / "clawweb.env.example", root / "etc/clawweb/clawweb.env")
    dest = root / "etc/systemd/system"
    dest.mkdir(parents=True)
    for unit in units.iterdir():
        if unit.suffix in (".service", ".target"):
            shutil.copy(unit, dest / unit.name)
    return root


def verify(tmp_path: Path, units: Path = UNITS) -> subprocess.CompletedProcess:
    have = shutil.which("systemd-analyze") and (SYSTEM_UNITS / "docker.service").exists()
    need(bool(have), "systemd-analyze and docker.service", "apt-get install systemd docker.io")
    root = _fake_root(tmp_path, units)
    return subprocess.run(
        ["systemd-analyze", "verify", "--man=no", f"--root={root}", "clawweb-web.service",
         "clawweb-worker@1.service", "clawweb-migrate.service", "clawweb.target"],
        capture_output=True, text=True,
        env={"SYSTEMD_LOG_LEVEL": "notice", "PATH": "/usr/bin:/bin"})


def test_systemd_accepts_the_units(tmp_path):
    res = verify(tmp_path)
    assert res.returncode == 0 and res.stderr == "", res.stderr


def test_a_broken_unit_is_caught(tmp_path):
    # The check above can fail: a unit systemd would refuse is reported.
    broken = tmp_path / "units"
    shutil.copytree(UNITS, broken)
    worker = broken / "clawweb-worker@.service"
    worker.write_text(worker.read_text().replace("KillMode=mixed", "KillMode=sometimes"))
    res = verify(tmp_path / "v", broken)
    assert "kill mode" in res.stderr.lower()


def test_web_and_workers_start_only_after_the_migrations():
    for name in ("clawweb-web.service", "clawweb-worker@.service"):
        unit = parse(UNITS / name)["Unit"]
        assert "clawweb-migrate.service" in " ".join(unit["Requires"]), name
        assert "clawweb-migrate.service" in " ".join(unit["After"]), name
    migrate = parse(UNITS / "clawweb-migrate.service")["Service"]
    assert migrate["Type"] == ["oneshot"]
    assert migrate["ExecStart"][0].endswith("-m clawweb.manage migrate")


def test_workers_drain_on_sigterm_for_longer_than_a_task_may_run():
    service = parse(UNITS / "clawweb-worker@.service")["Service"]
    # SIGTERM to the worker alone: the git or docker call it is in is not cut short.
    assert service["KillMode"] == ["mixed"] and service["KillSignal"] == ["SIGTERM"]
    grace = service["TimeoutStopSec"][0]
    assert grace.endswith("min")
    assert int(grace.removesuffix("min")) * 60 > Project().task_timeout_seconds
    assert service["ExecStart"] == ["/opt/clawweb/venv/bin/python -m worker --name %H-%i"]


@pytest.mark.parametrize("name", ["clawweb-web.service", "clawweb-worker@.service"])
def test_web_and_workers_are_restarted_when_they_die(name):
    service = parse(UNITS / name)["Service"]
    assert service["Restart"] == ["always"]
    assert parse(UNITS / name)["Unit"]["StartLimitBurst"], "restarts must not loop hot"


def test_the_environment_example_names_only_real_settings():
    known = {f"CLAWWEB_{f.upper()}" for f in Settings.model_fields}
    keys = [line.split("=", 1)[0] for line in (UNITS / "clawweb.env.example").read_text()
            .splitlines() if line and not line.startswith("#")]
    unknown = [k for k in keys if k.startswith("CLAWWEB_") and k not in known]
    assert unknown == []
