"""Find English UI text (and raw message keys) left in a page shown in Chinese.

Used by the browser test that renders every page in 中文
(tests/e2e/test_zh_everywhere_e2e.py), and unit-tested in tests/test_i18n.py.

A catalog message counts as "English left over" when its English text differs
from its Chinese one (names such as "GitHub" read the same in both) and shows up
in the page's visible text: a one-word message only as a whole line (a short word
inside user data is not a leftover), longer ones anywhere in a line, with their
placeholders matching anything. Lines holding user data the test wrote are skipped.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

from clawweb.i18n import messages, plural_param

ROOT = Path(__file__).resolve().parents[2]
_FIELD = re.compile(r"{(\w+)}")
_KEYLIKE = re.compile(r"(?<![\w./-])[a-z][a-z_]*(?:\.[a-z0-9_]+)+(?![\w/-])")
_MIN_LETTERS = 3  # "{a}: {b}" and the like carry no words to find
# moment's English relative times ("a few seconds ago", "in 29 minutes"): English the
# catalog does not hold, shown when a relative time ignores the UI language.
_SPAN = r"(?:a few seconds|a minute|an hour|a day|a month|a year|\d+ (?:seconds|minutes|hours|days|months|years))"
_MOMENT_EN = re.compile(rf"\b(?:{_SPAN} ago|in {_SPAN})\b")


@functools.lru_cache
def english_patterns() -> tuple[tuple[str, re.Pattern], ...]:
    """(key, pattern) for every message whose English differs from its Chinese."""
    found = []
    for key, (en, zh) in messages().items():
        en = en.strip()
        if en == zh.strip():
            continue
        literal = _FIELD.sub("", en)
        if len(re.findall(r"[A-Za-z]", literal)) < _MIN_LETTERS:
            continue
        # A plural's count is a number on the page: "yes line" in someone's
        # output is not "{count} line".
        number = plural_param(key.split("#")[0]) if "#" in key else None
        parts = _FIELD.split(en)
        body = re.escape(parts[0]) + "".join(
            (r"[\d,.]+" if name == number else ".+?") + re.escape(literal)
            for name, literal in zip(parts[1::2], parts[2::2]))
        one_word = not _FIELD.search(en) and not re.search(r"\s", en)
        found.append((key, re.compile(rf"^{body}$" if one_word else body)))
    return tuple(found)


def leftovers(text: str, user_data: tuple[str, ...] = ()) -> list[str]:
    """English catalog messages and raw keys in ``text``, as ``"key: line"``."""
    keys = set(messages()) | {f"audit.action.{code}" for code in audit_actions()}
    codes = set(audit_actions()) | set(messages())
    chinese = {zh.strip() for _en, zh in messages().values()}
    found = []
    for line in (raw.strip() for raw in text.splitlines()):
        # A Chinese message may quote codes on purpose ("例如 auth. 或 user.create").
        if not line or line in chinese or any(data in line for data in user_data):
            continue
        found += [f"moment: {line}" for _m in _MOMENT_EN.findall(line)][:1]
        found += [f"{key}: {line}" for key, pattern in english_patterns()
                  if pattern.search(line)]
        found += [f"raw key {word}: {line}" for word in _KEYLIKE.findall(line)
                  if word in codes or word in keys]
    return found


# -- the audit action codes the code can write -------------------------------------------

def _action_wrappers(trees: list[ast.AST]) -> dict[str, set[int]]:
    """Functions taking an ``action`` parameter: name -> its positional index."""
    wrappers: dict[str, set[int]] = {"record": set()}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names = [a.arg for a in node.args.posonlyargs + node.args.args]
                if "action" in names or any(a.arg == "action" for a in node.args.kwonlyargs):
                    wrappers.setdefault(node.name, set())
                    if "action" in names:
                        wrappers[node.name].add(names.index("action"))
    return wrappers


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _action_args(call: ast.Call, positions: set[int]) -> list[ast.expr]:
    args = [kw.value for kw in call.keywords if kw.arg == "action"]
    return args + [call.args[i] for i in positions if i < len(call.args)]


def _source_trees() -> list[ast.AST]:
    paths = [*(ROOT / "clawweb").rglob("*.py"), *(ROOT / "worker").rglob("*.py")]
    return [ast.parse(p.read_text(encoding="utf-8")) for p in sorted(paths)
            if "migrations" not in p.parts]


@functools.lru_cache
def audit_action_sources() -> tuple[frozenset[str], frozenset[str]]:
    """(literal action codes, f-string action templates) passed to the audit writers.

    A code reaches ``audit.record`` either as a literal or through a helper
    that takes an ``action`` parameter; forwarded names are covered at the
    helper's call sites. Templates (``f"{source}.failed_notice"``) come back
    as their source text, for the caller to expand.
    """
    trees = _source_trees()
    wrappers = _action_wrappers(trees)
    literals, templates = set(), set()
    for tree in trees:
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _call_name(node) in wrappers):
                continue
            for arg in _action_args(node, wrappers[_call_name(node)]):
                if isinstance(arg, ast.JoinedStr):
                    templates.add(ast.unparse(arg))
                    continue
                # A literal, or the literals of an expression ("a.x" if y else "a.z").
                literals.update(part.value for part in ast.walk(arg)
                                if isinstance(part, ast.Constant) and isinstance(part.value, str)
                                and re.fullmatch(r"[a-z_]+\.[a-z_.]+", part.value))
    return frozenset(literals), frozenset(templates)


# Each f-string action template, and every code it can make (the test fails on a new one).
TEMPLATES = {"f'{source}.failed_notice'": ("schedule.failed_notice", "webhook.failed_notice")}


def audit_actions() -> frozenset[str]:
    """Every audit action code the code can write."""
    literals, templates = audit_action_sources()
    expanded = {code for tpl in templates for code in TEMPLATES.get(tpl, ())}
    return literals | expanded
