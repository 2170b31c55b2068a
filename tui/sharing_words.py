"""The sharing panel's words, without Textual: access levels and who holds them, the embed
snippet, and why the server refused a sharing or access change (the refusals that will not go
away by trying again are told apart, so the panel can stop offering the action and say why).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tui.api.errors import ApiError, PermissionDeniedError, ValidationError
from tui.api.models import AccessControlEntry, AccessControls
from tui.safe_text import clean
from tui.wording import error_text

SHARING_WRITE_SCOPE = "sharing_configuration:write"
ACCESS_READ_SCOPE = "access_control:read"
ACCESS_WRITE_SCOPE = "access_control:write"
MIN_PASSWORD_LENGTH = 8
#: The row key of the access table's first row: what anyone in the project may do.
DEFAULT_ROW = "default"

_LEVEL_WORDS = {
    "none": "has no access",
    "viewer": "can view",
    "editor": "can edit",
    "manager": "can manage",
}
_LEVEL_DETAIL = {
    "none": "cannot open the insight",
    "viewer": "can open it, not change it",
    "editor": "can open and change it",
    "manager": "can change it and who has access",
}
_KEYS_PAGE = "Settings → Personal API keys"


def level_words(level: str | None) -> str:
    """What a level lets its holder do, as a verb phrase: "can view"."""
    if level is None:
        return "has no level set"
    return _LEVEL_WORDS.get(level, f"has the level “{clean(level)}”")


def level_detail(level: str) -> str:
    """A level explained in a few words, for the level chooser."""
    return _LEVEL_DETAIL.get(level, "a level this server knows")


def on_insight(level: str) -> str:
    """What a level lets its holder do with this insight: "can view this insight"."""
    if level == "none":
        return "has no access to this insight"
    return f"{level_words(level)} this insight"


def you_words(level: str | None) -> str:
    """The user's own level, after "You": "can edit this insight"."""
    if level is None:
        return "the server did not say what you may do"
    if level == "none":
        return "have no access to this insight"
    return on_insight(level)


def default_words(level: str | None) -> str:
    """The level everyone in the project has unless an entry says otherwise."""
    if level is None:
        return "not stated by the server"
    return f"anyone in the project {level_words(level)}"


def short_id(value: str) -> str:
    """A long id (PostHog's are uuids) cut to what tells entries apart on screen."""
    value = clean(value)
    return value if len(value) <= 12 else f"{value[:8]}…"


def who_words(member: str | None, role: str | None) -> str:
    """Whom an access-control entry is for. The API gives ids only, no names."""
    if member:
        return f"member {short_id(member)}"
    if role:
        return f"role {short_id(role)}"
    return "anyone in the project"


def levels_between(levels: Sequence[str], minimum: str | None, maximum: str | None) -> list[str]:
    """The levels of `levels` (in the server's order, lowest first) from `minimum` to `maximum`;
    a bound the list does not hold is ignored."""
    low = levels.index(minimum) if minimum in levels else 0
    high = levels.index(maximum) if maximum in levels else len(levels) - 1
    return list(levels[low : high + 1])


def range_words(minimum: str | None, maximum: str | None) -> str:
    """The levels the server allows an entry to be set to."""
    if minimum is None and maximum is None:
        return "the server does not say which levels may be set"
    return f"levels from {clean(minimum or 'none')} to {clean(maximum or 'manager')}"


def embed_snippet(embed_url: str) -> str:
    """The `<iframe>` PostHog's share dialog offers for an embedded insight."""
    return (
        f'<iframe src="{embed_url}" width="100%" height="400" frameborder="0" '
        "allowfullscreen></iframe>"
    )


def clipboard_caveat(environ: Mapping[str, str] | None = None) -> str | None:
    """Why a copy through OSC 52 may not reach the user's clipboard here, or None.

    Textual copies by writing an OSC 52 escape to the terminal; macOS's Terminal ignores it, a
    multiplexer passes it on only when configured to, and over SSH it depends on the terminal
    at the far end."""
    env = os.environ if environ is None else environ
    if env.get("TERM_PROGRAM") == "Apple_Terminal":
        return "macOS Terminal does not accept copies from terminal apps"
    if env.get("TMUX") or env.get("STY"):
        return "tmux or screen pass copies on only when set up to"
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY"):
        return "over SSH the copy reaches your clipboard only if your terminal accepts OSC 52"
    return None


# -- refusals ------------------------------------------------------------------------------------


