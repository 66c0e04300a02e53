"""Each forge adapter against a scripted fake of that forge on loopback: the fake
checks the documented request shape and answers with the documented response."""

from __future__ import annotations

import pytest

from clawweb.services import forges
from clawweb.services.forges import ForgeError
from clawweb.services.remotes import urls
from clawweb.services.remotes.errors import RemoteError
from tests.support.fake_forges import FakeForge
from tests.support.git_servers import allow_loopback_remotes
from tests.support.no_dns import refuse_dns

TOKEN = "forge-token-unit-secret-42"
REPOS = {"github": "octo/app", "gitlab": "group/sub/app", "gitea": "team/app"}


@pytest.fixture
def loopback(settings, monkeypatch):
    allow_loopback_remotes(monkeypatch)
    yield
    from clawweb import settings as settings_mod
    settings_mod.get_settings.cache_clear()


@pytest.fixture(params=sorted(REPOS))
def fake(request, loopback):
    forge = FakeForge(request.param, TOKEN, REPOS[request.param],
                      branches={"main", "clawweb/task-7"}).start()
    yield forge
    forge.stop()


def _adapter(fake: FakeForge, token: str = TOKEN):
    remote = urls.parse(f"http://127.0.0.1:{fake.port}/{fake.repo}.git")
    return forges.for_remote(remote=remote, kind=fake.spec.kind, token=token,
                             api_url=fake.api_url if fake.spec.kind == "github" else "")


def test_open_request_sends_the_documented_shape(fake):
    pr = _adapter(fake).open_request(head="clawweb/task-7", base="main", title="Add it",
                                     body="Body *text*")
    assert pr.number == 1 and pr.state == "open"
    assert pr.url == fake.spec.answer(fake.pulls[1], fake.base_url).get(
        "html_url", fake.spec.answer(fake.pulls[1], fake.base_url).get("web_url"))
    sent = fake.requests[-1]
    assert sent["method"] == "POST"
    assert sent["path"] == fake.spec.create_path(fake.repo)
    assert sent["headers"]["Content-Type"] == "application/json"
    body = sent["json"]
    if fake.spec.kind == "gitlab":
        assert sent["path"].endswith("/projects/group%2Fsub%2Fapp/merge_requests")
        assert sent["headers"]["PRIVATE-TOKEN"] == TOKEN
        assert body == {"source_branch": "clawweb/task-7", "target_branch": "main",
                        "title": "Add it", "description": "Body *text*"}
    else:
        assert body == {"head": "clawweb/task-7", "base": "main", "title": "Add it",
                        "body": "Body *text*"}
    if fake.spec.kind == "github":
        assert sent["headers"]["Authorization"] == f"Bearer {TOKEN}"
        assert sent["headers"]["X-GitHub-Api-Version"] == "2022-11-28"
    if fake.spec.kind == "gitea":
        assert sent["headers"]["Authorization"] == f"token {TOKEN}"


def test_request_state_follows_the_forge(fake):
    adapter = _adapter(fake)
    pr = adapter.open_request(head="clawweb/task-7", base="main", title="t", body="")
    assert adapter.request_state(pr.number).state == "open"
    fake.set_state(pr.number, "merged")
    merged = adapter.request_state(pr.number)
    assert (merged.state, merged.number, merged.url) == ("merged", pr.number, pr.url)
    fake.set_state(pr.number, "closed")
    assert adapter.request_state(pr.number).state == "closed"
    assert fake.requests[-1]["method"] == "GET"
    assert fake.requests[-1]["path"] == f"{fake.spec.create_path(fake.repo)}/{pr.number}"


def test_wrong_token_is_refused_and_never_echoed(fake):
    with pytest.raises(ForgeError) as err:
        _adapter(fake, token="wrong-token-value").open_request(
            head="clawweb/task-7", base="main", title="t", body="")
    assert err.value.key == "forges.auth_failed"
    assert "wrong-token-value" not in f"{err.value} {err.value.detail} {err.value.params}"
    assert not fake.pulls


