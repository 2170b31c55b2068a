"""Generated server text through every screen that shows it: Rich markup, C0/C1 controls, escape
sequences (colours, screen clears, OSC 8 links, OSC 52 clipboard writes), bidi and zero-width
characters, very long strings, deep JSON, extreme numbers and fields of the wrong type go into one
insight (name, description, tags, query, result, people, activity, share passwords, access
entries). The list, the editor's three tabs, the insight's activity feed and the sharing panel's
two tabs must stay up, paint none of those characters, and let no markup take effect (no link, no
click action, no colour of its own); short names show literally, brackets and all."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import io
import re
import string
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.segment import Segment
from support import SANDBOX_BASE_URL, make_api, until
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tui.app import HogApp
from tui.config import Profile
from tui.drafts import DraftStore
from tui.safe_text import INVISIBLE_CHARACTERS, clean
from tui.sandbox import DEFAULT_PROJECT_ID, SandboxConfig, create_app
from tui.sandbox.activity import activity_entry, change
from tui.sandbox.seed_access import access_entry
from tui.sandbox.timeutil import iso
from tui.screens.activity import ActivityScreen
from tui.screens.insight_detail import InsightDetailScreen
from tui.screens.insight_list import InsightListScreen
from tui.screens.sharing import SharingScreen
from tui.session import Session

# What markup would do if it took effect: these never come from the app itself.
EVIL_LINK = "https://evil.zqx/"
EVIL_ACTION = "evil_zqx"
EVIL_COLOURS = {"#ff0001", "#00ff02"}
MARKUP = [
    "[bold]",
    "[/bold]",
    f"[link={EVIL_LINK}]",  # Rich's form (Textual's parser raises on it)
    f'[link="{EVIL_LINK}"]',  # Textual's form
    "[/link]",
    f"[@click=app.{EVIL_ACTION}]",
    "[@click=app.quit]",
    "[/]",
    "[#ff0001]",
    "[on #00ff02]",
    "[b red]",
    "\\[",
    "[",
    "]",
]
ESCAPES = [
    "\x1b[31m",
    "\x1b[0m",
    "\x1b[2J",
    "\x1b[H",
    f"\x1b]8;;{EVIL_LINK}\x1b\\",
    "\x1b]8;;\x1b\\",
    f"\x1b]8;;{EVIL_LINK}\x07",
    "\x1b]52;c;ZXZpbA==\x07",
    "\x1b]0;pwned\x07",
    "\x1bP+q544e\x1b\\",
    "\x9b31m",
    "\x1bc",
    "\x1b",
]
CONTROLS = [chr(code) for code in [*range(0x20), *range(0x7F, 0xA0)]]
INVISIBLE = sorted(INVISIBLE_CHARACTERS)
# Letters and punctuation that are one cell wide, so what is shown can be matched literally.
PLAIN = string.ascii_letters + string.digits + " -_.,:;!?'\"(){}<>/|=+*&^%$#@~`"
#: What must never be painted: controls (escape included) and the invisible characters.
FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f" + "".join(INVISIBLE) + "]")

pieces = st.one_of(
    st.sampled_from(MARKUP),
    st.sampled_from(ESCAPES),
    st.sampled_from(CONTROLS),
    st.sampled_from(INVISIBLE),
    st.text(alphabet=PLAIN, min_size=1, max_size=10),
)
server_text = st.one_of(
    st.lists(pieces, min_size=1, max_size=8).map("".join),
    st.builds(
        lambda text, times: text * times,
        st.lists(pieces, max_size=4).map("".join),
        st.integers(200, 2000),
    ),
)
extreme_numbers = st.sampled_from(
    [1e308, -1e308, 10**300, -(10**300), 10**400, "NaN", "Infinity", "-Infinity", None, "x", True]
)
wrong_types = st.one_of(
    st.integers(-(10**20), 10**20),
    # Finite only: the sandbox's JSON (like PostHog's) cannot carry NaN or Infinity as numbers;
    # they come as strings ("NaN", "Infinity") in `extreme_numbers`.
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(PLAIN, max_size=3), st.integers(), max_size=2),
)


def deep(levels: int, leaf: Any) -> Any:
    value: Any = leaf
    for level in range(levels):
        value = {"kind": "Nested", "inner": value} if level % 2 else [value]
    return value


def hogql(text: str) -> dict[str, Any]:
    return {"kind": "DataVisualizationNode", "source": {"kind": "HogQLQuery", "query": text}}


queries = st.one_of(
    server_text.map(hogql),
    st.builds(
        lambda levels, leaf: {"kind": "InsightVizNode", "source": deep(levels, leaf)},
        st.sampled_from([5, 100, 200, 600]),
        server_text,
    ),
    server_text,
    wrong_types,
)
series = st.fixed_dictionaries(
    {
        "label": st.one_of(server_text, wrong_types),
        "count": extreme_numbers,
        "data": st.lists(extreme_numbers, min_size=1, max_size=4),
        "labels": st.lists(st.one_of(server_text, wrong_types), min_size=1, max_size=4),
        "days": st.lists(server_text, max_size=4),
    }
)
results = st.one_of(st.lists(series, min_size=1, max_size=3), server_text, wrong_types)


@dataclass(frozen=True)
class Hostile:
    """What the server sends about one insight and everything around it."""

    name: Any
    description: Any
    tags: Any
    favorited: Any
    query: Any
    result: Any
    person: Any
    note: Any


hostile = st.builds(
    Hostile,
    name=st.one_of(server_text, server_text, wrong_types),
    description=st.one_of(server_text, wrong_types),
    tags=st.one_of(
        st.lists(server_text, max_size=4), st.lists(wrong_types, max_size=2), server_text
    ),
    favorited=st.one_of(st.booleans(), wrong_types, server_text),
    query=queries,
    result=results,
    person=st.one_of(server_text, wrong_types),
    note=st.one_of(server_text, wrong_types),
)


def plant(state: Any, case: Hostile) -> int:
    """Put `case` into the first seeded Trends insight (made the newest, so the list shows it
    first), its activity, share passwords and access entries; the id."""
    insight = next(
        row
        for row in sorted(state.insights.values(), key=lambda row: row["id"])
        if not row["deleted"]
        and (row.get("query") or {}).get("source", {}).get("kind") == "TrendsQuery"
    )
    insight_id: int = insight["id"]
    calculable = {**insight, "query": copy.deepcopy(insight["query"])}
    person = {"id": 999, "uuid": "u-999", "first_name": case.person, "email": case.note}
    insight.update(
        name=case.name,
        description=case.description,
        tags=case.tags,
        favorited=case.favorited,
        query=case.query,
        last_modified_at=iso(state.now()),
        created_by=person,
        last_modified_by=person,
    )
    computed = state.computed

    def hostile_result(row: dict[str, Any], dashboard_id: int | None) -> Any:
        if row["id"] != insight_id:
            return computed(row, dashboard_id)
        return dataclasses.replace(computed(calculable, dashboard_id), result=case.result)

    state.computed = hostile_result
    state.cache_key = lambda row, dashboard_id: f"cache_hostile_{row['id']}_{dashboard_id}"
    state.activity.append(
        activity_entry(
            state.rng,
            activity="updated",
            insight=insight,
            user={"first_name": case.person, "email": case.note},
            when=state.now(),
            changes=[
                change("name", case.note, case.name),
                change("description", case.description, case.person),
                change("tags", case.tags, [case.note]),
                change("query", deep(200, case.note), case.query),
            ],
            name=case.name if isinstance(case.name, str) else None,
        )
    )
    config = state.sharing_config(insight)
    config.update(enabled=True, password_required=True, created_at=iso(state.now()))
    config["access_token"] = f"tok{case.note}"
    state.share_passwords[insight_id] = [
        {
            "id": "p1",
            "created_at": iso(state.now()),
            "note": case.note,
            "created_by_email": case.person,
            "is_active": True,
        }
    ]
    state.access_controls[insight_id] = [
        access_entry(insight_id, "viewer", member=str(case.note), created_by=999, when="x"),
        {
            **access_entry(insight_id, "editor", role="r", created_by=999, when="x"),
            "access_level": case.note,
        },
    ]
    return insight_id


def painted(app: HogApp) -> list[Segment]:
    """The text segments of the screen as they go to the terminal (cursor moves left out)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
        safe_box=False,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    assert update is not None
    return [segment for segment in console.render(update) if not segment.control]


