"""The list's pager on its own (no screen, no server): stale answers are dropped, the count and
"more to come" follow the server, failures back off (and honour a 429's wait), G's runs do not
trip over each other, and a delete can be undone only inside its window."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tui.api.errors import (
    NetworkError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)
from tui.api.models import Insight
from tui.api.row_pages import RowPage
from tui.insight_row import InsightRow
from tui.paging import (
    PAGE_SIZE,
    PREFETCH_ROWS,
    FilterState,
    Paging,
    SortOrder,
    UndoWindow,
    retry_wait,
)
from tui.screens.list_status import retry_text, rows_message, status_text

WAITS = (5.0, 10.0, 30.0)


def page(ids: range | list[int], *, count: int | None, more: bool = False) -> RowPage[InsightRow]:
    """A page holding insights `ids`, as the list reads it; `more`: the server gives a `next`
    link."""
    return RowPage(
        [InsightRow.of(Insight.model_validate({"id": i, "name": f"insight {i}"})) for i in ids],
        count,
        "https://posthog.example/api/next" if more else None,
    )


def asked() -> Paging:
    """A pager that has just asked for the first page."""
    return Paging().asked_first(now=100.0)


def keys(binding_id: str) -> str:
    return {"list.refresh": "^r", "list.clear": "esc", "list.new": "n"}[binding_id]


# --- what is asked ---------------------------------------------------------------------------


def test_filters_are_asked_as_the_apis_parameters():
    assert FilterState().query() == {
        "search": None,
        "favorited": False,
        "saved": None,  # off means "not asked", not "unsaved only"
        "mine": False,
        "order": "-last_modified_at",
    }
    narrowed = FilterState(search="  weekly ", chosen_sort=SortOrder.NAME).toggled("saved")
    assert narrowed.narrowed and narrowed.active
    assert narrowed.query()["search"] == "weekly"
    assert narrowed.query()["saved"] is True and narrowed.query()["order"] == "name"
    # Sorting hides nothing: the list is not "narrowed", but there is something to clear.
    sorted_only = FilterState(chosen_sort=SortOrder.NAME)
    assert not sorted_only.narrowed and sorted_only.active
    with pytest.raises(ValueError):
        FilterState().toggled("sort")


def test_a_search_keeps_the_servers_ranking_until_an_order_is_chosen():
    searching = FilterState(search="weekly")
    assert searching.sort is SortOrder.RELEVANCE and searching.sort.label == "relevance"
    assert searching.query()["order"] is None  # no `order`: PostHog keeps its ranking
    assert FilterState(search="   ").query()["order"] == "-last_modified_at"
    # s goes round: relevance, last modified, name, and relevance again.
    by_date = searching.next_sort()
    assert by_date.sort is SortOrder.LAST_MODIFIED
    assert by_date.query()["order"] == "-last_modified_at"
    by_name = by_date.next_sort()
    assert by_name.query()["order"] == "name"
    assert by_name.next_sort() == searching
    # Without a search the cycle is last modified and name; a chosen order outlives a search.
    chosen = FilterState().next_sort()
    assert chosen.sort is SortOrder.NAME
    assert replace(chosen, search="weekly").query()["order"] == "name"
    assert chosen.next_sort().sort is SortOrder.LAST_MODIFIED


# --- generations ----------------------------------------------------------------------------


def test_an_answer_for_an_older_question_is_dropped():
    first = asked()
    again = first.asked_first(now=101.0)
    assert not again.is_current(first.generation)
    late = again.arrived(first.generation, page(range(3), count=3), offset=0)
    assert late == again  # nothing taken from the stale answer
    assert late.count is None


def test_typing_a_search_makes_answers_on_their_way_stale():
    paging = asked()
    typed = paging.invalidated()
    assert not typed.is_current(paging.generation)
    assert typed.first_page_settled(paging.generation).loading  # not ours to settle


def test_the_first_page_settles_only_for_its_own_generation():
    paging = asked()
    assert paging.loading and paging.busy
    settled = paging.first_page_settled(paging.generation)
    assert not settled.loading and not settled.busy


# --- count and more to come ----------------------------------------------------------------


def test_count_follows_the_server():
    paging = asked()
    paging = paging.arrived(paging.generation, page(range(PAGE_SIZE), count=250), offset=0)
    assert paging.count == 250 and paging.has_more and paging.answered
    # Someone deleted a few meanwhile: the next page's count is the one that counts.
    more = paging.asked_more()
    more = more.arrived(more.generation, page(range(100, 200), count=240), offset=PAGE_SIZE)
    assert more.count == 240 and more.has_more


def test_no_more_once_the_count_is_reached():
    paging = asked()
    paging = paging.arrived(paging.generation, page(range(40), count=40), offset=0)
    assert not paging.has_more and not paging.can_load_more and not paging.can_load_to_end


def test_without_a_count_the_next_link_says_whether_more_follow():
    paging = asked()
    with_next = paging.arrived(paging.generation, page(range(100), count=None, more=True), 0)
    assert with_next.count is None and with_next.has_more
    last = paging.arrived(paging.generation, page(range(30), count=None), 0)
    assert not last.has_more


def test_an_empty_page_means_no_more_whatever_the_count_says():
    paging = asked()
    paging = paging.arrived(paging.generation, page([], count=500, more=True), offset=300)
    assert not paging.has_more


def test_changes_made_here_move_the_count_without_asking():
    paging = asked()
    paging = paging.arrived(paging.generation, page(range(2), count=2), offset=0)
    assert paging.count_changed(-1).count == 1
    assert paging.count_changed(-5).count == 0
    assert paging.count_changed(+1).count == 3
    assert Paging().count_changed(+1).count is None  # no count yet: nothing to move


def test_one_further_page_at_a_time():
    paging = asked()
    paging = paging.arrived(paging.generation, page(range(100), count=300), offset=0)
    paging = paging.first_page_settled(paging.generation)
    assert paging.can_load_more
    loading = paging.asked_more()
    assert loading.loading_more and not loading.can_load_more
    assert not loading.more_settled(loading.generation).loading_more


# --- backoff ----------------------------------------------------------------------------------


def test_the_wait_grows_with_each_failure_in_a_row_and_then_stays():
    down = NetworkError("unreachable")
    assert [retry_wait(down, n, WAITS) for n in range(5)] == [5, 10, 30, 30, 30]
    assert retry_wait(ServerError("502"), 1, WAITS) == 10


def test_a_429_is_never_retried_sooner_than_the_server_asks():
    assert retry_wait(RateLimitedError("slow down", retry_after=42.2), 0, WAITS) == 43
    # A shorter ask does not cut our own wait short.
    assert retry_wait(RateLimitedError("slow down", retry_after=1), 1, WAITS) == 10
    assert retry_wait(RateLimitedError("slow down"), 0, WAITS) == 5


def test_a_refusal_is_not_retried_by_itself():
    assert retry_wait(PermissionDeniedError("no access"), 0, WAITS) is None
    assert retry_wait(None, 0, WAITS) is None


def fail(paging: Paging, error: Exception, *, now: float, rows: bool = True) -> Paging:
    return paging.failed(
        error,
        first_page=True,
        sentence=f"Could not load the insights: {error}",
        waits=WAITS,
        now=now,
        rows_shown=rows,
    )


def test_failures_schedule_retries_that_back_off_until_a_page_comes():
    paging = fail(asked(), NetworkError("down"), now=200.0)
    assert not paging.busy and paging.retry_at == 205.0 and paging.failures == 1
    paging = fail(paging.asked_first(now=205.0), NetworkError("down"), now=206.0)
    assert paging.retry_at == 216.0 and paging.failures == 2
    # Asking again calls the retry off but remembers the failure ("trying again…").
    again = paging.asked_first(now=216.0)
    assert again.retry_at is None and again.failure is not None
    assert status_text(again, rows=5, now=216.5, slow_after=3.0, key=keys) == "trying again…"
    # A page ends the run of failures: the next failure waits the shortest time again.
    fine = again.arrived(again.generation, page(range(5), count=5), offset=0)
    assert fine.failure is None and fine.failures == 0
    assert fail(fine, NetworkError("down"), now=300.0).retry_at == 305.0


def test_a_failure_keeps_the_count_only_while_rows_are_shown():
    paging = asked()
    paging = paging.arrived(paging.generation, page(range(5), count=5), offset=0)
    assert fail(paging, ServerError("500"), now=1.0, rows=True).count == 5
    assert fail(paging, ServerError("500"), now=1.0, rows=False).count is None


def test_the_failure_is_said_with_when_it_is_tried_again():
    paging = fail(asked(), NetworkError("down"), now=200.0, rows=False)
    message = rows_message(paging, rows=0, narrowed=False, now=201.2, slow_after=3, key=keys)
    assert message is not None and message.error
    assert message.text == "Could not load the insights: down\nRetrying in 4 s (^r now)."
    refused = fail(asked(), PermissionDeniedError("no access"), now=200.0, rows=False)
    assert retry_text(refused, now=201.0, key=keys) == "Press ^r to retry."


# --- G: to the end ---------------------------------------------------------------------------


def loaded(rows: int, count: int) -> Paging:
    paging = asked()
    paging = paging.arrived(paging.generation, page(range(rows), count=count), offset=0)
    return paging.first_page_settled(paging.generation)


def test_G_says_how_many_rows_are_still_coming():
    run = loaded(100, 1000).asked_to_end()
    assert run.to_end is not None and run.busy
    assert status_text(run, rows=100, now=100.0, slow_after=3, key=keys) == (
        "loading 900 more… (any key stops)"
    )


def test_G_waits_for_a_further_page_already_on_its_way():
    more = loaded(100, 1000).asked_more()
    run = more.asked_to_end()
    assert run.to_end_waits and run.busy
    came = run.more_settled(run.generation)
    assert came.to_end is not None and came.to_end_waits  # still G's, until it goes on
    going = came.to_end_started()
    assert not going.to_end_waits and going.to_end == run.to_end
    # Without a page on its way the run does not wait; a key or a failure ends the waiting too.
    assert not loaded(100, 1000).asked_to_end().to_end_waits
    assert not run.to_end_stopped().to_end_waits


def test_cached_rows_are_said_to_be_cached_until_the_first_page_comes():
    saved = datetime.now(UTC) - timedelta(minutes=3)
    warm = asked().showing_cached(saved, count=9705)
    assert warm.count == 9705
    said = status_text(warm, rows=300, now=100.5, slow_after=3, key=keys)
    assert said == "cached 3 min ago · checking…"
    slow = status_text(warm, rows=300, now=104.0, slow_after=3, key=keys)
    assert slow is not None and slow.startswith("cached 3 min ago · no answer yet")
    fresh = warm.arrived(warm.generation, page(range(100), count=9706), offset=0)
    assert fresh.cached_at is None and fresh.count == 9706


def test_an_older_G_run_ending_leaves_the_newer_one_alone():
    first = loaded(100, 1000).asked_to_end()
    older = first.to_end
    second = first.to_end_stopped().asked_to_end()  # a key stopped it, then G again
    assert second.to_end != older
    assert second.to_end_stopped(older) == second
    done = second.to_end_stopped(second.to_end)
    assert done.to_end is None and not done.loading_more and not done.busy


def test_asking_the_first_page_again_ends_G_and_a_further_page():
    paging = loaded(100, 1000).asked_to_end()
    again = paging.asked_first(now=101.0)
    assert again.to_end is None and not again.loading_more and again.loading


def test_the_next_page_is_fetched_near_the_end_but_not_where_G_landed():
    paging = loaded(2 * PAGE_SIZE, 1000)
    rows = 2 * PAGE_SIZE
    assert not paging.wants_prefetch(rows - PREFETCH_ROWS - 1, rows)
    assert paging.wants_prefetch(rows - PREFETCH_ROWS, rows)
    landed = paging.landed_at(rows - 1)
    assert not landed.wants_prefetch(rows - 1, rows)
    assert landed.landed_at(None).wants_prefetch(rows - 1, rows)
    assert not paging.asked_to_end().wants_prefetch(rows - 1, rows)


# --- undo ------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_delete_can_be_undone_only_inside_its_window():
    clock = Clock()
    window: UndoWindow[str] = UndoWindow(30.0, clock)
    window.add("first", index=3)
    clock.now += 20
    window.add("second", index=0)
    latest = window.latest()
    assert latest is not None and latest.item == "second" and latest.index == 0
    clock.now += 15  # "first" is 35 s old, "second" 15 s
    taken = window.take()
    assert taken is not None and taken.item == "second"
    assert window.take() is None  # "first" expired meanwhile
    clock.now += 20
    assert window.latest() is None


def test_an_undo_that_failed_can_be_tried_again_while_the_window_lasts():
    clock = Clock()
    window: UndoWindow[str] = UndoWindow(30.0, clock)
    window.add("gone", index=7)
    entry = window.take()
    assert entry is not None and window.latest() is None
    window.put_back(entry)
    assert window.latest() == entry
    clock.now += 31
    assert window.take() is None


@pytest.mark.parametrize("narrowed", [True, False])
def test_an_empty_answer_says_what_to_do(narrowed: bool):
    paging = asked()
    paging = paging.arrived(paging.generation, page([], count=0), offset=0)
    paging = paging.first_page_settled(paging.generation)
    message = rows_message(paging, rows=0, narrowed=narrowed, now=0, slow_after=3, key=keys)
    assert message is not None and not message.error
    wanted = "Press esc to clear them." if narrowed else "Press n to create one."
    assert wanted in message.text
