"""Which tool calls count as read-only for the project's "let read-only commands through"."""

import pytest

from clawweb.services.read_only import is_read_only


@pytest.mark.parametrize("tool,tool_input", [
    ("Read", {"file_path": "/workspace/a.py"}),
    ("Glob", {"pattern": "**/*.py"}),
    ("Grep", {"pattern": "foo"}),
    ("Bash", {"command": "ls -la && git log --oneline | head -3"}),
    ("Bash", {"command": "git status; git diff --stat"}),
    ("Bash", {"command": "cat README.md | wc -l"}),
])
def test_read_only_calls(tool, tool_input):
    assert is_read_only(tool, tool_input)


@pytest.mark.parametrize("tool,tool_input", [
    ("Write", {"file_path": "/workspace/a.py", "content": ""}),
    ("Edit", {"file_path": "/workspace/a.py"}),
    ("WebFetch", {"url": "https://example.org"}),
    ("Bash", {"command": "ls > out.txt"}),
    ("Bash", {"command": "ls && rm -rf /workspace"}),
    ("Bash", {"command": "cat $(echo /etc/passwd)"}),
    ("Bash", {"command": "cat `id`"}),
    ("Bash", {"command": "git log --output=x"}),
    ("Bash", {"command": "git -c core.pager=sh log"}),
    ("Bash", {"command": "git push"}),
    ("Bash", {"command": "find . -delete"}),
    ("Bash", {"command": "ls\nrm x"}),
    ("Bash", {"command": "ls &"}),
    ("Bash", {"command": "FOO=1 ls"}),
    ("Bash", {"command": ""}),
    ("Bash", {"command": 3}),
])
def test_anything_else_is_not(tool, tool_input):
    assert not is_read_only(tool, tool_input)
