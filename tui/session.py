"""A Session bundles what the screens work with: the profile, one API client and the draft store.
Built once by `tui.cli` (or by the first-run screen) and owned by the app, which closes it.
`login` is the one way a profile and its key get saved, for `hogtui auth login` and first run;
`open_api` the one way a profile becomes a client (its CA bundle included). The client (httpx and
pydantic) is imported when the session first uses it, not when one is built (the app has it
opened on a thread once its first frame is drawn: `Session.warm_up`).

`ask_first_page_early` sends the list's first request the moment the session exists, on a thread
of its own and without the client (`tui.first_page`), so its answer travels while Textual is
still being imported; the list takes it with `Session.list_first_page`."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from tui.api.errors import (
    ApiError,
    AuthenticationError,
    CertificateError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
)
from tui.config import (
    CURRENT_PROJECT,
    HOST_ENV,
    PROJECT_ENV,
    ConfigError,
    Profile,
    ProjectId,
    load_config,
    save_profile,
)
from tui.credentials import (
    ENV_VAR,
    CredentialsError,
    KeyringUnavailableError,
    delete_api_key,
    restore_keys,
    store_api_key,
    stored_keys,
)
from tui.first_page import EarlyPage
from tui.insight_row import InsightRow
from tui.user_files import data_dir

if TYPE_CHECKING:
    import httpx

    from tui.api import InsightsAPI
    from tui.api.row_pages import RowPage
    from tui.drafts import DraftStore

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class Session:
    """What the screens work with: the profile, one API client and the draft store.
    `read_only`: offer nothing that changes PostHog (`tui.actions.guard_writes` reads it).

    The client may be given as a way to open it (`open_client`): it is then opened on first use
    of `api`, so that a start-up draws its first rows before httpx and pydantic are loaded
    (about 0.15 s), and `warm_up` opens it on a thread once the app is up."""

    def __init__(
        self,
        profile: Profile,
        api: InsightsAPI | None = None,
        drafts: DraftStore | None = None,
        demo: bool = False,
        read_only: bool = False,
        *,
        open_client: Callable[[], InsightsAPI] | None = None,
    ) -> None:
        if (api is None) == (open_client is None):
            raise ValueError("a Session takes either an api or a way to open one")
        if drafts is None:
            raise ValueError("a Session needs a draft store")
        self.profile = profile
        self.drafts = drafts
        self.demo = demo
        self.read_only = read_only
        #: The list's first page, asked for before the app was up (`ask_first_page_early`).
        self.early_page: EarlyPage | None = None
        #: Sends a first page that was asked for `held` (called by `warm_up`).
        self._release_early: Callable[[], None] | None = None
        self._api = api
        self._open_client = open_client
        self._opening = threading.Lock()
        #: Set once `warm_up`'s thread is through (None: no warm-up was started).
        self._warmed: threading.Event | None = None

    def __repr__(self) -> str:
        return f"Session(profile={self.profile!r}, demo={self.demo}, read_only={self.read_only})"

    @property
    def api_opened(self) -> bool:
        """Whether the client has been opened (by a use of `api`, or `warm_up`)."""
        return self._api is not None

    @property
    def api(self) -> InsightsAPI:
        """The client, opened now if it was not yet (on the calling thread: `warm_up` and
        `open_api` spare the event loop that wait)."""
        if self._api is None:
            with self._opening:
                if self._api is None:
                    assert self._open_client is not None
                    self._api = self._open_client()
        return self._api

    @api.setter
    def api(self, api: InsightsAPI) -> None:
        self._api = api

    def warm_up(self, then: Callable[[], object] | None = None) -> None:
        """For an app that is up: send the first page if it was held, and open the client on a
        thread of its own; then call `then` there, whether or not opening worked. When the
        client is open, or being opened by another thread, `then` is called here at once."""
        if self._release_early is not None:
            self._release_early()
            self._release_early = None
        if self._api is not None or self._opening.locked():
            if then is not None:
                then()
            return

        warmed = self._warmed = threading.Event()

        def open_client() -> None:
            try:
                self.api  # noqa: B018 (opening it is the point)
                from tui.api.connection import warm_network_stack

                warm_network_stack()
            except Exception:
                pass  # the first real use meets it again, where it is put in words
            finally:
                warmed.set()
                if then is not None:
                    then()

        threading.Thread(target=open_client, name="hogtui-client", daemon=True).start()

    async def open_api(self) -> InsightsAPI:
        """`api`, opened on a thread when it is not open yet, so the event loop keeps going.
        While `warm_up` is still loading the network stack, that is waited for as well: a first
        request sent meanwhile would import the same modules on the event loop, after waiting
        for the warm-up's import lock (~17 ms held up, measured on `G` right after start)."""
        warmed = self._warmed
        if warmed is not None and not warmed.is_set():
            await asyncio.to_thread(warmed.wait)
        if self._api is not None:
            return self._api
        return await asyncio.to_thread(lambda: self.api)

    def first_page_in_hand(self, **query: Any) -> RowPage[InsightRow] | None:
        """The early request's page when it asked `query` and has already come, without waiting:
        the list draws it in its very first frame. Taken once, as `list_first_page` takes it;
        an early request that came back empty-handed is taken too (the client asks next)."""
        early = self.early_page
        if early is None or early.query != query:
            return None
        answer = early.answer
        if not answer.done() or answer.cancelled():
            return None
        self.early_page = None
        return answer.result()

    async def list_first_page(self, **query: Any) -> RowPage[InsightRow]:
        """The rows of `api.list_insight_rows(InsightRow, **query)`, answered by the request sent
        early when it asked the same (once: a reload asks the server again). Should that one
        have failed, or found anything but plain rows, the client asks, with its retries and
        pacing."""
        early, self.early_page = self.early_page, None
        if early is not None and early.query == query:
            answered = await early.wait()
            if answered is not None:
                return answered
        api = await self.open_api()
        return await api.list_insight_rows(InsightRow, **query)

    async def aclose(self) -> None:
        """Close the HTTP client, if it was opened; call it from the event loop that used it."""
        if self._api is not None:
            await self._api.aclose()


