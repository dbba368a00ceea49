from __future__ import annotations

import pytest

from loadpulse.metrics.name_template import template, templates


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("GET /item/123", "GET /item/{id}"),
        ("GET /item/123?page=2#top", "GET /item/{id}"),
        ("/users/3f2504e0-4f89-11d3-9a0c-0305e82c3301/orders/7", "/users/{id}/orders/{id}"),
        ("GET /blob/0123456789abcdef0123", "GET /blob/{id}"),
        ("GET /t/aZ3kQ9xLmN0pR7sT2uVw", "GET /t/{id}"),
        ("GET /a/u42", "GET /a/{id}"),
        ("GET /day/2024-01-05", "GET /day/{id}"),
        ("GET /v1/items/55", "GET /v1/items/{id}"),
        ("POST /api/messages", "POST /api/messages"),
        ("GET /item/abc", "GET /item/abc"),
        ("GET /", "GET /"),
        ("checkout", "checkout"),
    ],
)
def test_identifier_segments_become_a_placeholder(name: str, expected: str) -> None:
    assert template(name) == expected


def test_templates_are_distinct_and_most_frequent_first() -> None:
    names = ["GET /user/1", "GET /item/1", "GET /item/2", "GET /item/3", "GET /user/2", "GET /about"]
    assert templates(names) == ["GET /item/{id}", "GET /user/{id}", "GET /about"]
    assert templates(names, limit=1) == ["GET /item/{id}"]
    assert templates([]) == []


def test_numbers_inside_a_segment_are_folded_by_comparing_the_examples() -> None:
    alice = ["GET /u/alice1000/orders", "GET /u/alice1001/orders", "GET /u/alice1002/orders"]
    assert templates(alice) == ["GET /u/alice{id}/orders"]
    assert templates(["GET /x-5.html", "GET /x-77.html"]) == ["GET /x-{id}.html"]
    assert templates(["GET /v1/item/1", "GET /v1/item/2"]) == ["GET /v1/item/{id}"]  # shared: kept
    assert templates(["GET /item/1", "GET /item/2", "GET /other/path"]) == [
        "GET /item/{id}",
        "GET /other/path",
    ]
