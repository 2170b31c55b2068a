"""Seeded history that reads like a real team's: for a handful of insights, edits over past days
by different people (name, description, tags, a query whose date range changed) and a system
query upgrade; a share turned on and off, one protected by a password with a failed login; and,
for every seeded share, the OpenGraph export PostHog logs with it.

Then every insight's edits are made consistent with its current values (a field's last `after` is
its value now, each `before` the `after` of the edit before it), and every entry names the insight
as it was named then. All of it is drawn from a `random.Random` of its own, after the main seed, so
the insights themselves stay exactly as the seed made them.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from .activity import EXPORTED, SYSTEM, activity_entry, change, export_change, login_change
from .ids import access_token, make_uuid, password_hash
from .timeutil import iso, parse_iso

if TYPE_CHECKING:
    from .seed_data import SeedData

RICH_INSIGHTS = 5
_DATE_RANGES = ("-7d", "-14d", "-30d", "-90d", "-180d")
_EDITS = frozenset({"updated", "deleted", "restored"})
_TRACKED = ("name", "description", "tags", "favorited", "query", "deleted")
_SHARE_SETTINGS = {"whitelabel": False, "noHeader": False, "showInspector": False}


def add_history(data: SeedData, seed_value: int, now: dt.datetime) -> None:
    rng = random.Random(f"{seed_value}-history")
    _add_exports(data, rng)
    rich = _pick_rich(data, rng)
    for insight in rich:
        _replace_edits(data, rng, insight)
    unshared = [insight for insight in rich if insight["id"] not in data.sharing]
    if unshared:
        _password_share(data, rng, unshared[0], now)
    if len(unshared) > 1:
        _short_share(data, rng, unshared[1], now)
    data.activity.sort(key=lambda entry: str(entry["created_at"]))
    _make_consistent(data, rng)


def _log(
    data: SeedData,
    rng: random.Random,
    activity: str,
    insight: dict[str, Any],
    user: dict[str, Any] | None,
    when: dt.datetime,
    changes: list[dict[str, Any]] | None,
) -> None:
    data.activity.append(
        activity_entry(
            rng, activity=activity, insight=insight, user=user, when=when, changes=changes
        )
    )


def _add_exports(data: SeedData, rng: random.Random) -> None:
    """PostHog renders an OpenGraph image whenever sharing is switched on, and logs it as a
    system entry."""
    for entry in [e for e in data.activity if e["activity"] == "sharing enabled"]:
        insight = data.insights[int(entry["item_id"])]
        when = parse_iso(entry["created_at"]) + dt.timedelta(seconds=2)
        _log(data, rng, EXPORTED, insight, SYSTEM, when, [export_change()])


def _pick_rich(data: SeedData, rng: random.Random) -> list[dict[str, Any]]:
    """Named, live insights edited over at least five days."""
    eligible = [
        insight
        for insight in sorted(data.insights.values(), key=lambda i: i["id"])
        if not insight["deleted"]
        and insight["name"]
        and parse_iso(insight["last_modified_at"]) - parse_iso(insight["created_at"])
        >= dt.timedelta(days=5)
    ]
    chosen = rng.sample(eligible, min(RICH_INSIGHTS, len(eligible)))
    return sorted(chosen, key=lambda i: i["id"])


def _replace_edits(data: SeedData, rng: random.Random, insight: dict[str, Any]) -> None:
    """Swap the insight's random edits for a story that ends in its current values, the last
    edit by its last modifier at its last_modified_at."""
    item = str(insight["id"])
    data.activity[:] = [
        e for e in data.activity if not (e["item_id"] == item and e["activity"] == "updated")
    ]
    created = parse_iso(insight["created_at"])
    span = parse_iso(insight["last_modified_at"]) - created
    steps = _edit_steps(insight, rng)
    previous: dict[str, Any] | None = None
    for position, (who, changes) in enumerate(steps, start=1):
        if who == "editor":
            user: dict[str, Any] = insight["last_modified_by"]
        elif who == "system":
            user = SYSTEM
        else:
            user = rng.choice([u for u in data.users if u is not previous] or data.users)
        previous = user
        fraction = position / len(steps)
        if position < len(steps):
            fraction -= rng.uniform(0, 0.4) / len(steps)
        _log(data, rng, "updated", insight, user, created + span * fraction, changes)


def _edit_steps(
    insight: dict[str, Any], rng: random.Random
) -> list[tuple[str, list[dict[str, Any]]]]:
    """(who, changes) oldest first, built backwards from the insight's values now."""
    name: str | None = insight["name"]
    description: str | None = insight["description"]
    tags: list[str] = list(insight["tags"])
    query = copy.deepcopy(insight["query"])
    newest_first: list[tuple[str, list[dict[str, Any]]]] = []

    older_tags = tags[:-1] if tags else ["draft"]
    newest_first.append(("editor", [change("tags", older_tags, tags)]))

    older_query = _tweak_query(query, rng)
    newest_first.append(("someone", [change("query", older_query, query)]))
    query = older_query

    older_name = f"{name} (WIP)"
    older_description = None if description else "TODO: explain what this counts."
    newest_first.append(
        (
            "someone",
            [
                change("name", older_name, name),
                change("description", older_description, description),
            ],
        )
    )
    name = older_name

    before_upgrade = _before_upgrade(query)
    if before_upgrade is not None:
        newest_first.append(("system", [change("query", before_upgrade, query)]))

    newest_first.append(("someone", [change("name", None, name)]))  # it started unnamed
    return newest_first[::-1]


def _source(query: dict[str, Any]) -> dict[str, Any]:
    source = query.get("source")
    return source if isinstance(source, dict) else query