def ask_first_page_early(
    session: Session, api_key: str, query: Mapping[str, Any], *, held: bool = False
) -> None:
    """Send the list's first request now, for `session.list_first_page(**query)` to take; when
    `held` (there are cached rows to draw first), once the app is up (`Session.warm_up`)."""
    early = EarlyPage(session.profile, api_key, query, held=held)
    session.early_page = early
    session._release_early = early.release if held else None


class HasSession(Protocol):
    """What screens need of the app: `cast(HasSession, self.app).session`."""

    session: Session


class AccessCheckError(Exception):
    """The server refused (or could not be asked about) a host/project/key; worded for a person."""


class LoginError(Exception):
    """The server accepted the key, but the profile or the key could not be saved; nothing was
    kept (what was saved before is as it was)."""


@dataclass(frozen=True)
class LoginResult:
    """A login whose profile (as saved: `@current` replaced by its number) is saved.
    `key_problem` says why the key could not be kept (no usable keyring, say), which only happens
    when `login` was asked to keep the profile anyway: then `key_location` is None and the key
    lives only in the caller."""

    profile: Profile
    config_path: Path
    key_location: str | None
    key_problem: CredentialsError | None = None


def drafts_dir(profile: Profile, *, demo: bool = False) -> Path:
    """Drafts are kept per host and project: insight ids only mean something within a project.
    Only the path: the directories are made, 0700, by the first save (user_files.write_atomic)."""
    if demo:
        return data_dir() / "drafts" / "demo"
    netloc = urlsplit(profile.host).netloc or profile.host
    return data_dir() / "drafts" / _UNSAFE.sub("_", f"{netloc}-{profile.project_id}")


