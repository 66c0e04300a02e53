"""The Claude session kept between a task and its follow-ups: only the transcript, never
anything the container planted. Each trap is first shown firing with the naive code."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import uuid
from pathlib import Path

import pytest

from worker.agents import claude_session as cs

SID = str(uuid.UUID(int=0x1234))
TRANSCRIPT = b'{"type":"user","message":"remember pineapple"}\n'


@pytest.fixture
def secret(settings) -> Path:
    """Stands in for data/secret.key: a host file no task may read."""
    path = settings.data_dir / "stand-in-secret.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("HOST-SECRET\n")
    path.chmod(0o600)
    return path


def config_dir(tmp_path: Path, name: str = "claude") -> Path:
    d = tmp_path / name
    cs.prepare_config_dir(d)
    return d


def transcript_path(cdir: Path, sid: str = SID) -> Path:
    return cdir.joinpath(*cs.PROJECT_DIR, f"{sid}.jsonl")


def hostile_config_dir(tmp_path: Path, secret: Path) -> Path:
    """What a task can leave in ~/.claude: its transcript plus links, a FIFO, a device."""
    cdir = config_dir(tmp_path, "parent-claude")
    path = transcript_path(cdir)
    path.parent.mkdir(parents=True)
    path.write_bytes(TRANSCRIPT)
    os.symlink(secret, cdir / "x")
    os.symlink("/proc/self/environ", cdir / "environ")
    os.symlink(secret, path.parent / "other.jsonl")
    os.mkfifo(cdir / "fifo")
    if os.geteuid() == 0:
        os.mknod(cdir / "zero", 0o666 | stat.S_IFCHR, os.makedev(1, 5))
    return cdir


def files_in(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        kind = "dir" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) \
            else "other"
        out[str(path.relative_to(root))] = kind
    return out


def test_a_follow_up_gets_only_the_transcript_never_what_was_planted(settings, tmp_path,
                                                                     secret):
    parent = hostile_config_dir(tmp_path, secret)
    # The trap: copytree (the old follow-up copy) turns the link into the secret.
    naive = tmp_path / "naive"
    shutil.copytree(parent, naive, ignore=shutil.ignore_patterns("fifo", "zero"))
    assert (naive / "x").read_text() == "HOST-SECRET\n" and not (naive / "x").is_symlink()

    assert cs.save(1, SID, parent) is None
    assert files_in(cs.saved_dir(1)) == {f"{SID}.jsonl": "file"}
    child = config_dir(tmp_path, "child-claude")
    assert cs.restore(1, SID, child)
    assert files_in(child) == {"projects": "dir", "projects/-workspace": "dir",
                               f"projects/-workspace/{SID}.jsonl": "file"}
    assert transcript_path(child).read_bytes() == TRANSCRIPT
    assert "HOST-SECRET" not in "".join(
        p.read_text(errors="replace") for p in child.rglob("*") if p.is_file())
    assert secret.read_text() == "HOST-SECRET\n" and stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_the_restored_transcript_belongs_to_the_container_user(settings, tmp_path):
    parent = config_dir(tmp_path, "p")
    transcript_path(parent).parent.mkdir(parents=True)
    transcript_path(parent).write_bytes(TRANSCRIPT)
    cs.save(2, SID, parent)
    child = config_dir(tmp_path, "c")
    assert cs.restore(2, SID, child)
    if os.geteuid() == 0:
        for path in (child, child / "projects", transcript_path(child).parent,
                     transcript_path(child)):
            assert (path.stat().st_uid, path.stat().st_gid) == (1000, 1000), path
    saved = cs.saved_dir(2) / f"{SID}.jsonl"
    assert saved.stat().st_uid == os.geteuid() and stat.S_IMODE(saved.stat().st_mode) == 0o600


@pytest.mark.parametrize("plant", ["file-link", "dir-link", "fifo", "device", "directory"])
def test_a_transcript_that_is_not_a_regular_file_is_not_kept(settings, tmp_path, secret,
                                                             plant):
    if plant == "device" and os.geteuid() != 0:
        pytest.fail("making a device node needs root (CI runs as root)")
    cdir = config_dir(tmp_path)
    path = transcript_path(cdir)
    if plant == "dir-link":
        (cdir / "projects").mkdir()
        outside = tmp_path / "outside"
        outside.mkdir()
        (outside / f"{SID}.jsonl").write_text("HOST-SECRET\n")
        os.symlink(outside, cdir / "projects" / "-workspace")
    else:
        path.parent.mkdir(parents=True)
        {"file-link": lambda: os.symlink(secret, path), "fifo": lambda: os.mkfifo(path),
         "device": lambda: os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 5)),
         "directory": lambda: path.mkdir()}[plant]()
    why = cs.save(3, SID, cdir)   # a FIFO must not block: it is never opened
    assert why["key"] == "workspace.session_not_saved"
    assert why["params"]["detail"]["key"] == "workspace.session_not_regular"
    assert not cs.saved_dir(3).exists() or list(cs.saved_dir(3).iterdir()) == []
    assert secret.read_text() == "HOST-SECRET\n"


def test_a_transcript_over_the_cap_is_not_kept(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("CLAWWEB_CLAUDE_SESSION_MAX_MB", "1")
    from clawweb import settings as settings_mod
    settings_mod.get_settings.cache_clear()
    cdir = config_dir(tmp_path)
    transcript_path(cdir).parent.mkdir(parents=True)
    with open(transcript_path(cdir), "wb") as f:
        f.truncate(1024 * 1024 + 1)
    why = cs.save(4, SID, cdir)
    assert why["params"]["detail"] == {"key": "workspace.session_too_big",
                                       "params": {"max_mb": 1}}
    assert not (cs.saved_dir(4) / f"{SID}.jsonl").exists()


@pytest.mark.parametrize("sid", ["../../secret", "", "x" * 36, f"{SID}/../{SID}"])
def test_a_session_id_that_is_not_a_uuid_names_no_file(settings, tmp_path, sid):
    cdir = config_dir(tmp_path)
    assert cs.save(5, sid, cdir) is None and not cs.saved_dir(5).exists()
    assert cs.restore(5, sid, cdir) is False


def test_restore_without_a_kept_transcript_does_nothing(settings, tmp_path):
    cdir = config_dir(tmp_path)
    assert cs.restore(6, SID, cdir) is False
    assert list(cdir.iterdir()) == []


def test_restore_never_writes_through_links_in_the_config_dir(settings, tmp_path):
    parent = config_dir(tmp_path, "p")
    transcript_path(parent).parent.mkdir(parents=True)
    transcript_path(parent).write_bytes(TRANSCRIPT)
    cs.save(7, SID, parent)
    outside = tmp_path / "outside"
    outside.mkdir()
    child = config_dir(tmp_path, "c")
    (child / "projects").mkdir()
    os.symlink(outside, child / "projects" / "-workspace")
    assert cs.restore(7, SID, child) is False
    assert list(outside.iterdir()) == []
    # A link where the file goes is replaced, not written through.
    os.unlink(child / "projects" / "-workspace")
    (child / "projects" / "-workspace").mkdir()
    target = outside / "target"
    target.write_text("untouched\n")
    os.symlink(target, transcript_path(child))
    assert cs.restore(7, SID, child)
    assert target.read_text() == "untouched\n"
    assert not transcript_path(child).is_symlink()
    assert transcript_path(child).read_bytes() == TRANSCRIPT


def test_a_transcript_kept_in_the_old_whole_folder_layout_still_resumes(settings, tmp_path,
                                                                         secret):
    old = cs.saved_dir(8)          # before: the container's whole folder lived here
    transcript_path(old).parent.mkdir(parents=True)
    transcript_path(old).write_bytes(TRANSCRIPT)
    os.symlink(secret, old / "x")
    child = config_dir(tmp_path)
    assert cs.restore(8, SID, child)
    assert files_in(child) == {"projects": "dir", "projects/-workspace": "dir",
                               f"projects/-workspace/{SID}.jsonl": "file"}


def naive_writable_by_runner(path: Path) -> None:
    """The code this replaced: rglob lists links, shutil.chown follows them."""
    for p in [path, *path.rglob("*")]:
        with contextlib.suppress(FileNotFoundError):
            shutil.chown(p, 1000, 1000)


def test_preparing_the_config_dir_never_chowns_through_a_link(settings, tmp_path, secret):
    if os.geteuid() != 0:
        pytest.fail("chown needs root (CI runs as root)")
    trap = tmp_path / "trap"
    trap.mkdir()
    os.symlink(secret, trap / "x")
    naive_writable_by_runner(trap)
    assert secret.stat().st_uid == 1000, "the naive walk chowns the link's target"
    os.chown(secret, 0, 0)
    cdir = tmp_path / "claude"
    cdir.mkdir()
    os.symlink(secret, cdir / "x")
    cs.prepare_config_dir(cdir)
    assert (secret.stat().st_uid, secret.stat().st_gid) == (0, 0)
    assert cdir.stat().st_uid == 1000
