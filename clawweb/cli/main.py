"""``clawweb`` command line: arguments, then the command, then its exit code.

Exit codes: a followed task's result (see ``show.exit_code``); 0 for other
commands that worked; 2 when clawweb itself could not do what was asked (bad
arguments, not signed in, refused by the server, server out of reach).
"""

from __future__ import annotations

import argparse
import sys

from clawweb.cli import commands, config
from clawweb.cli.client import Api, ApiError, StreamEnded
from clawweb.cli.render import Printer

FAILED = 2
_STATUSES = ("queued", "running", "awaiting_approval", "succeeded", "failed", "cancelled",
             "timed_out", "interrupted")
_MODES = ("default", "acceptEdits", "plan", "bypassPermissions")


def _follow_options(p: argparse.ArgumentParser, *, detach: bool = True) -> None:
    if detach:
        p.add_argument("--detach", "-d", action="store_true",
                       help="print the task id and return at once")
    p.add_argument("--retry-for", type=float, default=600, metavar="SECONDS",
                   help="keep reconnecting this long when the server is out of reach")


def _submit_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project id, slug or name")
    p.add_argument("--priority", choices=("high", "normal", "low"), default="normal")
    _follow_options(p)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="clawweb", description="Run and follow clawweb tasks.")
    top.add_argument("--quiet", "-q", action="store_true", help="no status notes on stderr")
    sub = top.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    p = sub.add_parser("login", help="save the server URL and an API token (read from stdin)")
    p.add_argument("url", help="e.g. https://claw.example.com")
    sub.add_parser("logout", help="forget the saved token")
    sub.add_parser("projects", help="list your projects")
    p = sub.add_parser("tasks", help="list tasks, newest first")
    p.add_argument("--project", "-p")
    p.add_argument("--status", "-s", action="append", choices=_STATUSES)
    p.add_argument("--limit", "-n", type=int, default=20)
    p = sub.add_parser("run", help="run a shell command: clawweb run PROJECT -- COMMAND")
    _submit_options(p)
    p.add_argument("--timeout", type=int, metavar="SECONDS")
    p.add_argument("command", nargs="*", help="after --: the command and its arguments")
    p = sub.add_parser("ask", help="give Claude a prompt: clawweb ask PROJECT \"PROMPT\"")
    _submit_options(p)
    p.add_argument("--model", default="", help="one the project offers (default: its own)")
    p.add_argument("--mode", default="", choices=_MODES,
                   help="permission mode, at most the project's (default: its own)")
    p.add_argument("prompt")
    p = sub.add_parser("follow-up", help="continue a finished Claude task")
    p.add_argument("task", type=int)
    p.add_argument("prompt")
    _follow_options(p)
    p = sub.add_parser("tail", help="follow a task's output live, to its end")
    p.add_argument("task", type=int)
    p.add_argument("--after", type=int, default=0, metavar="SEQ",
                   help="start after this event (default: from the beginning)")
    _follow_options(p, detach=False)
    p = sub.add_parser("cancel", help="cancel a task")
    p.add_argument("task", type=int)
    p = sub.add_parser("approvals", help="list requests waiting for your answer")
    p.add_argument("--task", type=int)
    p = sub.add_parser("approve", help="allow a pending request")
    p.add_argument("approval", type=int)
    p.add_argument("--always", action="store_true", help="and pre-approve such calls")
    p = sub.add_parser("deny", help="deny a pending request")
    p.add_argument("approval", type=int)
    p.add_argument("--message", "-m", default="", help="told to the agent")
    return top


_LOCAL = {"login": commands.login, "logout": commands.logout}
_REMOTE = {"projects": commands.projects, "tasks": commands.tasks, "run": commands.run,
           "ask": commands.ask, "follow-up": commands.follow_up, "tail": commands.tail,
           "cancel": commands.cancel, "approvals": commands.approvals,
           "approve": commands.decide, "deny": commands.decide}


def _dispatch(args: argparse.Namespace, printer: Printer) -> int:
    if args.cmd in _LOCAL:
        return _LOCAL[args.cmd](args, printer)
    saved = config.load()
    api = Api(saved.url, saved.token)
    try:
        return _REMOTE[args.cmd](args, printer, api)
    finally:
        api.close()


def parse(argv: list[str]) -> argparse.Namespace:
    """The arguments; for ``run``, everything after the first ``--`` is the command,
    word for word (options of clawweb go before it)."""
    if "run" in argv and "--" in argv and argv.index("run") < argv.index("--"):
        cut = argv.index("--")
        args = parser().parse_args(argv[:cut])
        if args.cmd == "run":
            args.command = [*args.command, *argv[cut + 1:]]
            return args
    return parser().parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    args = parse(sys.argv[1:] if argv is None else argv)
    printer = Printer(sys.stdout, sys.stderr, quiet=args.quiet)
    try:
        return _dispatch(args, printer)
    except config.NotLoggedIn:
        printer.note("clawweb: not signed in; run: clawweb login URL", "bad")
    except (ApiError, StreamEnded, ValueError) as exc:
        printer.note(f"clawweb: {exc}", "bad")
    except KeyboardInterrupt:
        printer.note("clawweb: interrupted (the task goes on; see: clawweb tail)", "bad")
        return 130
    return FAILED
