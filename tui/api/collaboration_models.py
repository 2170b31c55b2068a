"""Models of the people side of an insight: its activity log, its public sharing (and share
passwords) and its access controls, tolerant of every server version we know.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from tui.api.quick_read import leaves_plain_values
from tui.api.wire import (
    Flag,
    IdText,
    OptBool,
    OptDatetime,
    OptDict,
    OptStr,
    OptText,
    OptUser,
    Strings,
    UserBasic,
    WireModel,
    count_of,
    fallback,
    link_of,
    only_dicts,
    parse_rows,
    whole_number,
)

__all__ = [
    "AccessControlEntry",
    "AccessControls",
    "ActivityChange",
    "ActivityDetail",
    "ActivityLogEntry",
    "ActivityPage",
    "NewSharePassword",
    "SharePassword",
    "SharingConfiguration",
    "parse_activity_page",
]


class ActivityChange(WireModel):
    """One field change in an activity entry."""

    type: OptStr = None
    action: OptStr = None
    field: OptStr = None
    before: Any = None
    after: Any = None


class ActivityDetail(WireModel):
    """The `detail` of an activity entry: what changed, on which item."""

    id: IdText = None
    changes: Annotated[list[ActivityChange] | None, BeforeValidator(only_dicts)] = None
    merge: Any = None
    trigger: OptDict = None
    name: OptText = None
    short_id: OptStr = None
    type: OptStr = None
    context: Any = None


class ActivityLogEntry(WireModel):
    """One entry of an insight's (or the project's insights') activity log."""

    id: IdText = None
    user: OptUser = None
    unread: OptBool = None
    organization_id: IdText = None
    was_impersonated: OptBool = None
    is_system: OptBool = None
    activity: Annotated[str, fallback("")] = ""
    item_id: IdText = None
    scope: OptStr = None
    detail: Annotated[ActivityDetail, fallback(ActivityDetail())] = Field(
        default_factory=ActivityDetail
    )
    created_at: OptDatetime = None

    @property
    def changes(self) -> list[ActivityChange]:
        return list(self.detail.changes or [])

    @property
    def is_system_entry(self) -> bool:
        """PostHog itself made the change: older servers flag the entry, current ones its user
        (`{"first_name": "System", "email": null, "is_system": true}`)."""
        return bool(self.is_system) or bool(self.user is not None and self.user.is_system)

    @property
    def actor(self) -> str:
        """Who did it, for display: "PostHog" for system entries, a person, or "Someone"."""
        if self.is_system_entry:
            return "PostHog"
        if self.user is not None:
            return self.user.display_name
        return "Someone"


class ActivityPage(WireModel):
    """One page of activity: page-based (`page`, `limit`), with `total_count`."""

    results: list[ActivityLogEntry] = Field(default_factory=list)
    next: OptStr = None
    previous: OptStr = None
    total_count: int = 0
    skipped: int = 0

    @property
    def has_next(self) -> bool:
        return self.next is not None


class SharePassword(WireModel):
    """One password of a password-protected share, as the sharing configuration lists it (the
    password itself is shown only once, when it is created)."""

    id: IdText = None
    created_at: OptDatetime = None
    note: OptStr = None
    created_by_email: OptStr = None
    is_active: OptBool = None


class NewSharePassword(WireModel):
    """The answer to adding a share password: the only time the server shows `password`."""

    id: IdText = None
    password: OptStr = None
    note: OptStr = None
    created_at: OptDatetime = None
    created_by_email: OptStr = None


class SharingConfiguration(WireModel):
    """An insight's public sharing: whether it is on, and the token of its public URL."""

    created_at: OptDatetime = None
    enabled: Flag = False
    access_token: OptStr = None
    settings: OptDict = None
    password_required: Flag = False
    share_passwords: Annotated[list[SharePassword], BeforeValidator(only_dicts)] = Field(
        default_factory=list
    )
    #: The caller's own level on the insight (current servers): below editor, no changes.
    user_access_level: OptStr = None


@leaves_plain_values
def _user_or_id(value: Any) -> Any:
    """`created_by` of an access-control entry: a user id now, a user object on older servers."""
    if isinstance(value, bool):
        return None
    return value if isinstance(value, dict) else whole_number(value)


class AccessControlEntry(WireModel):
    """One access level set on an insight: its default (no member, no role), or one member's or
    role's. Current servers send no `id`: the member or role is what tells entries apart."""

    access_level: OptStr = None
    resource: OptStr = None
    resource_id: IdText = None
    organization_member: IdText = None
    role: IdText = None
    created_by: Annotated[int | UserBasic | None, BeforeValidator(_user_or_id), fallback(None)] = (
        None
    )
    created_at: OptDatetime = None
    updated_at: OptDatetime = None

    @property
    def created_by_id(self) -> int | None:
        """The id of the user who set it, whichever form the server sent."""
        if isinstance(self.created_by, UserBasic):
            return self.created_by.id
        return self.created_by


class AccessControls(WireModel):
    """An insight's access controls (`GET …/insights/:id/access_controls`): the entries set on
    it, the levels the server offers, and the range (`minimum_access_level` to
    `maximum_access_level`) an entry may be set to."""

    access_controls: Annotated[list[AccessControlEntry], BeforeValidator(only_dicts)] = Field(
        default_factory=list
    )
    available_access_levels: Strings = Field(default_factory=list)
    default_access_level: OptStr = None
    minimum_access_level: OptStr = None
    maximum_access_level: OptStr = None
    user_access_level: OptStr = None
    user_can_edit_access_levels: OptBool = None


def parse_activity_page(data: Any) -> ActivityPage:
    """An `ActivityPage` from an activity body, skipping entries that cannot be read."""
    body = data if isinstance(data, dict) else {"results": data}
    rows, skipped = parse_rows(body.get("results"), ActivityLogEntry)
    total = count_of(body.get("total_count", body.get("count")))
    return ActivityPage(
        results=rows,
        next=link_of(body.get("next")),
        previous=link_of(body.get("previous")),
        total_count=total if total is not None else len(rows) + skipped,
        skipped=skipped,
    )
