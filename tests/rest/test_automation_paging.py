"""A project's schedules and webhooks over the REST API come in cursor pages, like every
other list (`limit`, `next_cursor`): each one once, in the list's order, and a cursor
that is not one of ours is 422."""

from __future__ import annotations

from tests.rest.test_schedules_api import NIGHTLY, api, as_, people  # noqa: F401 - fixtures


def _all_pages(api, path, headers, limit=2):  # noqa: F811 - the fixture's name
    pages, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        resp = api.get(path, params=params, headers=headers)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if not cursor:
            return pages


def test_schedules_come_in_cursor_pages(api, people):  # noqa: F811
    ids, pid, _ = people
    made = [api.post(f"/projects/{pid}/schedules", json={**NIGHTLY, "name": name},
                     headers=as_(ids["editor"])).json()["id"] for name in ("c", "a", "b", "a")]
    pages = _all_pages(api, f"/projects/{pid}/schedules", as_(ids["viewer"]))
    assert [len(p) for p in pages] == [2, 2]
    by_name = [made[1], made[3], made[2], made[0]]  # a, a (by id), b, c
    assert [i for p in pages for i in p] == by_name
    bad = api.get(f"/projects/{pid}/schedules", params={"cursor": "!!"},
                  headers=as_(ids["viewer"]))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "api.cursor_invalid"


def test_webhooks_come_in_cursor_pages(api, people):  # noqa: F811
    ids, pid, _ = people
    owner = as_(ids["owner"])
    made = [api.post(f"/projects/{pid}/webhooks", json={"forge": "github", "name": n},
                     headers=owner).json()["id"] for n in ("x", "y", "z")]
    pages = _all_pages(api, f"/projects/{pid}/webhooks", owner)
    assert pages == [made[:2], made[2:]]
    bad = api.get(f"/projects/{pid}/webhooks", params={"cursor": "!!"}, headers=owner)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "api.cursor_invalid"
