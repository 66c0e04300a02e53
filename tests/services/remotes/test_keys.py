"""Deploy keys are real ed25519 keys in OpenSSH formats; fingerprints match ssh-keygen's."""

from __future__ import annotations

import subprocess

from clawweb.services.remotes import keys


def test_generated_key_is_ed25519_and_ssh_keygen_agrees(tmp_path):
    key = keys.generate("clawweb-demo")
    assert key.public.startswith("ssh-ed25519 AAAA") and key.public.endswith(" clawweb-demo")
    assert key.private.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    path = tmp_path / "k"
    path.write_text(key.private)
    path.chmod(0o600)
    derived = subprocess.run(["ssh-keygen", "-y", "-f", str(path)], capture_output=True,
                             text=True, check=True).stdout.split()
    assert derived[:2] == key.public.split()[:2]
    (tmp_path / "k.pub").write_text(key.public + "\n")
    shown = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(tmp_path / "k.pub")],
                           capture_output=True, text=True, check=True).stdout.split()[1]
    assert keys.fingerprint(key.public) == key.fingerprint == shown


def test_two_keys_differ():
    assert keys.generate("a").private != keys.generate("a").private


def test_known_hosts_entries(tmp_path):
    key = keys.generate("h")
    blob = key.public.split()[1]
    text = f"[127.0.0.1]:2222 ssh-ed25519 {blob}\n# comment\n\ngarbage\n"
    entries = keys.known_hosts_entries(text)
    assert entries == [{"host": "[127.0.0.1]:2222", "type": "ssh-ed25519",
                        "fingerprint": key.fingerprint}]
