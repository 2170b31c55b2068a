"""What the app carries from one start to the next: the theme chosen in the palette comes back,
and a `[keymap]` entry naming no binding is reported at start with the nearest real id."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from list_support import settled_list
from support import notifications, until

from tui.keymap import keymap_problems
from tui.ui_state import STATE_FILE_NAME


def state_file(dirs: dict[str, Path]) -> Path:
    return dirs["config"] / STATE_FILE_NAME


async def test_the_theme_chosen_comes_back_at_the_next_start(
    make_hog_app: Any, isolated_dirs: dict[str, Path]
) -> None:
    app = make_hog_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settled_list(pilot)
        assert app.theme != "nord"
        app.theme = "nord"  # what picking it in the palette does
        await until(pilot, lambda: state_file(isolated_dirs).exists())
        await pilot.press("ctrl+q")
    assert stat.S_IMODE(state_file(isolated_dirs).stat().st_mode) == 0o600

    again = make_hog_app()
    async with again.run_test(size=(100, 30)) as pilot:
        await settled_list(pilot)
        assert again.theme == "nord"


async def test_a_broken_state_file_starts_on_the_default_theme(
    make_hog_app: Any, isolated_dirs: dict[str, Path]
) -> None:
    state_file(isolated_dirs).parent.mkdir(parents=True, exist_ok=True)
    state_file(isolated_dirs).write_text('{"theme": "no-such-theme"', encoding="utf-8")
    app = make_hog_app()
    default = app.theme
    async with app.run_test(size=(100, 30)) as pilot:
        await settled_list(pilot)
        assert app.theme == default
        assert not any("theme" in text.lower() for text in notifications(app))


def write_keymap(dirs: dict[str, Path], table: str) -> None:
    dirs["config"].mkdir(parents=True, exist_ok=True)
    (dirs["config"] / "config.toml").write_text(f"[keymap]\n{table}\n", encoding="utf-8")


async def test_an_unknown_binding_id_is_named_with_the_nearest_real_one(
    make_hog_app: Any, isolated_dirs: dict[str, Path]
) -> None:
    write_keymap(isolated_dirs, '"list.refrsh" = "f5"\n"list.sort" = "o"')
    app = make_hog_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settled_list(pilot)
        await until(pilot, lambda: any("list.refrsh" in text for text in notifications(app)))
        [said] = [text for text in notifications(app) if "list.refrsh" in text]
        assert '"list.refresh"' in said
        assert "list.sort" not in said  # a real id is not reported
        # The known entry is applied all the same.
        screen = app.screen
        before = screen.filters.sort
        await pilot.press("o")
        await until(pilot, lambda: screen.filters.sort != before)


async def test_a_keymap_of_real_ids_says_nothing(
    make_hog_app: Any, isolated_dirs: dict[str, Path]
) -> None:
    write_keymap(isolated_dirs, '"list.refresh" = "f5"')
    app = make_hog_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settled_list(pilot)
        await until(pilot, lambda: app.keymap_problems is not None)
        assert app.keymap_problems == []
        assert not any("keymap" in text for text in notifications(app))


def test_keymap_problems_words() -> None:
    known = ["list.refresh", "list.sort", "app.quit"]
    assert keymap_problems({"list.refresh": "f5"}, known) == []
    assert keymap_problems({"app.qiut": "x"}, known) == [
        '[keymap] "app.qiut" is not a binding id; did you mean "app.quit"?'
    ]
    [far] = keymap_problems({"zzz": "x"}, known)
    assert far.startswith('[keymap] "zzz" is not a binding id') and "README" in far
