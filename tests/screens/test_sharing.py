"""The Sharing tab of the sharing panel against the sandbox: turning public sharing on and off
(the server's state and activity follow; a re-enabled share has a new link and the old one is
dead), a new link, copying, password protection and share passwords, and refusals in words."""

from __future__ import annotations

from typing import Any

import pytest
from sharing_support import (
    activities,
    answer_yes,
    not_busy,
    note_of,
    open_panel,
    pick_insight,
    public_page_status,
    question,
    shown_text,
)
from support import notifications, until
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tui.api.errors import error_from_response
from tui.sandbox import READONLY_API_KEY
from tui.screens.confirm import ConfirmScreen
from tui.screens.insight_list import InsightListScreen
from tui.screens.sharing import SharingScreen
from tui.sharing_words import sharing_refusal
from tui.widgets.sharing_dialogs import AddPasswordDialog, NewPasswordDialog

SIZE = (100, 30)


def passwords(state: Any, insight_id: int) -> list[dict[str, Any]]:
    """The share passwords of `insight_id` that still open its link."""
    return [entry for entry in state.share_passwords.get(insight_id, []) if entry["is_active"]]


def shown_link(screen: SharingScreen) -> str:
    return str(screen.query_one("#share-link", Static).render())


async def test_space_turns_sharing_on_then_off_on_the_server(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, shared=False)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight)
        assert "OFF" in str(screen.query_one("#share-state", Static).render())

        await pilot.press("space")  # first time on: nothing to warn about, no question
        await until(pilot, lambda: sandbox_state.sharing[insight["id"]]["enabled"])
        await not_busy(pilot, screen)
        token = sandbox_state.sharing[insight["id"]]["access_token"]
        assert shown_link(screen) == f"http://sandbox.test/shared/{token}"
        assert "ON since just now" in str(screen.query_one("#share-state", Static).render())
        assert "sharing enabled" in activities(sandbox_state, insight["id"])

        await pilot.press("space")
        words = await answer_yes(pilot)
        assert "stop working at once" in words and "new link" in words
        await until(pilot, lambda: not sandbox_state.sharing[insight["id"]]["enabled"])
        await not_busy(pilot, screen)
        assert shown_link(screen) == "none while sharing is off"
        assert "sharing disabled" in activities(sandbox_state, insight["id"])


async def test_turning_off_can_be_called_off(make_hog_app: Any, sandbox_state: Any) -> None:
    insight = pick_insight(sandbox_state, shared=True)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight)
        await pilot.press("space")
        dialog = await question(pilot)
        assert dialog.has_class("-danger")
        await pilot.press("n")
        await until(pilot, lambda: app.screen is screen)
        assert sandbox_state.sharing[insight["id"]]["enabled"]
        assert not any(method == "PATCH" for method, *_ in sandbox_state.requests)


async def test_re_enabling_gives_a_new_link_and_the_old_one_dies(
    make_hog_app: Any, sandbox_state: Any, sandbox_app: Any
) -> None:
    insight = pick_insight(sandbox_state, shared=True)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight)
        old_link = shown_link(screen)
        assert await public_page_status(sandbox_app, old_link) == 200

        await pilot.press("space")
        await answer_yes(pilot)
        await until(pilot, lambda: screen.sharing is not None and not screen.sharing.enabled)
        await not_busy(pilot, screen)
        assert "Turning it on again gives a new link" in str(
            screen.query_one("#share-state", Static).render()
        )

        await pilot.press("space")
        words = await answer_yes(pilot)  # turning on again asks, and says why
        assert "new public link" in words and "old link" in words and "stays dead" in words
        await until(pilot, lambda: screen.sharing is not None and screen.sharing.enabled)
        await not_busy(pilot, screen)
        new_link = shown_link(screen)
        assert new_link != old_link
        assert await public_page_status(sandbox_app, new_link) == 200
        assert await public_page_status(sandbox_app, old_link) == 404


async def test_ctrl_r_makes_a_new_link_after_asking(
    make_hog_app: Any, sandbox_state: Any, sandbox_app: Any
) -> None:
    insight = pick_insight(sandbox_state, shared=True)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight)
        old_link = shown_link(screen)
        await pilot.press("ctrl+r")
        words = await answer_yes(pilot)
        assert old_link in words and "stops working at once" in words
        await until(pilot, lambda: shown_link(screen) != old_link)
        await not_busy(pilot, screen)
        assert "access token refreshed" in activities(sandbox_state, insight["id"])
        assert await public_page_status(sandbox_app, old_link) == 404
        assert await public_page_status(sandbox_app, shown_link(screen)) == 200
        assert any("old one no longer works" in text for text in notifications(app))