def check_screen(app: HogApp, where: str) -> str:
    """The app is up, and the screen paints nothing forbidden and no markup's effect; returns
    the painted text."""
    assert app.return_code is None and app._exception is None, f"{where}: the app ended"
    segments = painted(app)
    text = "".join(segment.text for segment in segments).replace("\n", "")
    forbidden = sorted({f"U+{ord(c):04X}" for c in FORBIDDEN.findall(text)})
    assert not forbidden, f"{where}: painted {forbidden}"
    for segment in segments:
        style = segment.style
        if style is None:
            continue
        assert not (style.link and "evil" in style.link), f"{where}: a link took effect"
        click = str(style.meta.get("@click", "")) if style._meta else ""
        assert EVIL_ACTION not in click and "quit" not in click, f"{where}: a click took effect"
        for colour in (style.color, style.bgcolor):
            if colour is not None and colour.triplet is not None:
                assert colour.triplet.hex not in EVIL_COLOURS, f"{where}: a colour took effect"
    return text


async def settle(pilot: Pilot[Any], check: Any) -> None:
    await until(pilot, check, timeout=20)
    await pilot.pause()


async def out_of_fields(pilot: Pilot[Any]) -> None:
    """esc out of a text field (esc anywhere else would close the editor)."""
    if isinstance(pilot.app.focused, Input | TextArea):
        await pilot.press("escape")