def _tweak_query(query: Any, rng: random.Random) -> Any:
    """A copy of `query` that differs in one nested value, as an earlier version would."""
    if not isinstance(query, dict):
        return {"kind": "InsightVizNode", "source": {"kind": "TrendsQuery", "series": []}}
    older = copy.deepcopy(query)
    source = _source(older)
    date_range = source.get("dateRange")
    text = source.get("query")
    select = source.get("select")
    if isinstance(date_range, dict):
        current = date_range.get("date_from")
        date_range["date_from"] = rng.choice([r for r in _DATE_RANGES if r != current])
    elif isinstance(text, str):
        source["query"] = (
            text.replace("limit 20", "limit 10") if "limit 20" in text else (text + "\nlimit 100")
        )
    elif isinstance(select, list) and len(select) > 1:
        source["select"] = select[:-1]
    else:
        source["filterTestAccounts"] = not source.get("filterTestAccounts", False)
    return older


def _before_upgrade(query: Any) -> dict[str, Any] | None:
    """The query as it was before PostHog's schema upgrade stamped a `version` on it."""
    if not isinstance(query, dict) or "version" not in _source(query):
        return None
    older = copy.deepcopy(query)
    del _source(older)["version"]
    return older


def _password_share(
    data: SeedData, rng: random.Random, insight: dict[str, Any], now: dt.datetime
) -> None:
    """Shared, then protected with a password (each PATCH logs by the state it leaves), one
    visitor in, one wrong password, then switched off again."""
    created = parse_iso(insight["created_at"])
    enabled_at = now - (now - created) * rng.uniform(0.2, 0.4)
    protected_at = enabled_at + dt.timedelta(minutes=4)
    sharer = rng.choice(data.users)
    token = access_token(rng)
    password = {
        "id": make_uuid(rng),
        "created_at": iso(protected_at + dt.timedelta(minutes=1)),
        "note": "Board deck",
        "created_by_email": sharer["email"],
        "is_active": True,
        "hash": password_hash(access_token(rng)),
    }
    for moment in (enabled_at, protected_at):
        _log(data, rng, "sharing enabled", insight, sharer, moment, [change("sharing", None, True)])
        _log(
            data,
            rng,
            EXPORTED,
            insight,
            SYSTEM,
            moment + dt.timedelta(seconds=2),
            [export_change()],
        )
    span = now - protected_at
    visit = login_change(token, "198.51.100.23", success=True, password=password)
    _log(data, rng, "share_login_success", insight, None, protected_at + span * 0.2, [visit])
    miss = login_change(token, "203.0.113.77", success=False)
    _log(data, rng, "share_login_failed", insight, None, protected_at + span * 0.45, [miss])
    closer = rng.choice(data.users)
    off = [change("sharing", None, False)]
    _log(data, rng, "sharing disabled", insight, closer, protected_at + span * 0.7, off)
    data.sharing[insight["id"]] = {
        "created_at": iso(enabled_at),
        "enabled": False,
        "access_token": token,
        "settings": dict(_SHARE_SETTINGS),
        "password_required": True,
        "share_passwords": [],
    }
    data.share_passwords[insight["id"]] = [password]


def _short_share(
    data: SeedData, rng: random.Random, insight: dict[str, Any], now: dt.datetime
) -> None:
    """Shared for a while, then switched off."""
    created = parse_iso(insight["created_at"])
    enabled_at = now - (now - created) * rng.uniform(0.3, 0.6)
    disabled_at = enabled_at + (now - enabled_at) * rng.uniform(0.2, 0.6)
    sharer = rng.choice(data.users)
    _log(data, rng, "sharing enabled", insight, sharer, enabled_at, [change("sharing", None, True)])
    export_at = enabled_at + dt.timedelta(seconds=2)
    _log(data, rng, EXPORTED, insight, SYSTEM, export_at, [export_change()])
    off = [change("sharing", None, False)]
    _log(data, rng, "sharing disabled", insight, rng.choice(data.users), disabled_at, off)
    data.sharing[insight["id"]] = {
        "created_at": iso(enabled_at),
        "enabled": False,
        "access_token": access_token(rng),
        "settings": dict(_SHARE_SETTINGS),
        "password_required": False,
        "share_passwords": [],
    }


def _make_consistent(data: SeedData, rng: random.Random) -> None:
    """Walk each insight's entries newest first from its current values: every change ends in
    the value the field had then, and every entry names the insight as it was named then."""
    by_item: dict[str, list[dict[str, Any]]] = {}
    for entry in data.activity:  # oldest first
        by_item.setdefault(entry["item_id"], []).append(entry)
    for item, entries in by_item.items():
        insight = data.insights[int(item)]
        # Values are shared, not copied: nothing changes a stored value in place (an update
        # replaces it), and 10,000 insights must seed in a moment.
        state = {name: insight[name] for name in _TRACKED}
        for entry in reversed(entries):
            entry["detail"]["name"] = state["name"] or insight["derived_name"]
            if entry["activity"] not in _EDITS:
                continue
            for edit in entry["detail"]["changes"] or []:
                name = edit["field"]
                if name not in state:
                    continue
                edit["after"] = state[name]
                if edit["before"] == edit["after"]:
                    edit["before"] = _different(name, edit["after"], rng)
                state[name] = edit["before"]


def _different(name: str, value: Any, rng: random.Random) -> Any:
    """A plausible earlier value of a field, never equal to `value`."""
    if name == "name":
        return f"{value} (draft)" if value else "Untitled draft"
    if name == "description":
        return None if value else "Explains the metric."
    if name == "tags":
        return list(value[:-1]) if value else ["draft"]
    if name in ("favorited", "deleted"):
        return not value
    if name == "query":
        return _tweak_query(value, rng)
    return None if value is not None else ""
