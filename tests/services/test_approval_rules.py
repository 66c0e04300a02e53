"""The rule "Always allow" stores: the narrowest one Claude Code can express, or none.

What the CLI makes of each rule shape was measured on the real CLI (see
tests/worker/test_claude_approvals.py, which proves the file rule is as narrow
in the CLI as here): ``Edit(a.txt)`` also matches ``sub/a.txt`` (gitignore: a
pattern without a slash matches at any depth), ``Edit(//workspace/a.txt)``
only that file, and ``Write(...)`` rules are ignored, so every file-editing
tool gets an ``Edit(//workspace/...)`` rule.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings, strategies as st

from clawweb.services import approval_rules
from clawweb.services.agents import settings as agent_settings
from clawweb.services.approvals import rule_for


def project_allows(*args):
    from clawweb.services.approval_rules import project_allows
    return project_allows(*args)


def rule_parts(rule):
    from clawweb.services.approval_rules import rule_parts
    return rule_parts(rule)

BLANKET = {"Bash", "Bash(*)", "Write", "Edit", "Read", "MultiEdit", "NotebookEdit", "WebFetch",
           "Edit(*)", "Edit(**)", "Read(**)", "Edit(//workspace/**)"}


@pytest.mark.parametrize("command,rule", [
    ("npm test", "Bash(npm test)"),
    ("  npm test  ", "Bash(npm test)"),
    ("pytest -q tests/unit/test_a.py", "Bash(pytest -q tests/unit/test_a.py)"),
    ("git log --format=%h:%s -n 5", "Bash(git log --format=%h:%s -n 5)"),
    ("NODE_ENV=test npm run build", "Bash(NODE_ENV=test npm run build)"),
    ("pip install requests==2.32.3", "Bash(pip install requests==2.32.3)"),
    ("ls ~/src", "Bash(ls ~/src)"),
])
def test_simple_command_gets_its_exact_rule(command, rule):
    assert rule_for("Bash", {"command": command}) == rule


@pytest.mark.parametrize("command", [
    "npm test && rm -rf /", "a || b", "a; b", "a | b", "sleep 1 &", "echo $(id)",
    "echo `id`", "echo hi > out.txt", "sort < in.txt", "cat <<EOF", "a\nb", "a\rb",
    "(cd x && make)", "ls *.py", "ls ?.py", "ls [ab].py", "echo {a,b}", "echo 'a b'",
    'echo "a b"', "echo a\\ b", "echo $HOME", "echo ${HOME}", "echo hi # comment",
    "!!", "npm test:*", "npm test *", "\tnpm test", "npm\ttest", "", "   ",
    "echo \u202eevil", "echo caf\u00e9",
    "x" * 501,
])
def test_anything_but_a_plain_command_gets_no_rule(command):
    assert rule_for("Bash", {"command": command}) is None


def test_bash_without_a_command_string_gets_no_rule():
    assert rule_for("Bash", {}) is None
    assert rule_for("Bash", {"command": ["npm", "test"]}) is None


SHELL_META = ["&&", "||", ";", "|", "&", "$(", "`", ">", "<", "\n", "(", ")", "*", "?", "[",
              "]", "{", "}", "'", '"', "\\", "$", "#", "!", "\r", "\t"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.sampled_from(SHELL_META), st.text(max_size=40))
def test_no_rule_for_any_command_with_a_shell_metacharacter(before, meta, after):
    assert rule_for("Bash", {"command": before + meta + after}) is None


# Mostly harmless characters with a few meaningful ones, so both outcomes occur.
_COMMANDS = st.text(alphabet="ab09 -_./:=,+@%~&|;$()*'\"\\\n#", max_size=60)


@settings(max_examples=500, deadline=None)
@given(_COMMANDS)
def test_every_rule_made_is_exact_and_valid_rule_syntax(command):
    rule = rule_for("Bash", {"command": command})
    if rule is None:
        return
    assert rule == f"Bash({command.strip()})"
    assert rule_parts(rule) == ("Bash", command.strip())
    # The owner's settings form must accept what a click stored.
    assert agent_settings.validate({"allowed_tools": [rule]})["allowed_tools"] == [rule]


@pytest.mark.parametrize("tool", ["Edit", "Write", "MultiEdit"])
@pytest.mark.parametrize("path,rule", [
    ("/workspace/a.py", "Edit(//workspace/a.py)"),
    ("/workspace/src/pkg/mod.py", "Edit(//workspace/src/pkg/mod.py)"),
    ("/workspace/docs/read me.md", "Edit(//workspace/docs/read me.md)"),
    ("/workspace/.github/workflows/ci.yml", "Edit(//workspace/.github/workflows/ci.yml)"),
    ("/workspace/文档/说明.md", "Edit(//workspace/文档/说明.md)"),
])
def test_file_tools_get_the_exact_path(tool, path, rule):
    assert rule_for(tool, {"file_path": path, "content": "x"}) == rule


def test_notebook_and_read_rules():
    assert rule_for("NotebookEdit", {"notebook_path": "/workspace/n.ipynb"}) == \
        "Edit(//workspace/n.ipynb)"
    assert rule_for("NotebookEdit", {"file_path": "/workspace/n.ipynb"}) is None
    assert rule_for("Read", {"file_path": "/workspace/src/a.py"}) == "Read(//workspace/src/a.py)"


@pytest.mark.parametrize("path", [
    "/etc/passwd", "/workspace", "/workspace/", "/workspace/src/", "/workspacex/a.py",
    "workspace/a.py", "a.py", "/workspace/../etc/passwd", "/workspace/src/../../etc/x",
    "/workspace/./a.py", "/workspace//a.py", "/workspace/*.py", "/workspace/**", "/workspace/a?.py",
    "/workspace/[ab].py", "/workspace/{a,b}.py", "/workspace/a\\*.py", "/workspace/!a.py",
    "/workspace/#a", "/workspace/a(1).py", "/workspace/a.py ", "/workspace/a\n.py",
    "/workspace/a\u202e.py", "/home/runner/.claude/settings.json", "/workspace/" + "a" * 500,
])
def test_paths_outside_odd_or_globbing_get_no_rule(path):
    assert rule_for("Edit", {"file_path": path}) is None
    assert rule_for("Read", {"file_path": path}) is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab/._- ", max_size=30), st.sampled_from(list("*?[]{}\\!#()")),
       st.text(alphabet="ab/._-", max_size=30))
def test_no_rule_for_any_path_with_a_pattern_character(before, special, after):
    assert rule_for("Edit", {"file_path": f"/workspace/{before}{special}{after}"}) is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "b.py", ".", "..", "", "src", "~", " x"]), min_size=1,
                max_size=6))
def test_a_file_rule_names_one_normalised_path_inside_the_workspace(segments):
    path = "/workspace/" + "/".join(segments)
    rule = rule_for("Write", {"file_path": path})
    if rule is not None:
        assert rule == f"Edit(/{path})"
        assert ".." not in segments and "." not in segments and "" not in segments


def test_path_that_is_not_a_string_gets_no_rule():
    assert rule_for("Edit", {}) is None
    assert rule_for("Write", {"file_path": 7}) is None


@pytest.mark.parametrize("url,rule", [
    ("https://pypi.org/simple/", "WebFetch(domain:pypi.org)"),
    ("https://PyPI.org/simple/", "WebFetch(domain:pypi.org)"),
    ("http://docs.python.org/3/library/re.html?x=1#y", "WebFetch(domain:docs.python.org)"),
    ("https://xn--fiqs8s.example/", "WebFetch(domain:xn--fiqs8s.example)"),
])
def test_webfetch_gets_the_host(url, rule):
    assert rule_for("WebFetch", {"url": url, "prompt": "summarise"}) == rule


@pytest.mark.parametrize("url", [
    "https://user@pypi.org/", "https://pypi.org:443@evil.test/", "https://evil.test\\@pypi.org/",
    "https://pypi.org:8443/", "https://pypi.org./", "https://127.0.0.1/", "https://0x7f.1/",
    "https://[::1]/", "https://pyp%69.org/", "https://pypi.org%2f@evil.test/", "ftp://pypi.org/",
    "javascript:alert(1)", "https:pypi.org", "https:///pypi.org", "https://pypi .org/",
    "https://p\u0443pi.org/", "//pypi.org/", "", "https://-pypi.org/", "https://a..b/",
])
def test_webfetch_with_tricks_gets_no_rule(url):
    assert rule_for("WebFetch", {"url": url}) is None


_URLS = st.builds(
    lambda scheme, authority, tail: scheme + "".join(authority) + tail,
    st.sampled_from(["https://", "http://", "HTTPS://", "https:", "ftp://", "//"]),
    st.lists(st.sampled_from(["pypi.org", "PyPI.org", "a.b", "evil.test", "@", ":", "443", "\\",
                              "%2f", "[::1]", "127.0.0.1", "0x7f", "x", ".", "-", "user"]),
             min_size=1, max_size=3),
    st.sampled_from(["", "/", "/simple/", "?q=1", "#f", "\\@evil.test/", "/@evil.test"]))


@settings(max_examples=500, deadline=None)
@given(_URLS)
def test_the_host_in_a_webfetch_rule_is_the_host_every_parser_connects_to(url):
    import httpx

    rule = rule_for("WebFetch", {"url": url})
    if rule is None:
        return
    host = rule.removeprefix("WebFetch(domain:").removesuffix(")")
    assert urlsplit(url).hostname == host
    assert httpx.URL(url).host == host  # a second, independent parser


@pytest.mark.parametrize("tool,rule", [
    ("mcp__github__create_issue", "mcp__github__create_issue"),
    ("mcp__my-server__do_thing", "mcp__my-server__do_thing"),
    ("mcp__github", None), ("mcp__github__", None), ("mcp____x", None), ("mcp__a__b*", None),
])
def test_mcp_tools_are_specific_as_they_are(tool, rule):
    assert rule_for(tool, {"anything": 1}) == rule


@pytest.mark.parametrize("tool", ["Task", "Glob", "Grep", "WebSearch", "TodoWrite", "KillShell",
                                  "Agent", "ExitPlanMode", "SomethingNew", ""])
def test_everything_else_gets_no_rule(tool):
    assert rule_for(tool, {"pattern": "x", "query": "y"}) is None


CALLS = [
    ("Bash", {"command": "npm test"}), ("Bash", {"command": "npm test && curl evil"}),
    ("Bash", {"command": "rm -rf /"}), ("Edit", {"file_path": "/workspace/a.py"}),
    ("Write", {"file_path": "/etc/passwd"}), ("Read", {"file_path": "/workspace/x"}),
    ("WebFetch", {"url": "https://pypi.org/"}), ("NotebookEdit", {"notebook_path": "/x.ipynb"}),
    ("mcp__s__t", {}), ("Glob", {"pattern": "**"}),
]


@pytest.mark.parametrize("tool,inp", CALLS)
def test_no_click_stores_a_blanket_rule(tool, inp):
    rule = rule_for(tool, inp)
    assert rule not in BLANKET
    assert rule is None or "(" in rule or rule.startswith("mcp__")


def test_project_allows_exactly_what_the_rule_names():
    rules = ["Bash(npm test)", "Edit(//workspace/a.py)", "WebFetch(domain:pypi.org)"]
    assert project_allows(rules, "Bash", {"command": "npm test"})
    assert not project_allows(rules, "Bash", {"command": "npm test && curl evil"})
    assert not project_allows(rules, "Bash", {"command": "npm test2"})
    # One Edit rule covers every file-editing tool on that file, as in the CLI.
    for tool in ("Edit", "Write", "MultiEdit"):
        assert project_allows(rules, tool, {"file_path": "/workspace/a.py"})
    assert not project_allows(rules, "Edit", {"file_path": "/workspace/sub/a.py"})
    assert not project_allows(rules, "Read", {"file_path": "/workspace/a.py"})
    assert project_allows(rules, "WebFetch", {"url": "https://pypi.org/x"})
    assert not project_allows(rules, "WebFetch", {"url": "https://files.pypi.org/x"})
    assert not project_allows([], "Bash", {"command": "npm test"})


def test_blanket_rules_the_owner_set_keep_working():
    assert project_allows(["Bash"], "Bash", {"command": "npm test && make"})
    assert project_allows(["Edit"], "Edit", {"file_path": "/etc/hosts"})
    assert project_allows(["mcp__s__t"], "mcp__s__t", {})
    assert not project_allows(["Bash"], "Edit", {"file_path": "/workspace/a.py"})


@pytest.mark.parametrize("rule,parts", [
    ("Bash(npm test)", ("Bash", "npm test")),
    ("Edit(//workspace/a.py)", ("Edit", "//workspace/a.py")),
    ("WebFetch(domain:pypi.org)", ("WebFetch", "domain:pypi.org")),
    ("mcp__s__t", ("mcp__s__t", None)),
])
def test_rule_parts_is_what_the_cli_is_given(rule, parts):
    assert rule_parts(rule) == parts



def test_an_owner_prefix_rule_covers_only_plain_commands_under_it():
    rules = ["Bash(npm test:*)", "Edit(//workspace/a.py)"]
    covers = approval_rules.prefix_rule_for_cli
    assert covers(rules, "Bash", {"command": "npm test"}) == "Bash(npm test:*)"
    assert covers(rules, "Bash", {"command": "npm test -- --watch"}) == "Bash(npm test:*)"
    for command in ("npm testx", "npm test && rm -rf /", "npm test; id", "npm test | sh",
                    "npm test $(id)", "npm test > /etc/x", "npm  test", "ls"):
        assert covers(rules, "Bash", {"command": command}) is None, command
    assert covers(rules, "Read", {"file_path": "/workspace/a.py"}) is None
