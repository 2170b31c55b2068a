"""The insight's `query` as editable JSON, checked as it is typed.

A parse error shows its line and column under the text and sets the class `-invalid`; the owner
hears every change through `QueryEditor.Changed` and decides whether saving is allowed.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static, TextArea
from textual.widgets.text_area import LanguageDoesNotExist

# The parsing lives with the rest of the editing logic; importable from here as before.
from tui.editing import QueryProblem, format_query, parse_query

__all__ = ["JsonArea", "QueryEditor", "QueryProblem", "format_query", "parse_query"]


class JsonArea(TextArea):
    """A code-editor TextArea that leaves esc to the screen. (A code editor's TextArea would move
    focus to the next widget, which puts the user in some field they never chose.)"""

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape":
            event.prevent_default()  # skip TextArea's handling; the key bubbles on to bindings


class QueryEditor(Vertical):
    """A JSON code editor with its parse result shown below it."""

    DEFAULT_CSS = """
    QueryEditor {
        height: 1fr;
    }
    QueryEditor > TextArea {
        height: 1fr;
    }
    QueryEditor > #query-problem {
        height: auto;
        padding: 0 1;
        color: $text-success;
    }
    QueryEditor.-invalid > TextArea {
        border: tall $error;
    }
    QueryEditor.-invalid > #query-problem {
        color: $text-error;
        text-style: bold;
    }
    """

    class Changed(Message):
        """The text changed; `query` is None exactly when `problem` is set."""

        def __init__(
            self,
            editor: QueryEditor,
            text: str,
            query: dict[str, Any] | None,
            problem: QueryProblem | None,
        ) -> None:
            super().__init__()
            self.editor = editor
            self.text = text
            self.query = query
            self.problem = problem

        @property
        def control(self) -> QueryEditor:
            return self.editor

    def __init__(self, text: str = "", *, allow_empty: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial = text
        self._allow_empty = allow_empty
        self.query_value, self.problem = parse_query(text, allow_empty=allow_empty)

    @property
    def allow_empty(self) -> bool:
        """Whether blank text is acceptable (for insights that have no query)."""
        return self._allow_empty

    @allow_empty.setter
    def allow_empty(self, allow: bool) -> None:
        self._allow_empty = allow
        text = self.text if self.is_mounted else self._initial
        self.query_value, self.problem = parse_query(text, allow_empty=allow)
        if self.is_mounted:
            self._show_problem()

    def compose(self) -> ComposeResult:
        try:
            area = JsonArea.code_editor(self._initial, language="json", id="query-text")
        except LanguageDoesNotExist:
            # tree-sitter is installed without its JSON grammar: edit as plain text.
            area = JsonArea.code_editor(self._initial, id="query-text")
        area.tooltip = "The insight's query as JSON (esc leaves the editor)"
        yield area
        yield Static(id="query-problem", markup=False)

    def on_mount(self) -> None:
        self._show_problem()

    @property
    def text_area(self) -> TextArea:
        return self.query_one("#query-text", TextArea)

    @property
    def text(self) -> str:
        return self.text_area.text

    def load(self, text: str) -> None:
        """Replace the whole text (a Changed message follows, like for typing)."""
        self.text_area.load_text(text)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        text = event.text_area.text
        self.query_value, self.problem = parse_query(text, allow_empty=self._allow_empty)
        self._show_problem()
        self.post_message(self.Changed(self, text, self.query_value, self.problem))

    def _show_problem(self) -> None:
        self.set_class(self.problem is not None, "-invalid")
        label = self.query_one("#query-problem", Static)
        if self.problem is None and self.query_value is None:
            label.update("No query: this insight is defined by legacy filters")
        elif self.problem is None:
            label.update("✓ Valid JSON")
        else:
            label.update(f"✗ {self.problem} — fix it to save")
