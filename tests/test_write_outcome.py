"""Which failed writes may still have been applied (so the editor asks the server before saying
"not saved" or sending again), and how a create whose answer was lost is recognised."""

from __future__ import annotations

from typing import Any

import pytest

from tui.api.errors import (
    ApiError,
    NetworkError,
    ServerError,
    UnexpectedResponseError,
    ValidationError,
    may_have_been_applied,
)
from tui.api.models import Insight
from tui.editing import NEW_INSIGHT_QUERY, Fields, InsightEdit, is_our_create


@pytest.mark.parametrize(
    ("error", "maybe"),
    [
        (NetworkError("connection broke", sent=True), True),
        (NetworkError("timed out waiting for the answer", sent=True, timeout=True), True),
        (NetworkError("could not connect", sent=False), False),
        (UnexpectedResponseError("cut off", status=201), True),
        (UnexpectedResponseError("a login page", status=302), False),
        (ServerError("bad gateway", status=502), True),
        (ServerError("gateway timeout", status=504), True),
        (ServerError("server error", status=500), False),
        (ValidationError("refused", status=400), False),
    ],
)
def test_which_failures_may_have_been_applied(error: ApiError, maybe: bool) -> None:
    assert may_have_been_applied(error) is maybe


def insight(**fields: Any) -> Insight:
    return Insight.model_validate({"id": 9, "short_id": "AbCdEfGh", **fields})


def test_a_create_is_recognised_by_name_query_description_and_tags() -> None:
    body = InsightEdit().create_body(
        Fields("Signups", "", ("b", "a"), False, '{"kind": "InsightVizNode", "source": {}}')
    )
    query = {"kind": "InsightVizNode", "source": {}}
    assert is_our_create(insight(name="Signups", query=query, tags=["a", "b"]), body)
    assert not is_our_create(
        insight(name="Signups", query=NEW_INSIGHT_QUERY, tags=["a", "b"]), body
    )
    assert not is_our_create(insight(name="Signups 2", query=query, tags=["a", "b"]), body)
    assert not is_our_create(insight(name="Signups", query=query, tags=["a"]), body)
    assert not is_our_create(
        insight(name="Signups", query=query, tags=["a", "b"], deleted=True), body
    )


def test_a_patch_is_applied_when_the_server_holds_every_field_sent() -> None:
    typed = Fields("New name", "", (), True, "")
    assert InsightEdit.applied(insight(name="New name", favorited=True), typed, {"name"})
    assert not InsightEdit.applied(insight(name="Old name"), typed, {"name"})
    # A field not sent may differ (someone else's change): it does not count.
    assert InsightEdit.applied(insight(name="New name", favorited=False), typed, {"name"})
