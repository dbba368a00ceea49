"""Which message answers a request."""

from __future__ import annotations

import pytest

from loadpulse.protocols.ws.matching import Incoming, matcher


def test_no_match_means_the_next_message() -> None:
    assert matcher(None, "anything") is None


def test_a_field_name_matches_the_json_object_carrying_the_sent_value() -> None:
    match = matcher("id", {"id": 7, "text": "hi"})
    assert match is not None
    assert match(Incoming('{"id": 7, "echo": "hi"}'))
    assert not match(Incoming('{"id": 8}'))
    assert not match(Incoming('{"other": 7}'))
    assert not match(Incoming("[7]"))
    assert not match(Incoming("not json"))
    assert not match(Incoming(b"\xff\xfe"))


def test_a_function_is_given_the_raw_message() -> None:
    match = matcher(lambda reply: reply.startswith("pong"), "ping")
    assert match is not None and match(Incoming("pong 1")) and not match(Incoming("other"))


def test_a_message_is_parsed_once_however_many_requests_look() -> None:
    msg = Incoming('{"a": 1}')
    first = msg.json()
    assert msg.json() is first


@pytest.mark.parametrize(
    ("match", "sent", "message"),
    [
        ("id", {"text": "no id"}, "send a dict that has 'id'"),
        ("id", "a string", "send a dict that has 'id'"),
        (3, "x", "match= takes None, a JSON field name or a function"),
    ],
)
def test_a_match_that_cannot_work_is_refused(match: object, sent: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        matcher(match, sent)