#: What a refusal that won't go away stops: every sharing change, password protection only,
#: or turning sharing on only (an organization that forbids public sharing still lets a share
#: be ended).
BLOCKS_SHARING = "sharing"
BLOCKS_PASSWORDS = "passwords"
BLOCKS_ENABLING = "enabling"
#: Every change of access levels.
BLOCKS_ACCESS = "access"


@dataclass(frozen=True)
class Refusal:
    """What to tell the user about a failed sharing or access request. `blocks` is set when
    trying again will not help (a scope, a setting or a role is missing): it names what the
    panel should stop offering, and `text` is the reason it shows instead."""

    text: str
    blocks: str | None = None


def _server_said(error: ApiError) -> str:
    return clean(error.detail or "").rstrip(".")


def sharing_refusal(error: BaseException | None) -> Refusal:
    """Why a change to public sharing failed, in words."""
    if not isinstance(error, ApiError):
        return Refusal(error_text(error))
    detail = _server_said(error)
    lowered = detail.lower()
    if isinstance(error, PermissionDeniedError):
        if error.missing_scope == SHARING_WRITE_SCOPE:
            return Refusal(
                "This key can't change sharing: it lacks the sharing_configuration:write scope. "
                f"Add it to the key in PostHog ({_KEYS_PAGE}), or use another key.",
                BLOCKS_SHARING,
            )
        if error.missing_scope:
            return Refusal(error_text(error), BLOCKS_SHARING)
        if "public sharing is disabled" in lowered:
            return Refusal(
                "Your organization does not allow public sharing. An organization admin can "
                "allow it in PostHog's organization settings.",
                BLOCKS_ENABLING,
            )
        if "advanced permissions" in lowered:
            return Refusal(
                "Password protection needs PostHog's Advanced Permissions feature, which this "
                "organization's plan does not include.",
                BLOCKS_PASSWORDS,
            )
        said = f" (PostHog: “{detail}”)" if detail else ""
        return Refusal(
            f"Only editors of this insight can change its sharing{said}.", BLOCKS_SHARING
        )
    if isinstance(error, ValidationError) and detail:
        # The password endpoints answer a bare {"error": ...} (older servers) or a field error.
        if "password" in lowered and "at least" in lowered:
            return Refusal(
                f"That password is too short: PostHog needs at least {MIN_PASSWORD_LENGTH} "
                "characters (or leave it empty and PostHog makes one)."
            )
        if "password protection" in lowered and ("enabled" in lowered or "enable" in lowered):
            return Refusal(
                "Turn password protection on first: PostHog adds passwords only to a "
                "password-protected share."
            )
        if error.attr is None:
            return Refusal(f"PostHog refused: {detail}.")
    return Refusal(error_text(error))


def access_refusal(error: BaseException | None, *, writing: bool) -> Refusal:
    """Why reading or changing the insight's access controls failed, in words."""
    if not isinstance(error, ApiError):
        return Refusal(error_text(error))
    detail = _server_said(error)
    if isinstance(error, PermissionDeniedError):
        if error.missing_scope == ACCESS_WRITE_SCOPE:
            return Refusal(
                "This key can't change who has access: it lacks the access_control:write "
                f"scope. Add it to the key in PostHog ({_KEYS_PAGE}).",
                BLOCKS_ACCESS,
            )
        if error.missing_scope == ACCESS_READ_SCOPE:
            return Refusal(
                "This key can't see who has access: it lacks the access_control:read scope. "
                f"Add it to the key in PostHog ({_KEYS_PAGE}).",
                BLOCKS_ACCESS,
            )
        if error.missing_scope:
            return Refusal(error_text(error), BLOCKS_ACCESS)
        what = "change who has access to" if writing else "see who has access to"
        said = f" (PostHog: “{detail}”)" if detail else ""
        return Refusal(f"PostHog does not let you {what} this insight{said}.", BLOCKS_ACCESS)
    if error.status == 402:
        return Refusal(
            "Access control is not part of this organization's PostHog plan (402).",
            BLOCKS_ACCESS,
        )
    return Refusal(error_text(error))


def access_lock_reason(user_level: str | None, can_edit: bool | None) -> str | None:
    """Why the access levels cannot be changed from here, or None when they can."""
    if can_edit:
        return None
    if can_edit is None:
        return "The server did not say whether you may change access levels, so hogtui won't."
    yours = f"; you {level_words(user_level)} it" if user_level in ("viewer", "editor") else ""
    return f"Only managers of this insight can change who has access{yours}."


