"""The chat, mail and webhook targets a channel can be, and their apprise URLs.

People paste what the platform gives them (DingTalk's, Feishu's, WeCom's or
Slack's webhook URL; a Telegram bot token and chat id; SMTP settings; an ntfy
server and topic; any JSON webhook URL). Each kind checks it strictly and
builds the apprise URL (apprise's syntax, e.g. ``cwdingtalk://SECRET@TOKEN/``, see
``apprise_fixes``)
plus a masked hint for the list. The URL holds the secrets: it is only ever
stored encrypted (``channels``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

from clawweb.services.errors import InvalidInput
from clawweb.services.notify import apprise_fixes, targets

MAX_FIELD = 500


@dataclass(frozen=True)
class FieldSpec:
    name: str
    secret: bool = False
    required: bool = True
    placeholder: str = ""

    @property
    def label_key(self) -> str:
        return f"notify.field.{self.name}"


@dataclass(frozen=True)
class Kind:
    key: str
    fields: tuple[FieldSpec, ...]
    build: Callable[[dict[str, str]], tuple[str, str]]

    @property
    def label_key(self) -> str:
        return f"notify.kind.{self.key}"


def _bad(field: str) -> InvalidInput:
    return InvalidInput("notify.channel.bad_field", field=field)


def _mask(value: str) -> str:
    return "…" + value[-4:] if len(value) > 6 else "…"


def _q(value: str) -> str:
    return quote(value, safe="")


def _token(value: str, field: str, pattern: str) -> str:
    if not re.fullmatch(pattern, value):
        raise _bad(field)
    return value


def _https_url(value: str, host: str, field: str = "webhook"):
    parts = urlsplit(value)
    if parts.scheme != "https" or (parts.hostname or "").lower() != host or parts.username \
            or parts.port not in (None, 443):
        raise _bad(field)
    return parts


def _query_token(value: str, host: str, name: str, pattern: str) -> str:
    """The token in a pasted webhook URL (``?access_token=``), or a bare token."""
    if "://" not in value:
        return _token(value, "webhook", pattern)
    found = parse_qs(_https_url(value, host).query).get(name, [""])
    return _token(found[0], "webhook", pattern)


def _path_token(value: str, host: str, prefix: str, pattern: str) -> str:
    if "://" not in value:
        return _token(value, "webhook", pattern)
    path = _https_url(value, host).path
    if not path.startswith(prefix):
        raise _bad("webhook")
    return _token(path[len(prefix):].strip("/"), "webhook", pattern)


def dingtalk(v: dict[str, str]) -> tuple[str, str]:
    token = _query_token(v["webhook"], "oapi.dingtalk.com", "access_token", r"[A-Za-z0-9]+")
    secret = v.get("secret", "")
    if secret:
        _token(secret, "secret", r"[A-Za-z0-9]+")
        return f"{apprise_fixes.DINGTALK}://{secret}@{token}/", _mask(token)
    return f"{apprise_fixes.DINGTALK}://{token}/", _mask(token)


def feishu(v: dict[str, str]) -> tuple[str, str]:
    token = _path_token(v["webhook"], "open.feishu.cn", "/open-apis/bot/v2/hook/",
                        r"[A-Za-z0-9_-]+")
    return f"{apprise_fixes.FEISHU}://{token}", _mask(token)


def lark(v: dict[str, str]) -> tuple[str, str]:
    token = _path_token(v["webhook"], "open.larksuite.com", "/open-apis/bot/v2/hook/",
                        r"[A-Za-z0-9-]+")
    return f"lark://{token}", _mask(token)


def wecom(v: dict[str, str]) -> tuple[str, str]:
    key = _query_token(v["webhook"], "qyapi.weixin.qq.com", "key", r"[A-Za-z0-9_-]+")
    return f"wecombot://{key}", _mask(key)


def slack(v: dict[str, str]) -> tuple[str, str]:
    path = _https_url(v["webhook"], "hooks.slack.com").path
    parts = path.removeprefix("/services/").strip("/").split("/")
    if not path.startswith("/services/") or len(parts) != 3 \
            or not all(re.fullmatch(r"[A-Za-z0-9]+", p) for p in parts):
        raise _bad("webhook")
    return "slack://" + "/".join(parts), _mask(parts[2])


def telegram(v: dict[str, str]) -> tuple[str, str]:
    token = _token(v["bot_token"], "bot_token", r"\d{3,15}:[A-Za-z0-9_-]{20,100}")
    chat = _token(v["chat_id"], "chat_id", r"-?\d{1,20}|@[A-Za-z0-9_]{4,64}")
    return f"tgram://{token}/{_q(chat)}", chat


def _host(value: str, field: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:]+\]", value):
        raise _bad(field)
    return value


def _port(value: str, default: int) -> int:
    if not value:
        return default
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise _bad("port")
    return int(value)


_EMAIL = r"[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,253}"


def email(v: dict[str, str]) -> tuple[str, str]:
    mode = {"starttls": "starttls", "ssl": "ssl", "none": "insecure"}.get(
        v.get("security") or "starttls")
    if mode is None:
        raise _bad("security")
    host = _host(v["smtp_host"], "smtp_host")
    port = _port(v.get("port", ""), {"starttls": 587, "ssl": 465, "insecure": 25}[mode])
    targets.check(host, port, "smtp_host")
    sender, to = _token(v["sender"], "sender", _EMAIL), _token(v["to"], "to", _EMAIL)
    login = ""
    if v.get("username"):
        login = _q(v["username"]) + (":" + _q(v["password"]) if v.get("password") else "") + "@"
    scheme = "mailto" if mode == "insecure" else "mailtos"
    url = (f"{scheme}://{login}{host}:{port}?smtp={_q(host)}&mode={mode}"
           f"&from={_q(sender)}&to={_q(to)}")
    return url, to


def _server(value: str) -> tuple[str, str, int | None]:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username \
            or parts.path.strip("/") or parts.query:
        raise _bad("server")
    host = _host(parts.hostname, "server")
    targets.check(host, parts.port or (443 if parts.scheme == "https" else 80), "server")
    return parts.scheme, host, parts.port


def ntfy(v: dict[str, str]) -> tuple[str, str]:
    scheme, host, port = _server(v.get("server") or "https://ntfy.sh")
    topic = _token(v["topic"], "topic", r"[A-Za-z0-9_-]{1,64}")
    token = v.get("token", "")
    auth = _token(token, "token", r"tk_[A-Za-z0-9]{10,64}") + "@" if token else ""
    hostport = f"{host}:{port}" if port else host
    return (f"{'ntfys' if scheme == 'https' else 'ntfy'}://{auth}{hostport}/{topic}",
            f"{hostport}/{_mask(topic)}")


def webhook(v: dict[str, str]) -> tuple[str, str]:
    parts = urlsplit(v["url"])
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username \
            or parts.fragment:
        raise _bad("url")
    host = _host(parts.hostname, "url")
    targets.check(host, parts.port or (443 if parts.scheme == "https" else 80), "url")
    hostport = f"{host}:{parts.port}" if parts.port else host
    path = parts.path or "/"
    if not re.fullmatch(r"[A-Za-z0-9._~/%-]*", path) or (parts.query and not re.fullmatch(
            r"[A-Za-z0-9._~=&%-]*", parts.query)):
        raise _bad("url")
    scheme = "jsons" if parts.scheme == "https" else "json"
    # A query of the target's own goes after apprise's "-" prefix, so apprise
    # passes it on as a query parameter instead of reading it as its own option.
    extra = "&".join("-" + p for p in parts.query.split("&") if p) if parts.query else ""
    return f"{scheme}://{hostport}{path}" + (f"?{extra}" if extra else ""), \
        f"{parts.scheme}://{hostport}/…"


KINDS: dict[str, Kind] = {k.key: k for k in (
    Kind("dingtalk", (FieldSpec("webhook", secret=True,
                                placeholder="https://oapi.dingtalk.com/robot/send?access_token=…"),
                      FieldSpec("secret", secret=True, required=False, placeholder="SEC…")),
         dingtalk),
    Kind("feishu", (FieldSpec("webhook", secret=True,
                              placeholder="https://open.feishu.cn/open-apis/bot/v2/hook/…"),),
         feishu),
    Kind("lark", (FieldSpec("webhook", secret=True,
                            placeholder="https://open.larksuite.com/open-apis/bot/v2/hook/…"),),
         lark),
    Kind("wecom", (FieldSpec("webhook", secret=True,
                             placeholder="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"),),
         wecom),
    Kind("slack", (FieldSpec("webhook", secret=True,
                             placeholder="https://hooks.slack.com/services/…"),), slack),
    Kind("telegram", (FieldSpec("bot_token", secret=True, placeholder="123456:ABC…"),
                      FieldSpec("chat_id", placeholder="-1001234567890")), telegram),
    Kind("email", (FieldSpec("smtp_host", placeholder="smtp.example.com"),
                   FieldSpec("port", required=False, placeholder="587"),
                   FieldSpec("security", required=False, placeholder="starttls"),
                   FieldSpec("username", required=False),
                   FieldSpec("password", secret=True, required=False),
                   FieldSpec("sender", placeholder="clawweb@example.com"),
                   FieldSpec("to", placeholder="me@example.com")), email),
    Kind("ntfy", (FieldSpec("server", required=False, placeholder="https://ntfy.sh"),
                  FieldSpec("topic", secret=True),
                  FieldSpec("token", secret=True, required=False, placeholder="tk_…")), ntfy),
    Kind("webhook", (FieldSpec("url", secret=True, placeholder="https://example.com/hook"),),
         webhook),
)}


def build(kind: str, values: dict[str, str]) -> tuple[str, str]:
    """The apprise URL and the masked hint for a kind's form values.

    Raises:
        InvalidInput: an unknown kind, a missing field, or a value of the wrong shape.
    """
    spec = KINDS.get(kind)
    if spec is None:
        raise InvalidInput("notify.channel.bad_kind")
    clean: dict[str, str] = {}
    for field in spec.fields:
        value = str(values.get(field.name, "") or "").strip()
        if len(value) > MAX_FIELD or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise _bad(field.name)
        if field.required and not value:
            raise InvalidInput("notify.channel.missing_field", field=field.name)
        clean[field.name] = value
    return spec.build(clean)
