"""The first-run screen: ask for host, project and API key, check them with the server, save them.

Shown when nothing is configured. On success it saves the profile and the key (keyring), builds a
Session and posts `FirstRunScreen.Completed`; the app then opens the insight list. Each field takes
only what it is for, and says beside itself what it refused and where that belongs instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, RadioButton, RadioSet, Static
from textual.worker import Worker, WorkerState

from tui.config import (
    DEFAULT_PROFILE_NAME,
    EU_CLOUD,
    US_CLOUD,
    ConfigError,
    Profile,
    check_host,
    parse_project_id,
)
from tui.credentials import ENV_VAR, CredentialsError, check_key_shape
from tui.safe_text import clean
from tui.session import AccessCheckError, LoginError, Session, build_session, login
from tui.wording import error_text

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class FirstRunConfig:
    """What the first-run screen needs besides the user's answers. `transport` lets tests talk to
    the in-process sandbox."""

    transport: httpx.AsyncBaseTransport | None = None
    profile_name: str = DEFAULT_PROFILE_NAME


_HOSTS = {"host-us": US_CLOUD, "host-eu": EU_CLOUD}

#: What the project id field takes: digits, or (the start of) @current, in any case.
_PROJECT_ID_TYPING = r"(?i)\d*|@(c(u(r(r(e(nt?)?)?)?)?)?)?"
#: What the URL field takes: anything but spaces and control characters.
_URL_TYPING = r"[^\s\x00-\x1f\x7f]*"
_PROJECT_ID_HELP = (
    "The project id takes digits only (the 12345 in https://us.posthog.com/project/12345), or "
    "@current for the project your key's user has open."
)


class CheckedInput(Input):
    """An Input whose `restrict` refusals are reported (`Refused`, with the refused text), so the
    screen can say why, where a plain Input only rings the bell."""

    class Refused(Message):
        def __init__(self, field: CheckedInput, text: str) -> None:
            super().__init__()
            self.field = field
            self.text = text

        @property
        def control(self) -> CheckedInput:
            return self.field

    _offered = ""

    def replace(self, text: str, start: int, end: int) -> None:
        self._offered = text
        super().replace(text, start, end)

    def restricted(self) -> None:
        self.post_message(self.Refused(self, self._offered))


class HostChoice(RadioSet):
    """The host choice. Chosen from the keyboard, the focus stays here, so `tab` goes on to the URL
    field as it goes from any field to the next (and letters typed here go there too); chosen with
    the mouse, the URL field takes the focus."""

    chosen_by_keyboard = False

    def action_toggle_button(self) -> None:
        self.chosen_by_keyboard = True
        super().action_toggle_button()


class FirstRunScreen(Screen[None]):
    """Welcome form: host (US cloud, EU cloud or a URL), project id, personal API key."""

    CSS_PATH = "first_run.tcss"

    HELP_TITLE = "First run"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "connect",
            "Connect",
            id="first_run.connect",
            tooltip="Check the answers with the server and save them",
        ),
        Binding("ctrl+q", "app.quit", "Quit", id="first_run.quit", tooltip="Quit hogtui"),
    ]

    class Completed(Message):
        """The answers work: `session` is ready for the insight list."""

        def __init__(self, session: Session) -> None:
            super().__init__()
            self.session = session

    def __init__(self, config: FirstRunConfig | None = None) -> None:
        super().__init__()
        self._config = config or FirstRunConfig()
        # Checked answers waiting for "continue for this session only" (keyring unusable).
        self._checked: tuple[Profile, str] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="first-run"), Vertical(id="first-run-form"):
            yield Static(Content("Welcome to hogtui"), id="first-run-title")
            yield Static(
                Content(
                    "Connect to your PostHog project. The answers are checked with the "
                    "server, then saved as the default profile; the API key goes to the "
                    "system keyring."
                ),
                id="first-run-intro",
            )
            yield Label("PostHog host", classes="first-run-label")
            with HostChoice(id="host-choice"):
                yield RadioButton(f"US cloud   {US_CLOUD}", value=True, id="host-us")
                yield RadioButton(f"EU cloud   {EU_CLOUD}", id="host-eu")
                yield RadioButton("Another URL (self-hosted)", id="host-other")
            yield CheckedInput(
                placeholder="https://posthog.example.com",
                id="host-url",
                disabled=True,
                restrict=_URL_TYPING,
                # Selecting on focus would let the next key replace a character sent on from
                # the host choice.
                select_on_focus=False,
            )
            yield Static(id="host-url-note", classes="first-run-hint first-run-note")
            yield Label("Project id", classes="first-run-label")
            yield CheckedInput(
                placeholder="the number in your project's URL, e.g. 12345",
                id="project-id",
                restrict=_PROJECT_ID_TYPING,
            )
            yield Static(id="project-id-note", classes="first-run-hint first-run-note")
            yield Label("Personal API key", classes="first-run-label")
            yield Input(placeholder="phx_…", id="api-key", password=True)
            yield Static(
                Content(
                    "Create one in PostHog under Settings → Personal API keys, with the "
                    "insight, query, sharing_configuration, access_control and activity_log "
                    "scopes."
                ),
                classes="first-run-hint",
            )
            yield Static(id="first-run-status")
            with Horizontal(id="first-run-buttons"):
                yield Button("Connect", id="connect", variant="primary")
                yield Button("Continue for this session only", id="session-only", variant="warning")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#session-only", Button).display = False
        for note in self.query(".first-run-note"):
            note.display = False
        self.query_one("#host-choice", RadioSet).focus()

    # --- the form -----------------------------------------------------------------------------

    @on(RadioSet.Changed, "#host-choice")
    def _host_changed(self, event: RadioSet.Changed) -> None:
        choice = self.query_one(HostChoice)
        by_keyboard, choice.chosen_by_keyboard = choice.chosen_by_keyboard, False
        other = event.pressed.id == "host-other"
        url = self.query_one("#host-url", Input)
        url.disabled = not other
        if not other:
            self._note("host-url", "")
        if other and not by_keyboard:
            url.focus()

    def on_key(self, event: events.Key) -> None:
        """A character typed on the host choice once "Another URL" is chosen is the start of the
        URL: it goes into the URL field, and so does what follows."""
        url = self.query_one("#host-url", Input)
        if (
            self.focused is self.query_one(HostChoice)
            and not url.disabled
            and event.is_printable
            and event.character
            and not event.character.isspace()
        ):
            event.stop()
            event.prevent_default()
            self.set_focus(url)
            url.insert_text_at_cursor(event.character)

    def _note(self, field_id: str, words: str) -> None:
        """Say `words` beside a field ("" says nothing)."""
        note = self.query_one(f"#{field_id}-note", Static)
        note.update(Content(words))
        note.display = bool(words)

    @on(CheckedInput.Refused)
    def _refused(self, event: CheckedInput.Refused) -> None:
        if event.field.id == "project-id":
            words = _PROJECT_ID_HELP
            url = self.query_one("#host-url", Input)
            if any(ch.isalpha() or ch in ":/." for ch in event.text) and not url.value:
                words += (
                    " That looks like part of a URL: choose “Another URL” above; "
                    "the URL goes in the field above (shift+tab)."
                    if url.disabled
                    else " That looks like part of a URL: the URL goes in the field above "
                    "(shift+tab)."
                )
            self._note("project-id", words)
        elif event.field.id == "host-url":
            self._note(
                "host-url",
                "A URL has no spaces or control characters: type it like "
                "https://posthog.example.com.",
            )

    @on(Input.Changed, "#project-id, #host-url")
    def _typed(self, event: Input.Changed) -> None:
        # A key the field took: whatever it refused before no longer needs saying.
        if event.input.id is not None:
            self._note(event.input.id, "")

    @on(Input.Blurred, "#host-url")
    def _url_left(self, event: Input.Blurred) -> None:
        self._note("host-url", _url_problem(event.value) or "")

    @on(Input.Submitted)
    def _field_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "api-key":
            self.action_connect()
        else:
            self.focus_next()

    @on(Button.Pressed, "#connect")
    def _connect_pressed(self) -> None:
        self.action_connect()

    @on(Button.Pressed, "#session-only")
    def _session_only_pressed(self) -> None:
        if self._checked is not None:
            profile, key = self._checked
            self._finish(profile, key)

    def _say(self, message: str, *, kind: str = "error") -> None:
        status = self.query_one("#first-run-status", Static)
        status.update(Content(message))
        for name in ("error", "info", "warning", "success"):
            status.set_class(name == kind, f"-{name}")
        status.scroll_visible(animate=False)

    def _answers(self) -> tuple[Profile, str]:
        """The form as a Profile and a key; raises ConfigError/CredentialsError in words."""
        pressed = self.query_one("#host-choice", RadioSet).pressed_button
        if pressed is not None and pressed.id in _HOSTS:
            host = _HOSTS[pressed.id]
        else:
            typed = self.query_one("#host-url", Input).value
            if not typed.strip():
                raise ConfigError("Type the URL of your PostHog instance, or pick a cloud.")
            host = check_host(typed)
        project_id = parse_project_id(self.query_one("#project-id", Input).value)
        key = check_key_shape(self.query_one("#api-key", Input).value)
        return Profile(self._config.profile_name, host, project_id), key

    # --- checking and saving ------------------------------------------------------------------

    def action_connect(self) -> None:
        try:
            profile, key = self._answers()
        except (ConfigError, CredentialsError) as error:
            self._say(str(error))
            return
        self._checked = None
        self.query_one("#session-only", Button).display = False
        self.query_one("#connect", Button).disabled = True
        self._say(f"Checking with {profile.host}…", kind="info")
        self.run_worker(
            self._check_and_save(profile, key),
            group="first-run",
            name="check",
            description="check the answers",
            exclusive=True,
            exit_on_error=False,
        )

    async def _check_and_save(self, profile: Profile, key: str) -> None:
        try:
            result = await login(profile, key, transport=self._config.transport)
        except AccessCheckError as error:
            self._say(clean(str(error)))
            return
        except LoginError as error:
            self._say(clean(str(error)))
            self._offer_session_only(profile, key)
            return
        finally:
            self.query_one("#connect", Button).disabled = False
        if result.key_problem is not None:
            self._say(
                f"The profile was saved, but not the API key: {clean(str(result.key_problem))}\n"
                "You can continue for this session only: the key is kept in memory until you "
                f"quit, and next time hogtui needs {ENV_VAR} (or the key in a file).",
                kind="warning",
            )
            self._offer_session_only(result.profile, key)
            return
        self._finish(result.profile, key)

    def _offer_session_only(self, profile: Profile, key: str) -> None:
        self._checked = (profile, key)
        button = self.query_one("#session-only", Button)
        button.display = True
        button.focus()
        # Once laid out (it was hidden), bring the button into view below the message.
        self.call_after_refresh(button.scroll_visible, animate=False)

    def _finish(self, profile: Profile, key: str) -> None:
        self._say(f"Connected to {profile.host}, project {profile.project_id}.", kind="success")
        session = build_session(profile, key, transport=self._config.transport)
        self.post_message(self.Completed(session))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            event.stop()
            self.query_one("#connect", Button).disabled = False
            self._say(f"Something went wrong: {error_text(event.worker.error)}")


def _url_problem(typed: str) -> str | None:
    """Why `typed` cannot be the host's URL, in words (None: it can, or nothing is typed yet)."""
    text = typed.strip()
    if not text:
        return None
    if text.isdigit():
        return (
            f"“{text}” looks like a project id, not a URL: it goes in the Project id field below. "
            "The host is a URL like https://posthog.example.com."
        )
    try:
        check_host(text)
    except ConfigError as error:
        return str(error)
    return None