def build_session(
    profile: Profile,
    api_key: str,
    demo: bool = False,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Session:
    """A Session for `profile` (read-only when the profile is); nothing is sent to the server
    until a screen asks. The client is opened when first used, unless the profile trusts a CA
    bundle of its own: that client is opened now, so that a bundle that cannot be used is said
    (`ConfigError`) before the app starts."""
    from tui.drafts import DraftStore

    def open_client() -> InsightsAPI:
        return open_api(profile, api_key, transport=transport)

    eager = profile.ca_bundle is not None
    return Session(
        profile=profile,
        api=open_client() if eager else None,
        drafts=DraftStore(drafts_dir(profile, demo=demo)),
        demo=demo,
        read_only=profile.read_only,
        open_client=None if eager else open_client,
    )


def open_api(
    profile: Profile,
    api_key: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    **options: Any,
) -> InsightsAPI:
    """The client for `profile` (trusting its CA bundle, if it has one). Raises `ConfigError`
    when the bundle cannot be used."""
    from tui.api.client import InsightsAPI

    try:
        return InsightsAPI(
            profile.host,
            profile.project_id,
            api_key,
            transport=transport,
            ca_bundle=profile.ca_bundle,
            **options,
        )
    except ValueError as exc:  # only the CA bundle can be refused here
        raise ConfigError(str(exc)) from None


def describe_access_error(exc: ApiError, profile: Profile) -> str:
    """Say in words why the server refused the credentials of `profile` (the error's own message
    already says what to do; this names which of the three things was wrong)."""
    # The client's own advice for a 401 points at `hogtui auth status`, which makes no sense
    # while logging in; say what to look at instead.
    if isinstance(exc, AuthenticationError) and exc.code == "not_authenticated":
        return (
            f"No API key reached {profile.host} (401): a proxy on the way may drop the "
            "Authorization header."
        )
    if isinstance(exc, AuthenticationError):
        return (
            "Wrong API key: the server rejected it (401). Check that it was copied whole and is "
            "a personal API key (phx_…)."
        )
    if isinstance(exc, PermissionDeniedError):
        return f"Missing permission. {exc}"
    if isinstance(exc, NotFoundError):
        return f"Unknown project. {exc}"
    if isinstance(exc, CertificateError):
        return str(exc)  # it names the host and says what to do
    if isinstance(exc, NetworkError):
        return f"Unreachable host {profile.host}. {exc}"
    return str(exc)


async def check_access(
    profile: Profile, api_key: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> ProjectId:
    """Ask the server whether `api_key` may list insights of `profile`'s project. Returns the
    project id, `@current` resolved to its number when the server tells it.
    Raises `AccessCheckError` with the reason in words."""
    # Shorter waits than the app's: a person is waiting at a prompt, and a wrong host should
    # say so in seconds rather than after the client's full retry budget.
    async with open_api(
        profile, api_key, transport=transport, timeout=15.0, retry_max_attempts=2
    ) as api:
        try:
            await api.check_access()
        except ApiError as exc:
            raise AccessCheckError(describe_access_error(exc, profile)) from None
        return api.project_id if isinstance(api.project_id, int) else profile.project_id


async def login(
    profile: Profile,
    api_key: str,
    *,
    plaintext: bool = False,
    profile_without_key: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
) -> LoginResult:
    """Check `profile` and `api_key` with the server, then keep the key (keyring, or the 0600
    file when `plaintext`), then save the profile.

    Raises `AccessCheckError` when the server says no, and `LoginError` when the profile cannot
    be saved (the keys stored before are put back) or, unless `profile_without_key`, when the key
    cannot be kept; either way nothing new is kept. With `profile_without_key` (the first-run
    screen, which then offers to go on for this session), a key that cannot be kept leaves the
    profile saved and the reason in the result. File and keyring work runs in a thread: a keyring
    may wait on an unlock prompt.
    """
    project_id = await check_access(profile, api_key, transport=transport)
    if profile.project_id == CURRENT_PROJECT:
        # Kept by number: `@current` follows whichever project was last opened in a browser.
        profile = dataclasses.replace(profile, project_id=project_id)
    previous = await asyncio.to_thread(stored_keys, profile.name)
    try:
        where = await asyncio.to_thread(store_api_key, profile.name, api_key, plaintext=plaintext)
    except (CredentialsError, OSError) as exc:
        if not profile_without_key:
            raise LoginError(_key_not_kept(profile, exc)) from None
        problem = exc if isinstance(exc, CredentialsError) else CredentialsError(str(exc))
        path = await asyncio.to_thread(_save_login_profile, profile, forget_old_key=True)
        return LoginResult(profile, path, None, problem)
    try:
        path = await asyncio.to_thread(_save_login_profile, profile, forget_old_key=False)
    except LoginError:
        await asyncio.to_thread(restore_keys, profile.name, previous)
        raise
    return LoginResult(profile, path, where)


def _key_not_kept(profile: Profile, exc: Exception) -> str:
    """Why the key could not be kept and what to do instead, for a login that saved nothing."""
    if isinstance(exc, KeyringUnavailableError):
        why = f"there is no usable system keyring ({exc.reason})"
    elif isinstance(exc, OSError):
        why = f"the key could not be written ({exc.strerror or exc})"
    else:
        why = str(exc).rstrip(".")
    return (
        f"The server accepted the key, but nothing was saved: {why}. Either keep the key "
        "unencrypted in a 0600 file by logging in again with --store-plaintext, or save nothing "
        f"and run hogtui with everything in the environment: export {ENV_VAR}=phx_... "
        f"{HOST_ENV}={profile.host} {PROJECT_ENV}={profile.project_id}"
    )


def _save_login_profile(profile: Profile, *, forget_old_key: bool) -> Path:
    """Save `profile`. With `forget_old_key`, first remove a key stored under its name for
    another host (the new key was not stored, so the old one must not stay behind to be sent to
    the new host); otherwise the new key has already replaced it."""
    try:
        previous = load_config().profiles.get(profile.name)
        if forget_old_key and (previous is None or previous.host != profile.host):
            delete_api_key(profile.name)
        return save_profile(profile)
    except CredentialsError as exc:
        raise LoginError(
            "The server accepted the key, but nothing was saved: the key kept for profile "
            f"{profile.name!r} (for another host) could not be removed. {exc}"
        ) from None
    except (ConfigError, OSError) as exc:
        raise LoginError(
            f"The server accepted the key, but the profile could not be saved: {exc}"
        ) from None
