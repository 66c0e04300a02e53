"""Where an allow-listed target may be dialled: never this machine or its link."""

from __future__ import annotations

import asyncio

import pytest

from worker.egress.dial import addresses_for
from worker.egress.target import Refused, parse_authority


def _dial(text: str, *, allow_private: bool = False, answers=("93.184.216.34",)):
    asked = []

    async def resolver(host, port):
        asked.append(host)
        return list(answers)
    authority = parse_authority(text, default_port=443)
    got = asyncio.run(addresses_for(authority, resolver=resolver, allow_private=allow_private,
                                    timeout=1))
    return got, asked


@pytest.mark.parametrize("text", ["127.0.0.1:6379", "[::1]:443", "[::ffff:127.0.0.1]:443",
                                  "169.254.169.254:80", "0.0.0.0:443", "[fe80::1]:443"])
def test_a_listed_literal_on_this_machine_or_its_link_is_refused(text):
    with pytest.raises(Refused) as err:
        _dial(text)
    assert err.value.reason == "private_address"


def test_a_listed_public_literal_is_dialled_as_written_without_dns():
    assert _dial("203.0.113.7:443") == (["203.0.113.7"], [])


def test_a_name_keeps_only_its_public_addresses():
    got, asked = _dial("api.example.com:443", answers=("10.0.0.1", "93.184.216.34", "::1"))
    assert (got, asked) == (["93.184.216.34"], ["api.example.com"])


def test_a_name_with_only_private_addresses_is_refused():
    with pytest.raises(Refused) as err:
        _dial("api.example.com:443", answers=("127.0.0.1",))
    assert err.value.reason == "private_address"


def test_tests_may_lift_the_rule_for_their_own_loopback_servers():
    assert _dial("127.0.0.1:8080", allow_private=True)[0] == ["127.0.0.1"]
