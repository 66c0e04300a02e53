"""Two apprise plugins made to send exactly what their platforms document.

- DingTalk: apprise URL-quotes the signature and then hands it to requests as a
  query parameter, which quotes it again (``%2B`` becomes ``%252B``). DingTalk's
  documentation (and its own sample code) puts ``urlEncode(base64(hmac))`` in
  the URL once.
- Feishu: apprise posts to ``…/bot/v2/hook/<token>/``; the documented webhook
  has no trailing slash.

Both are subclasses under schemas of our own (``cwdingtalk://``, ``cwfeishu://``),
registered with apprise on import; apprise's own plugins stay as they are.
"""

from __future__ import annotations

from urllib.parse import unquote

from apprise.manager_plugins import NotificationManager
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.feishu import NotifyFeishu

DINGTALK = "cwdingtalk"
FEISHU = "cwfeishu"


class SignedOnceDingTalk(NotifyDingTalk):
    """DingTalk's custom robot with the signature encoded once."""

    secure_protocol = DINGTALK

    def get_signature(self):
        timestamp, quoted = super().get_signature()
        return timestamp, unquote(quoted)  # requests encodes the query itself


class DocumentedFeishu(NotifyFeishu):
    """Feishu's custom bot at its documented webhook URL."""

    secure_protocol = FEISHU
    notify_url = "https://open.feishu.cn/open-apis/bot/v2/hook/{token}"


def register() -> None:
    """Make the two schemas known to apprise (idempotent)."""
    manager = NotificationManager()
    for plugin, schema in ((SignedOnceDingTalk, DINGTALK), (DocumentedFeishu, FEISHU)):
        if schema not in manager:
            manager.add(plugin, schemas=schema)


register()