async def test_y_copies_the_link_and_Y_the_embed_snippet(
    make_hog_app: Any, sandbox_state: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SSH_CONNECTION", "SSH_TTY", "TMUX", "STY", "TERM_PROGRAM"):
        monkeypatch.delenv(name, raising=False)
    insight = pick_insight(sandbox_state, shared=True)
    token = sandbox_state.sharing[insight["id"]]["access_token"]
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_panel(pilot, insight)
        await pilot.press("y")
        link = f"http://sandbox.test/shared/{token}"
        assert app.clipboard == link
        assert notifications(app)[-1] == f"Copied the public link:\n{link}"

        await pilot.press("Y")
        snippet = app.clipboard
        assert snippet.startswith(f'<iframe src="http://sandbox.test/embedded/{token}"')
        assert snippet.endswith("></iframe>")
        assert notifications(app)[-1] == f"Copied the embed snippet:\n{snippet}"


async def test_over_ssh_the_copied_text_stays_on_screen_to_select(
    make_hog_app: Any, sandbox_state: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.delenv("STY", raising=False)
    monkeypatch.delenv("TERM_PROGRAM", raising=False)
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 50000 10.0.0.2 22")
    insight = pick_insight(sandbox_state, shared=True)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight)
        await pilot.press("y")
        told = notifications(app)[-1]
        assert "over SSH" in told and "Select it here" in told
        assert told.endswith(shown_link(screen))


async def test_copy_while_sharing_is_off_says_why_nothing_was_copied(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, shared=False)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_panel(pilot, insight)
        await pilot.press("y")
        assert app.clipboard == ""
        assert notifications(app)[-1] == (
            "Public sharing is off, so there is no link. space turns it on."
        )


async def test_add_a_password_shown_once_then_remove_it(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, shared=True)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight)
        assert not screen.check_action("add_password", ())  # protection first
        await pilot.press("p")
        await until(pilot, lambda: sandbox_state.sharing[insight["id"]]["password_required"])
        await not_busy(pilot, screen)

        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AddPasswordDialog))
        await pilot.press(*"Board [b]members[/b]", "tab", *"correct horse", "enter")
        await until(pilot, lambda: isinstance(app.screen, NewPasswordDialog))
        shown = shown_text(app.screen)
        assert "correct horse" in shown and "only time PostHog shows this password" in shown
        assert "For: Board [b]members[/b]" in shown  # the note, literally
        await pilot.press("enter")  # a stray enter copies; it never closes the one view
        assert isinstance(app.screen, NewPasswordDialog)
        assert app.clipboard == "correct horse"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await not_busy(pilot, screen)
        assert [entry["note"] for entry in passwords(sandbox_state, insight["id"])] == [
            "Board [b]members[/b]"
        ]
        table = screen.sharing_view.table
        assert table.row_count == 1
        assert str(table.get_row_at(0)[0]) == "Board [b]members[/b]"

        await pilot.press("x")
        words = await answer_yes(pilot)
        assert "“Board [b]members[/b]”" in words and "can no longer open" in words
        await until(pilot, lambda: not passwords(sandbox_state, insight["id"]))
        await not_busy(pilot, screen)
        assert not table.display
        assert any(text == "Password removed." for text in notifications(app))


async def add_password_dialog(pilot: Pilot[Any], screen: Any) -> None:
    """Turn password protection on (`p`), then open the add-password dialog (`a`)."""
    await pilot.press("p")
    await until(pilot, lambda: screen.sharing is not None and screen.sharing.password_required)
    await not_busy(pilot, screen)
    await pilot.press("a")
    await until(pilot, lambda: isinstance(pilot.app.screen, AddPasswordDialog))


async def test_an_empty_password_lets_posthog_make_one(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, shared=True)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight)
        await add_password_dialog(pilot, screen)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, NewPasswordDialog))
        made = str(app.screen.query_one("#new-password", Static).render())
        assert len(made) >= 8
        posted = [body for method, path, _q, body in sandbox_state.requests if method == "POST"]
        assert posted[-1] == {}  # no password, no note: the server makes one


async def test_a_short_password_is_refused_before_sending(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, shared=True)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight)
        await add_password_dialog(pilot, screen)
        app.screen.query_one("#password-value", Input).focus()
        await pilot.press(*"short", "enter")
        await pilot.pause()
        assert isinstance(app.screen, AddPasswordDialog)
        problem = str(app.screen.query_one("#password-problem", Static).render())
        assert "has 5 characters; PostHog needs at least 8" in problem
        assert not passwords(sandbox_state, insight["id"])


async def test_a_key_without_the_write_scope_is_told_so_and_not_offered_the_keys(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, shared=False)
    app = make_hog_app(api_key=READONLY_API_KEY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight)
        await pilot.press("space")
        await until(pilot, lambda: screen.share_refused is not None)
        await pilot.pause()
        words = "This key can't change sharing: it lacks the sharing_configuration:write scope."
        assert note_of(screen).startswith(words)
        assert any(text.startswith(words) for text in notifications(app))
        assert not screen.check_action("toggle_sharing", ())
        assert not screen.check_action("rotate_link", ())
        assert "sharing_configuration:write" not in str(
            screen.query_one("#share-passwords-hint", Static).render()
        )
        assert (
            insight["id"] not in sandbox_state.sharing
            or not (sandbox_state.sharing[insight["id"]]["enabled"])
        )