def test_rejections_come_back_as_the_forges_reason(fake):
    adapter = _adapter(fake)
    with pytest.raises(ForgeError) as err:
        adapter.open_request(head="no-such-branch", base="main", title="t", body="")
    assert err.value.key == "forges.rejected" and "no-such-branch" in err.value.detail
    adapter.open_request(head="clawweb/task-7", base="main", title="t", body="")
    with pytest.raises(ForgeError) as again:
        adapter.open_request(head="clawweb/task-7", base="main", title="t", body="")
    assert again.value.key == "forges.rejected" and "already exists" in again.value.detail


def test_redirects_are_never_followed(loopback):
    target = FakeForge("gitea", TOKEN, "team/app").start()
    origin = FakeForge("gitea", TOKEN, "team/app").start()
    origin.redirect_to = target.base_url
    try:
        with pytest.raises(ForgeError) as err:
            _adapter(origin).open_request(head="main", base="main", title="t", body="")
        assert err.value.key == "forges.redirect_refused"
        assert len(origin.requests) == 1 and target.requests == []
    finally:
        origin.stop()
        target.stop()


def test_kind_is_guessed_from_the_host_or_must_be_set(settings, monkeypatch):
    asked = refuse_dns(monkeypatch)  # a check that broke must not reach a real forge
    assert forges.guess_kind("github.com") == "github"
    assert forges.guess_kind("gitlab.com") == "gitlab"
    assert forges.guess_kind("codeberg.org") == "gitea"
    assert forges.guess_kind("git.example.org") == ""
    with pytest.raises(ForgeError) as err:
        forges.for_remote(remote=urls.parse("https://git.example.org/o/r.git"), kind="",
                          token=TOKEN)
    assert err.value.key == "forges.unknown"
    with pytest.raises(ForgeError) as err:
        forges.for_remote(remote=urls.parse("https://github.com/o/r.git"), kind="",
                          token="")
    assert err.value.key == "forges.token_required" and asked == []


def test_api_roots(settings):
    gh = urls.parse("git@github.com:o/r.git")
    assert forges.api_base("github", gh) == "https://api.github.com"
    assert forges.api_base("github", urls.parse("https://ghe.example.com/o/r")) == \
        "https://ghe.example.com/api/v3"
    assert forges.api_base("gitlab", urls.parse("ssh://git@gl.example.com:2222/g/r")) == \
        "https://gl.example.com/api/v4"
    assert forges.api_base("gitea", urls.parse("https://git.example.org:3000/o/r")) == \
        "https://git.example.org:3000/api/v1"
    assert forges.api_base("gitea", gh, "https://codeberg.org/api/v1/") == \
        "https://codeberg.org/api/v1"


def test_api_override_is_checked_like_a_remote(settings, monkeypatch):
    asked = refuse_dns(monkeypatch)
    for bad, key in (("http://127.0.0.1:3000/api/v1", "remotes.url_not_public"),
                     ("http://codeberg.org/api/v1", "remotes.url_http_not_allowed"),
                     ("https://u:p@codeberg.org/api/v1", "remotes.url_credentials"),
                     ("file:///etc/passwd", "remotes.url_unsupported")):
        with pytest.raises(RemoteError) as err:
            forges.check_api_url(bad)
        assert err.value.key == key, bad
    assert asked == []


def test_github_and_gitea_need_owner_and_name(loopback, monkeypatch):
    asked = refuse_dns(monkeypatch)  # a path check that broke must not call GitHub
    remote = urls.parse("https://github.com/a/b/c.git")
    adapter = forges.for_remote(remote=remote, kind="github", token=TOKEN)
    with pytest.raises(ForgeError) as err:
        adapter.open_request(head="x", base="main", title="t", body="")
    assert err.value.key == "forges.repo_path_invalid" and asked == []