def sharing_lock_reason(user_level: str | None) -> str | None:
    """Why sharing cannot be changed, from the user's level on the insight (None: it can, or
    the server did not say and the first change will tell)."""
    if user_level == "viewer":
        return "Only editors of this insight can change its sharing; you can only view it."
    if user_level == "none":
        return "Only editors of this insight can change its sharing; you have no access to it."
    return None


def entry_key(entry: AccessControlEntry) -> str:
    """A stable row key for an access-control entry (entries have no id of their own)."""
    if entry.organization_member:
        return f"member:{entry.organization_member}"
    if entry.role:
        return f"role:{entry.role}"
    return DEFAULT_ROW


def copied_message(what: str, text: str, caveat: str | None) -> str:
    """The notification after copying `text` (what: "the link"). Where the copy may not reach
    the clipboard, it says so and leaves the text on screen to select by hand."""
    if caveat is None:
        return f"Copied {what}:\n{text}"
    return f"Copied {what}, but {caveat}. Select it here if it didn't arrive:\n{text}"


@dataclass(frozen=True)
class PanelNote:
    """The line a tab shows under its facts: work under way, a failure, or why changes are not
    offered. `kind` is "busy", "error" or "warning"."""

    text: str
    kind: str


def panel_note(busy: str | None, problem: str | None, reason: str | None) -> PanelNote | None:
    """What a tab's note says: work under way first, then the last failure, then the reason
    changes are not offered."""
    if busy:
        return PanelNote(busy, "busy")
    if problem:
        return PanelNote(problem, "error")
    if reason:
        return PanelNote(reason, "warning")
    return None


def default_entry(controls: AccessControls) -> AccessControlEntry | None:
    """The entry that sets the insight's own default (no member, no role), if there is one."""
    for entry in controls.access_controls:
        if not entry.organization_member and not entry.role:
            return entry
    return None


def effective_default(controls: AccessControls) -> str | None:
    """The level anyone in the project has: the insight's own default, else the project's."""
    entry = default_entry(controls)
    return entry.access_level if entry is not None else controls.default_access_level


# -- questions before a change ---------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """A confirmation to ask before a change: the dialog's title, message and confirm label;
    `danger` for a change that cannot be undone."""

    title: str
    message: str
    confirm: str
    danger: bool = True


def toggle_question(turn_on: bool, *, was_shared: bool) -> Question | None:
    """What to ask before turning sharing on or off; None when there is nothing to warn about
    (turning it on for the first time)."""
    if not turn_on:
        return Question(
            "Turn public sharing off?",
            "The public link and every embed stop working at once. Turning sharing on again "
            "later gives a new link: this one never comes back.",
            "Turn off",
        )
    if was_shared:
        # PostHog issues a new token when a disabled share is enabled again.
        return Question(
            "Turn public sharing on again?",
            "PostHog gives the insight a new public link when sharing is turned on again. The "
            "old link, and any embed using it, stays dead: share the new one.",
            "Turn on",
            danger=False,
        )
    return None


def rotate_question(old_link: str | None) -> Question:
    where = f" ({old_link})" if old_link else ""
    return Question(
        "Make a new public link?",
        f"The current link{where} stops working at once, and so does every embed using it. "
        "Anyone who should keep seeing the insight needs the new link.",
        "New link",
    )


PROTECTION_OFF_QUESTION = Question(
    "Turn password protection off?",
    "Anyone with the public link can then see the insight without a password.",
    "Turn off",
)


def remove_password_question(note: str | None, created_by: str | None) -> Question:
    which = f"the password “{clean(note)}”" if clean(note) else "this password"
    added = f" (added by {clean(created_by)})" if clean(created_by) else ""
    return Question(
        "Remove this password?",
        f"Viewers who use {which}{added} can no longer open the public link.",
        "Remove",
    )


def level_question(who: str, level: str) -> Question:
    return Question(
        "Change access?",
        f"From now on {who} {on_insight(level)}: {level_detail(level)}.",
        "Change",
        danger=level in ("none", "viewer"),
    )


def remove_entry_question(
    who: str, entry: AccessControlEntry, controls: AccessControls | None
) -> Question:
    """Removing an entry: the insight's own default falls back to the project's default, a
    member's or role's entry to the insight's default."""
    if entry.organization_member or entry.role:
        fallback = effective_default(controls) if controls is not None else None
        consequence = f"They fall back to the default: {default_words(fallback)}."
    else:
        project = controls.default_access_level if controls is not None else None
        consequence = f"The insight goes back to the project's default: {default_words(project)}."
    return Question(
        "Remove this access entry?",
        f"Remove the entry for {who} ({level_words(entry.access_level)})? {consequence}",
        "Remove",
    )
