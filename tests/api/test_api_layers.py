"""The client's layering, read from its source: no module of `tui.api` imports another in a loop
(TYPE_CHECKING imports included), the refresh job knows the client only through a Protocol, and the
package imports nothing but httpx, pydantic, the standard library and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import tui.api

API_DIR = Path(tui.api.__file__).parent
#: pydantic_core is pydantic's own validation engine, installed with it and versioned by it.
ALLOWED_THIRD_PARTY = {"httpx", "pydantic", "pydantic_core"}


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (functions and `if TYPE_CHECKING:` too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from tui.api import models` names a module, not a value.
            found.update(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if (API_DIR / f"{alias.name}.py").exists() and node.module == "tui.api"
            )
    return found


def _graph() -> dict[str, set[str]]:
    modules = {f"tui.api.{path.stem}": path for path in API_DIR.glob("*.py")}
    modules["tui.api"] = modules.pop("tui.api.__init__")
    return {
        name: {target for target in _imports(path) if target in modules and target != name}
        for name, path in modules.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import loop of `graph`, if it has any."""
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> list[str] | None:
        if name in visiting:
            return [*visiting[visiting.index(name) :], name]
        if name in done:
            return None
        visiting.append(name)
        for target in sorted(graph[name]):
            loop = visit(target)
            if loop:
                return loop
        visiting.pop()
        done.add(name)
        return None

    for name in sorted(graph):
        loop = visit(name)
        if loop:
            return loop
    return None


def test_no_module_of_the_client_imports_another_in_a_loop() -> None:
    graph = _graph()
    # The package's face imports its modules; a module importing the face would be a loop too.
    assert not any("tui.api" in targets for name, targets in graph.items() if name != "tui.api")
    assert _cycle(graph) is None


def test_the_refresh_job_knows_the_client_only_through_its_protocol() -> None:
    imported = _imports(API_DIR / "refresh.py")
    assert not {"tui.api.client", "tui.api.transport", "tui.api"} & imported


def test_the_client_imports_only_httpx_pydantic_and_the_standard_library() -> None:
    for path in API_DIR.glob("*.py"):
        for module in _imports(path):
            top = module.split(".")[0]
            if top == "tui":
                assert module == "tui" or module.startswith("tui.api"), (path.name, module)
            else:
                assert top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY, (
                    path.name,
                    module,
                )