async def drive(case: Hostile, drafts: Path) -> None:
    server = create_app(
        SandboxConfig(
            insights=8,
            seed=5,
            query_seconds=0.1,
            rate_limit_per_minute=None,
            rate_limit_per_hour=None,
        )
    )
    insight_id = plant(server.state.sandbox, case)
    session = Session(
        profile=Profile(name="hostile", host=SANDBOX_BASE_URL, project_id=DEFAULT_PROJECT_ID),
        api=make_api(server),
        drafts=DraftStore(drafts),
    )
    app = HogApp(session=session)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        listing = app.screen
        assert isinstance(listing, InsightListScreen)
        message = listing.query_one("#list-message")
        await settle(
            pilot,
            lambda: (
                (listing.table.row_count or "-visible" in message.classes) and not listing.is_busy
            ),
        )
        check_screen(app, "list")

        editor = InsightDetailScreen(insight_id)
        await app.push_screen(editor)
        await settle(pilot, lambda: editor.loaded or editor.load_failed is not None)
        shown = check_screen(app, "editor: results")
        name = clean(case.name) if isinstance(case.name, str) else ""
        name_field = editor.query_one("#name", Input)
        if 0 < len(name) <= 60 and editor.loaded and name_field.region.y >= 0:
            assert name in shown, f"the name is not shown literally: {name!r}"
        for tab, where in (("2", "query"), ("3", "info")):
            await out_of_fields(pilot)
            await pilot.press(tab)
            await pilot.pause()
            check_screen(app, f"editor: {where}")

        await out_of_fields(pilot)
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, ActivityScreen))
        feed = app.screen
        assert isinstance(feed, ActivityScreen)
        await settle(pilot, lambda: not feed.fetching and (feed.total is not None or feed.failure))
        await pilot.press("g", "enter")  # the newest entry (ours), opened up with its diff
        await pilot.pause()
        check_screen(app, "activity")
        await pilot.press("q")
        await settle(pilot, lambda: app.screen is editor)

        await out_of_fields(pilot)
        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, SharingScreen))
        panel = app.screen
        assert isinstance(panel, SharingScreen)
        await settle(pilot, lambda: panel.sharing is not None or panel.share_problem is not None)
        check_screen(app, "sharing")
        await pilot.press("tab")
        await settle(
            pilot,
            lambda: (
                not panel.access_loading
                and (panel.controls is not None or panel.access_problem is not None)
            ),
        )
        check_screen(app, "access")
        await pilot.press("q")
        await settle(pilot, lambda: app.screen is editor)
        check_screen(app, "editor, back from the panels")


@settings(
    max_examples=15,
    deadline=None,
    database=None,  # nothing written into the working tree; a failing case is printed
    # No shrinking: each example runs the whole app, and the failing case is printed as found.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=hostile)
def test_hostile_server_text_stays_data_on_every_screen(case: Hostile) -> None:
    with tempfile.TemporaryDirectory(prefix="hogtui-hostile-") as drafts:
        asyncio.run(drive(case, Path(drafts)))
