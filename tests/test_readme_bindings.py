"""The README's table of bindings is the code's: every binding id a `[keymap]` may remap, with its
default keys, where it works and what it does. Rewrite it with `python -m tui.keymap README.md`."""

from __future__ import annotations

from pathlib import Path

from tui.keymap import binding_catalogue, markdown_table, readme_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_lists_every_binding_as_the_code_declares_it() -> None:
    shown = readme_table(README.read_text(encoding="utf-8"))
    assert shown is not None, "README.md has lost the binding table's markers"
    expected = markdown_table()
    if shown != expected:
        shown_rows, expected_rows = set(shown.splitlines()), set(expected.splitlines())
        missing = sorted(expected_rows - shown_rows)
        stale = sorted(shown_rows - expected_rows)
        raise AssertionError(
            "README.md's binding table differs from the code (python -m tui.keymap README.md "
            f"rewrites it).\nmissing or changed in README: {missing}\n"
            f"no longer in the code: {stale}"
        )


def test_every_binding_id_is_listed_once() -> None:
    ids = [info.id for info in binding_catalogue()]
    assert len(ids) == len(set(ids))
    assert {"app.quit", "list.quit", "list.refresh", "insight.save"} <= set(ids)
