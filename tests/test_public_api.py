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


def test_no_class_overrides_textual_private_names_or_redeclares_its_reactives():
    found = []
    for cls in _classes():
        bases = _textual_bases(cls)
        for name, value in vars(cls).items():
            inherited = [b for b in bases if name in vars(b)]
            if not inherited or name.startswith("__"):
                continue
            if name.startswith("_") and (inspect.isfunction(value) or isinstance(value, property)):
                found.append(f"{cls.__module__}.{cls.__qualname__}.{name} overrides {inherited[0].__qualname__}'s")
            elif name.startswith("action_"):  # a binding or command of Textual's would run ours
                found.append(f"{cls.__module__}.{cls.__qualname__}.{name} shadows {inherited[0].__qualname__}'s action")
            elif isinstance(value, Reactive):
                found.append(f"{cls.__module__}.{cls.__qualname__}.{name} redeclares "
                             f"{inherited[0].__qualname__}'s reactive")
    assert not found, "\n".join(found)


def test_the_check_sees_an_override():
    """The check above would catch one (so that it cannot pass by finding no classes)."""
    from textual.widget import Widget

    classes = list(_classes())
    assert len(classes) > 20

    class Sneaky(Widget):
        def _on_focus(self, event) -> None: ...

    value = vars(Sneaky)["_on_focus"]
    assert inspect.isfunction(value) and any("_on_focus" in vars(b) for b in _textual_bases(Sneaky))
