"""Each chat channel's outgoing request, checked against the platform's documented format.

apprise sends with ``requests``, so ``responses`` intercepts at the HTTP layer
(nothing leaves the process). Documented formats:
- DingTalk custom robot: POST https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=ms&sign=S,
  S = urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}"))), timestamp within an hour;
  body {"msgtype": "text", "text": {"content": ...}}.
- Feishu / Lark custom bot: POST https://open.feishu.cn/open-apis/bot/v2/hook/T
  (open.larksuite.com for Lark), body {"msg_type": "text", "content": {"text": ...}}.
- WeCom group robot: POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K,
  body {"msgtype": "text", "text": {"content": ...}}.
- Slack incoming webhook: POST https://hooks.slack.com/services/T/B/X with a JSON message
  (text or attachments).
- Telegram Bot API: POST https://api.telegram.org/bot<token>/sendMessage, JSON with chat_id and text.
- ntfy: POST https://ntfy.sh/ with JSON {"topic", "title", "message"} (publishing as JSON).
- JSON webhook (apprise's json://): POST the URL with {"version", "title", "message", "type"}.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import responses

from clawweb.services.errors import InvalidInput
from clawweb.services.notify import channels, text
from tests.services.agent_fixtures import make_user

MSG = text.Message(title="Task #7 failed", body="demo: make test", link="/tasks/7")


@pytest.fixture
def alice(session, settings):
    return make_user(session, "alice")


def _send(session, user, kind, values):
    row = channels.add(session=session, user=user, kind=kind, values=values)
    return row, channels.send(row, MSG)


def _only_call(rsps):
    assert len(rsps.calls) == 1, [c.request.url for c in rsps.calls]
    req = rsps.calls[0].request
    return req, urlsplit(req.url), json.loads(req.body)


def _has_message(value: str, settings) -> None:
    assert MSG.title in value and MSG.body in value and settings.origin + "/tasks/7" in value


def test_dingtalk_with_its_signing_secret(session, alice, settings):
    secret = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
    with responses.RequestsMock() as rsps:
        rsps.post("https://oapi.dingtalk.com/robot/send", json={"errcode": 0, "errmsg": "ok"})
        _, (ok, reason) = _send(session, alice, "dingtalk", {
            "webhook": "https://oapi.dingtalk.com/robot/send?access_token=abc123def456",
            "secret": secret})
        req, url, body = _only_call(rsps)
    assert (ok, reason) == (True, "")
    query = parse_qs(url.query)
    assert query["access_token"] == ["abc123def456"]
    stamp = query["timestamp"][0]
    assert abs(int(stamp) / 1000 - time.time()) < 3600
    expected = base64.b64encode(hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(),
                                         hashlib.sha256).digest()).decode()
    # The query carries the signature URL-encoded once, as DingTalk documents it.
    assert unquote(url.query.split("sign=")[1].split("&")[0]) == expected
    assert body["msgtype"] == "text"
    _has_message(body["text"]["content"], settings)


def test_feishu_and_lark(session, alice, settings):
    for kind, host in (("feishu", "open.feishu.cn"), ("lark", "open.larksuite.com")):
        with responses.RequestsMock() as rsps:
            rsps.post(f"https://{host}/open-apis/bot/v2/hook/0a1b2c3d-4e5f",
                      json={"code": 0, "msg": "success"})
            _, (ok, _) = _send(session, alice, kind, {
                "webhook": f"https://{host}/open-apis/bot/v2/hook/0a1b2c3d-4e5f"})
            req, url, body = _only_call(rsps)
        assert ok and url.netloc == host
        assert url.path == "/open-apis/bot/v2/hook/0a1b2c3d-4e5f"
        assert body["msg_type"] == "text"
        _has_message(body["content"]["text"], settings)


def test_wecom(session, alice, settings):
    with responses.RequestsMock() as rsps:
        rsps.post("https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
                  json={"errcode": 0, "errmsg": "ok"})
        _, (ok, _) = _send(session, alice, "wecom", {
            "webhook": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx"})
        req, url, body = _only_call(rsps)
    assert ok and parse_qs(url.query)["key"] == ["693a91f6-7xxx"]
    assert body["msgtype"] == "text"
    _has_message(body["text"]["content"], settings)


def test_slack(session, alice, settings):
    with responses.RequestsMock() as rsps:
        rsps.post("https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXX", body="ok")
        _, (ok, _) = _send(session, alice, "slack", {
            "webhook": "https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXX"})
        req, url, body = _only_call(rsps)
    assert ok and req.headers["Content-Type"].startswith("application/json")
    texts = json.dumps(body, ensure_ascii=False)
    _has_message(texts.replace("\\n", "\n"), settings)
    assert "github" not in texts  # no icon fetched from anywhere


def test_telegram(session, alice, settings):
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    with responses.RequestsMock() as rsps:
        rsps.post(f"https://api.telegram.org/bot{token}/sendMessage",
                  json={"ok": True, "result": {"message_id": 1}})
        _, (ok, _) = _send(session, alice, "telegram", {"bot_token": token,
                                                        "chat_id": "-1001234567890"})
        req, url, body = _only_call(rsps)
    assert ok and str(body["chat_id"]) == "-1001234567890"
    _has_message(body["text"], settings)


def test_ntfy_cloud(session, alice, settings):
    with responses.RequestsMock() as rsps:
        rsps.post("https://ntfy.sh/", json={"id": "x"})
        _, (ok, _) = _send(session, alice, "ntfy", {"topic": "clawweb-alice-9f2"})
        req, url, body = _only_call(rsps)
    assert ok and body["topic"] == "clawweb-alice-9f2" and body["title"] == MSG.title
    _has_message(body["title"] + body["message"], settings)
    assert "X-Icon" not in req.headers


def test_json_webhook(session, alice, settings):
    with responses.RequestsMock() as rsps:
        rsps.post("https://hooks.example.com/clawweb?team=ops", json={})
        _, (ok, _) = _send(session, alice, "webhook",
                           {"url": "https://hooks.example.com/clawweb?team=ops"})
        req, url, body = _only_call(rsps)
    assert ok and parse_qs(url.query) == {"team": ["ops"]}
    assert body["title"] == MSG.title and body["type"] == "info" and "version" in body
    _has_message(body["title"] + body["message"], settings)


def test_a_refusal_is_told_without_the_url_or_its_secrets(session, alice):
    with responses.RequestsMock() as rsps:
        rsps.post("https://oapi.dingtalk.com/robot/send", status=403)
        row, (ok, reason) = _send(session, alice, "dingtalk", {
            "webhook": "https://oapi.dingtalk.com/robot/send?access_token=topsecrettoken1"})
    assert (ok, reason) == (False, "HTTP 403")
    assert "topsecrettoken1" not in row.ciphertext and "topsecret" not in row.hint
    assert channels.as_public(row, None)["hint"] == "…ken1"


@pytest.mark.parametrize("kind,values", [
    ("dingtalk", {"webhook": "https://evil.example.com/robot/send?access_token=abc"}),
    ("dingtalk", {"webhook": "abc", "secret": "not a secret!"}),
    ("slack", {"webhook": "https://hooks.slack.com/services/T/B"}),
    ("feishu", {"webhook": "http://open.feishu.cn/open-apis/bot/v2/hook/abc"}),
    ("telegram", {"bot_token": "nope", "chat_id": "1"}),
    ("webhook", {"url": "file:///etc/passwd"}),
    ("webhook", {"url": "https://user:pw@example.com/x"}),
    ("email", {"smtp_host": "smtp.example.com", "sender": "a@b.c", "to": "x\r\nBcc: y@z"}),
    ("ntfy", {"topic": "a/b"}),
    ("carrier-pigeon", {}),
])
def test_malformed_values_are_refused(session, alice, kind, values):
    with pytest.raises(InvalidInput):
        channels.add(session=session, user=alice, kind=kind, values=values)
