"""Every binding id the `[keymap]` table of `config.toml` may remap, read from the code (the app's
and each screen's and widget's `BINDINGS`, which the `tui.actions` tables build), the check that
names unknown ids in a keymap with the nearest real one, and the README's table of bindings.

Collecting the ids imports every screen, the editor's charts included, so the app only does it
when the user's keymap has entries, after the first screen is up. `python -m tui.keymap` prints
the README's table; `python -m tui.keymap README.md` rewrites it there, between the markers.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: Where the README's generated table starts and ends.
TABLE_START = "<!-- binding-table:start (python -m tui.keymap README.md) -->"
TABLE_END = "<!-- binding-table:end -->"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WHERE_SUFFIXES = ("Screen",)


@dataclass(frozen=True)
class BindingInfo:
    """One remappable binding: its `id`, its default `keys` ("escape,q"), `where` it works (a
    screen or widget in words, "everywhere" for the app's own) and what it does."""

    id: str
    keys: str
    where: str
    does: str


def _modules() -> list[str]:
    """The app, then every screen and widget module."""
    import tui.screens
    import tui.widgets

    names = ["tui.app"]
    for package in (tui.screens, tui.widgets):
        names.extend(
            f"{package.__name__}.{module.name}"
            for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name)
        )
    return names


def _where(cls: type) -> str:
    from textual.app import App

    if issubclass(cls, App):
        return "everywhere"
    name = cls.__name__
    for suffix in _WHERE_SUFFIXES:
        name = name.removesuffix(suffix)
    return _CAMEL.sub(" ", name).lower()


def binding_catalogue(modules: Iterable[str] | None = None) -> list[BindingInfo]:
    """Every binding with an id, in module order, one entry per id (its keys joined as
    declared). Imports `modules` (default: the app and every screen and widget)."""
    from textual.binding import Binding
    from textual.dom import DOMNode

    found: dict[str, BindingInfo] = {}
    for module_name in _modules() if modules is None else modules:
        module = importlib.import_module(module_name)
        for cls in vars(module).values():
            if not (inspect.isclass(cls) and cls.__module__ == module_name):
                continue
            if not issubclass(cls, DOMNode) or "BINDINGS" not in cls.__dict__:
                continue
            for binding in Binding.make_bindings(cls.__dict__["BINDINGS"]):
                if binding.id is None:
                    continue
                known = found.get(binding.id)
                if known is None:
                    does = binding.tooltip or binding.description
                    found[binding.id] = BindingInfo(binding.id, binding.key, _where(cls), does)
                elif binding.key not in known.keys.split(","):
                    keys = f"{known.keys},{binding.key}"
                    found[binding.id] = BindingInfo(known.id, keys, known.where, known.does)
    return list(found.values())


def binding_ids() -> set[str]:
    return {info.id for info in binding_catalogue()}


def keymap_problems(keymap: Mapping[str, str], known: Iterable[str]) -> list[str]:
    """One sentence per id of `keymap` that no binding has, naming the nearest real id."""
    known_ids = sorted(set(known))
    problems = []
    for binding_id in keymap:
        if binding_id in known_ids:
            continue
        nearest = difflib.get_close_matches(binding_id, known_ids, n=1, cutoff=0.5)
        hint = f'; did you mean "{nearest[0]}"?' if nearest else " (see the README's key table)."
        problems.append(f'[keymap] "{binding_id}" is not a binding id{hint}')
    return problems


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def markdown_table(catalogue: Iterable[BindingInfo] | None = None) -> str:
    """The README's table of bindings (between `TABLE_START` and `TABLE_END`, not included)."""
    rows = ["| id | default keys | where | does |", "|---|---|---|---|"]
    for info in binding_catalogue() if catalogue is None else catalogue:
        keys = " ".join(f"`{key.strip()}`" for key in info.keys.split(",") if key.strip())
        rows.append(f"| `{info.id}` | {keys} | {_cell(info.where)} | {_cell(info.does)} |")
    return "\n".join(rows)


def readme_table(readme: str) -> str | None:
    """The table the README holds between the markers, or None when it has no markers."""
    start, end = readme.find(TABLE_START), readme.find(TABLE_END)
    if start < 0 or end < start:
        return None
    return readme[start + len(TABLE_START) : end].strip()


def with_table(readme: str, table: str) -> str:
    """`readme` with `table` between the markers (which must be there)."""
    start, end = readme.index(TABLE_START) + len(TABLE_START), readme.index(TABLE_END)
    return f"{readme[:start]}\n{table}\n{readme[end:]}"


if __name__ == "__main__":
    import sys
    from pathlib import Path

    if len(sys.argv) > 1:
        path = Path(sys.argv[1])
        path.write_text(with_table(path.read_text(encoding="utf-8"), markdown_table()), "utf-8")
    else:
        print(markdown_table())