async def test_password_protection_without_the_feature_is_said_in_words(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    sandbox_state.config.advanced_permissions = False
    insight = pick_insight(sandbox_state, shared=True)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight)
        await pilot.press("p")
        await until(pilot, lambda: screen.share_refused is not None)
        assert "Advanced Permissions feature" in note_of(screen)
        assert not sandbox_state.sharing[insight["id"]]["password_required"]


async def test_escape_closes_with_the_newest_configuration(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, shared=False)
    app = make_hog_app()
    closed: list[Any] = []
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        screen = SharingScreen(insight["id"], insight["name"])
        await app.push_screen(screen, closed.append)
        await until(pilot, lambda: screen.sharing is not None)
        await pilot.press("space")
        await until(pilot, lambda: screen.sharing is not None and screen.sharing.enabled)
        await not_busy(pilot, screen)
        await pilot.press("escape")
        await until(pilot, lambda: bool(closed))
        assert closed[0].enabled and closed[0].access_token
        assert isinstance(app.screen, InsightListScreen)


async def test_the_question_names_the_link_that_dies(make_hog_app: Any, sandbox_state: Any):
    insight = pick_insight(sandbox_state, shared=True)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight)
        await pilot.press("ctrl+r")
        dialog = await question(pilot)
        assert isinstance(dialog, ConfirmScreen) and dialog.has_class("-danger")
        assert shown_link(screen) in shown_text(dialog)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        assert not any(
            path.endswith("/sharing/refresh/") for _m, path, *_ in sandbox_state.requests
        )


async def test_an_organization_that_forbids_public_sharing_is_named(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    sandbox_state.config.public_sharing = False
    insight = pick_insight(sandbox_state, shared=False)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight)
        await pilot.press("space")
        await until(pilot, lambda: bool(screen.share_refused))
        await pilot.pause()
        assert note_of(screen).startswith("Your organization does not allow public sharing.")
        assert not screen.check_action("toggle_sharing", ())
        assert not sandbox_state.sharing[insight["id"]]["enabled"]


async def test_a_viewer_is_told_only_editors_may_share(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, shared=True)
    sandbox_state.insights[insight["id"]]["user_access_level"] = "viewer"
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight)
        assert note_of(screen) == (
            "Only editors of this insight can change its sharing; you can only view it."
        )
        for action in ("toggle_sharing", "rotate_link", "toggle_password_protection"):
            assert not screen.check_action(action, ())
        assert screen.check_action("copy_link", ())  # the link is still theirs to copy
        await pilot.press("space", "ctrl+r")
        await pilot.pause()
        assert app.screen is screen
        assert not any(method in ("PATCH", "POST") for method, *_ in sandbox_state.requests)


async def test_the_palette_offers_the_actions_of_the_tab_on_screen(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, shared=True)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight)
        titles = {command.title: command.help for command in screen.palette_commands()}
        assert titles["share: copy link"] == "Copy the public link (y)"
        assert "share: new link (the old one stops working)" in titles
        assert "access: show who has access" in titles
        assert "access: remove entry" not in titles
        await pilot.press("tab")
        await until(pilot, lambda: screen.controls is not None)
        titles = {command.title: command.help for command in screen.palette_commands()}
        assert "access: remove entry" in titles and "access: set level" in titles
        assert "share: copy link" not in titles


@pytest.mark.parametrize(
    ("status", "body", "words", "blocks"),
    [
        (
            403,
            {"error": "Sharing with password requires the Advanced Permissions feature"},
            "Password protection needs PostHog's Advanced Permissions feature",
            "passwords",
        ),
        (
            400,
            {"error": "Password must be at least 8 characters long"},
            "That password is too short: PostHog needs at least 8 characters",
            None,
        ),
        (
            400,
            {"error": "Password protection is not enabled for this sharing configuration"},
            "Turn password protection on first",
            None,
        ),
        (
            403,
            {
                "type": "authentication_error",
                "code": "permission_denied",
                "attr": None,
                "detail": "You don't have edit permissions for this insight.",
            },
            "Only editors of this insight can change its sharing (PostHog: “You don't have "
            "edit permissions for this insight”).",
            "sharing",
        ),
        (
            403,
            {
                "type": "authentication_error",
                "code": "permission_denied",
                "attr": None,
                "detail": "Public sharing is disabled for this organization.",
            },
            "Your organization does not allow public sharing.",
            "enabling",
        ),
    ],
)
def test_sharing_refusals_in_words(status: int, body: Any, words: str, blocks: str | None):
    """The answers a real PostHog gives (bare `{"error": …}` ones included), in words."""
    error = error_from_response(status, body, method="PATCH", path="/sharing/")
    refusal = sharing_refusal(error)
    assert refusal.text.startswith(words)
    assert refusal.blocks == blocks
