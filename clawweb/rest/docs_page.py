"""The browsable API docs: one server-rendered HTML page made from the OpenAPI document.

FastAPI's Swagger UI loads its script and styles from a CDN, which the app's
Content-Security-Policy refuses (and an offline install cannot reach). This page
has no script at all: every operation with its scope, parameters, body and
answers, and every schema's fields, all escaped text.
"""

from __future__ import annotations

from html import escape
from typing import Any

_METHODS = ("get", "post", "put", "patch", "delete")
_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;
color:#1d2125;background:#fff}
code,pre{font:13px ui-monospace,monospace}h2{margin-top:2.5rem;border-bottom:1px solid #ddd}
.op{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:4.5em;font-weight:700;text-transform:uppercase}
.scope{float:right;color:#06695f}table{border-collapse:collapse;margin:.3rem 0}
td,th{border-bottom:1px solid #eee;padding:.15rem .6rem;text-align:left;vertical-align:top}
.muted{color:#666}
"""


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " | ".join(_type(s) for s in schema[key])
    if schema.get("type") == "array":
        return f"list[{_type(schema.get('items', {}))}]"
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    return str(schema.get("type", "any"))


def _rows(items: list[tuple[str, str, str]]) -> str:
    if not items:
        return ""
    body = "".join(f"<tr><td><code>{escape(a)}</code></td><td>{escape(b)}</td>"
                   f"<td class=muted>{escape(c)}</td></tr>" for a, b, c in items)
    return f"<table>{body}</table>"


def _operation(prefix: str, path: str, method: str, op: dict[str, Any]) -> str:
    scopes = [s for req in op.get("security", []) for s in next(iter(req.values()), [])]
    params = [(p["name"], f"{p['in']}{'' if p.get('required') else ', optional'}",
               _type(p.get("schema", {})) + (" — " + p["description"]
                                             if p.get("description") else ""))
              for p in op.get("parameters", [])]
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    answers = ", ".join(op.get("responses", {}))
    return (f"<div class=op><span class=m>{escape(method)}</span> "
            f"<code>{escape(prefix + path)}</code>"
            f"<span class=scope>{escape(', '.join(scopes) or 'no token')}</span>"
            f"<div>{escape(op.get('summary', ''))}</div>{_rows(params)}"
            + (f"<div>body: <code>{escape(_type(body.get('schema', {})))}</code></div>"
               if body else "")
            + f"<div class=muted>answers: {escape(answers)}</div></div>")


def _schema(name: str, schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    fields = [(field, _type(spec) + ("" if field in required else ", optional"),
               spec.get("description", ""))
              for field, spec in schema.get("properties", {}).items()]
    return f"<h3 id='{escape(name)}'>{escape(name)}</h3>{_rows(fields)}"


def render(openapi: dict[str, Any], prefix: str) -> str:
    """The whole page for ``openapi`` (paths shown under ``prefix``)."""
    info = openapi.get("info", {})
    ops = [_operation(prefix, path, method, item[method])
           for path, item in openapi.get("paths", {}).items()
           for method in _METHODS if method in item]
    schemas = [_schema(name, s) for name, s in
               sorted(openapi.get("components", {}).get("schemas", {}).items())]
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            f"<title>{escape(info.get('title', 'API'))}</title><style>{_STYLE}</style></head>"
            f"<body><h1>{escape(info.get('title', 'API'))}</h1>"
            f"<p>{escape(info.get('description', ''))}</p>"
            f"<p>Machine-readable: <a href='{escape(prefix)}/openapi.json'>openapi.json</a></p>"
            f"<h2>Operations</h2>{''.join(ops)}<h2>Schemas</h2>{''.join(schemas)}"
            "</body></html>")
