"""What each ``clawweb`` command does. Each returns the process's exit code.

Commands that follow a task (``run``, ``ask``, ``follow-up``, ``tail``) exit with
the task's result (``show.exit_code``), so ``clawweb run p -- make test && deploy``
deploys only after a green run.
"""

from __future__ import annotations

import getpass
import shlex
import sys
import uuid
from argparse import Namespace

from clawweb.cli import config
from clawweb.cli.client import Api, ApiError, follow
from clawweb.cli.render import Printer, table
from clawweb.cli.show import exit_code, show_event

OK = 0


def _read_token(printer: Printer) -> str:
    if sys.stdin.isatty():
        return getpass.getpass("API token (account page → API tokens): ").strip()
    return sys.stdin.readline().strip()


def login(args: Namespace, printer: Printer) -> int:
    """Check a token against the server and keep both (mode 0600)."""
    url = config.normalize_url(args.url)
    if url.startswith("http://") and not url.split("//", 1)[1].startswith(
            ("127.0.0.1", "localhost", "[::1]")):
        printer.note("[clawweb] warning: plain http: the token crosses the network in clear",
                     "bad")
    token = _read_token(printer)
    api = Api(url, token)
    try:
        me = api.call("GET", "/me")
    finally:
        api.close()
    path = config.save(config.Config(url=url, token=token))
    scopes = ", ".join(me["token"]["scopes"]) if me.get("token") else ""
    printer.note(f"[clawweb] signed in to {url} as {me['username']} ({scopes}); "
                 f"saved in {path}", "ok")
    return OK


def logout(_args: Namespace, printer: Printer) -> int:
    printer.note("[clawweb] token forgotten" if config.forget() else "[clawweb] not signed in")
    return OK


def project_id(api: Api, name: str) -> int:
    """A project by id, slug or name (case-insensitive)."""
    if name.isdigit():
        return int(name)
    wanted = name.casefold()
    found = [p for p in api.pages("/projects", limit=200)
             if wanted in (p["slug"].casefold(), p["name"].casefold())]
    if not found:
        raise ApiError(f"no project named {name!r} (see: clawweb projects)")
    if len(found) > 1:
        raise ApiError(f"{len(found)} projects are named {name!r}; use its id")
    return found[0]["id"]


def projects(_args: Namespace, printer: Printer, api: Api) -> int:
    rows = [[str(p["id"]), p["role"], p["slug"], p["name"]] for p in api.pages("/projects")]
    for line in table([["ID", "ROLE", "SLUG", "NAME"], *rows]):
        printer.line(line)
    return OK


def tasks(args: Namespace, printer: Printer, api: Api) -> int:
    params: dict = {"limit": args.limit}
    if args.project:
        params["project_id"] = project_id(api, args.project)
    if args.status:
        params["status"] = args.status
    items = api.call("GET", "/tasks", params=params)["items"]
    rows = [[str(t["id"]), t["status"], t["kind"], str(t["project_id"]), t["title"]]
            for t in items]
    for line in table([["ID", "STATUS", "KIND", "PROJECT", "TITLE"], *rows]):
        printer.line(line)
    return OK


def _watch(args: Namespace, printer: Printer, api: Api, task: dict) -> int:
    printer.note(f"[clawweb] task {task['id']} {task['status']}: {task['web_url']}")
    if getattr(args, "detach", False):
        printer.line(str(task["id"]))
        return OK
    final = follow(api, task["id"], lambda e: show_event(printer, task["id"], e),
                   after=getattr(args, "after", 0), retry_for=args.retry_for,
                   on_retry=lambda m: printer.note(f"[clawweb] {m}"))
    return exit_code(final)


def _key() -> dict:
    # One key per invocation: a retried request after a drop makes no second task.
    return {"Idempotency-Key": uuid.uuid4().hex}


def run(args: Namespace, printer: Printer, api: Api) -> int:
    """Run a shell command; one argument is a command line, several are quoted as words."""
    words = args.command
    if not words:
        raise ApiError("nothing to run: clawweb run PROJECT -- COMMAND")
    command = words[0] if len(words) == 1 else shlex.join(words)
    body = {"kind": "shell", "command": command, "priority": args.priority}
    if args.timeout:
        body["timeout_seconds"] = args.timeout
    task = api.call_patiently("POST", f"/projects/{project_id(api, args.project)}/tasks",
                              json=body, headers=_key(), retry_for=30)
    return _watch(args, printer, api, task)


def ask(args: Namespace, printer: Printer, api: Api) -> int:
    body = {"kind": "claude", "prompt": args.prompt, "priority": args.priority}
    if args.model:
        body["model"] = args.model
    if args.mode:
        body["permission_mode"] = args.mode
    task = api.call_patiently("POST", f"/projects/{project_id(api, args.project)}/tasks",
                              json=body, headers=_key(), retry_for=30)
    return _watch(args, printer, api, task)


def follow_up(args: Namespace, printer: Printer, api: Api) -> int:
    task = api.call_patiently("POST", f"/tasks/{args.task}/follow-up",
                              json={"prompt": args.prompt}, headers=_key(), retry_for=30)
    return _watch(args, printer, api, task)


def tail(args: Namespace, printer: Printer, api: Api) -> int:
    task = api.call_patiently("GET", f"/tasks/{args.task}", retry_for=args.retry_for)
    return _watch(args, printer, api, task)


def cancel(args: Namespace, printer: Printer, api: Api) -> int:
    task = api.call("POST", f"/tasks/{args.task}/cancel")
    printer.note(f"[clawweb] task {task['id']} {task['status']}"
                 + (" (stopping)" if task["cancel_requested"] else ""))
    return OK


def approvals(args: Namespace, printer: Printer, api: Api) -> int:
    params = {"task_id": args.task} if args.task else {}
    rows = [[str(a["id"]), str(a["task_id"]), a["tool"], a["rule"] or "-",
             " ".join(str(a["input"]).split())[:80]] for a in api.pages("/approvals", **params)]
    for line in table([["ID", "TASK", "TOOL", "RULE", "INPUT"], *rows]):
        printer.line(line)
    return OK


def decide(args: Namespace, printer: Printer, api: Api) -> int:
    decision = "deny" if args.cmd == "deny" else ("allow_always" if args.always else "allow")
    body = {"decision": decision, "message": getattr(args, "message", "") or ""}
    row = api.call("POST", f"/approvals/{args.approval}/decision", json=body)
    printer.note(f"[clawweb] approval {row['id']}: {row['decision']}", "ok")
    return OK
