"""The compose tests wait for the images ./scripts/test builds in the background."""

from __future__ import annotations

import threading

import pytest

from tests.deploy import compose_support


def test_the_wait_ends_when_the_build_says_it_succeeded(tmp_path, monkeypatch):
    status = tmp_path / "deploy-images.status"
    monkeypatch.setenv("CLAWWEB_DEPLOY_IMAGES_STATUS", str(status))
    threading.Timer(0.5, lambda: status.write_text("0\n")).start()
    compose_support._wait_for_background_build(timeout=20)


def test_a_failed_build_fails_with_its_log(tmp_path, monkeypatch):
    status = tmp_path / "deploy-images.status"
    (tmp_path / "deploy-images.log").write_text("debootstrap: no mirror\n")
    status.write_text("2\n")
    monkeypatch.setenv("CLAWWEB_DEPLOY_IMAGES_STATUS", str(status))
    with pytest.raises(AssertionError, match="no mirror"):
        compose_support._wait_for_background_build(timeout=5)
