"""The UI builds on Textual's public API: no class of ours overrides an underscore-prefixed
Textual method, shadows one of Textual's actions, or redeclares one of its reactives (each
breaks silently when Textual changes them). Were one needed, it would go in one small
compatibility module, with a test pinned to the Textual version it was written for."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import textual
from textual.reactive import Reactive

import crisis_tui.tui as tui


def _classes():
    for info in pkgutil.walk_packages(tui.__path__, tui.__name__ + "."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__:
                yield cls


def _textual_bases(cls: type):
    return [base for base in cls.__mro__[1:] if base.__module__.split(".")[0] == textual.__name__]


def overrides(cls: type) -> list[str]:
    """What `cls` overrides of Textual's: underscore-prefixed methods, actions, reactives."""
    found = []
    bases = _textual_bases(cls)
    for name, value in vars(cls).items():
        inherited = [b for b in bases if name in vars(b)]
        if not inherited or name.startswith("__"):
            continue
        where = f"{cls.__module__}.{cls.__qualname__}.{name}"
        if name.startswith("_") and (inspect.isfunction(value) or isinstance(value, property)):
            found.append(f"{where} overrides {inherited[0].__qualname__}'s")
        elif name.startswith("action_"):  # a binding or command of Textual's would run ours
            found.append(f"{where} shadows {inherited[0].__qualname__}'s action")
        elif isinstance(value, Reactive):
            found.append(f"{where} redeclares {inherited[0].__qualname__}'s reactive")
    return found


def test_no_class_overrides_textual_private_names_or_redeclares_its_reactives():
    classes = list(_classes())
    assert len(classes) > 20  # the walk finds the UI's classes
    found = [problem for cls in classes for problem in overrides(cls)]
    assert not found, "\n".join(found)


def test_the_check_sees_each_kind_of_override():
    from textual.app import App
    from textual.screen import Screen
    from textual.widget import Widget

    class Sneaky(Widget):
        def _on_focus(self, event) -> None: ...

    class Shadowing(App):
        def action_back(self) -> None: ...

    class Redeclaring(Screen):
        focused = Reactive(None, repaint=False)

    assert [len(overrides(cls)) for cls in (Sneaky, Shadowing, Redeclaring)] == [1, 1, 1]
