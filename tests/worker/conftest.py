"""Worker tests mount real task disks (root): none may outlive its test."""

from __future__ import annotations

import subprocess

import pytest

from worker import taskfs


@pytest.fixture(autouse=True)
def _no_task_disk_left_mounted(request):
    yield
    settings = request.node.funcargs.get("settings")
    if settings is None:
        return
    left = taskfs.mounts_under(settings.data_dir.resolve())
    for point in reversed(left):  # clean up so the next tests start clean, then fail
        subprocess.run(["umount", "-l", point], capture_output=True)
    assert not left, f"task disks left mounted: {left}"
