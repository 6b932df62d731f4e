"""Every timer and interval the explorer registers fires at least once, in a test that takes seconds.

The app once crashed 31 s after every launch: a 30-second interval whose callback Textual
could not call, and no test had ever let it fire. Here every `set_timer`/`set_interval` of
every widget and screen is registered with its delay cut to FAST, through Textual's real
timers, so that each one really runs as it would after its full delay; the app is used the
way that registers them all (preview, search, toasts, the database watch, the collector).
"""

from __future__ import annotations

import functools
import time

import textual.message_pump
import textual.timer
from textual.message_pump import MessagePump

from crisis_tui.tui import app as app_module

# seconds: every delay and interval is cut to at most this (shorter kept Pilot from ever seeing the app idle)
FAST = 0.1


def callback_name(callback) -> str:
    return getattr(callback, "__qualname__", repr(callback))


def code_of(callback):
    """What a callback runs: timers stopped before their time (a preview the next key replaced)
    count as fired when another timer of the same code did."""
    callback = getattr(callback, "__func__", callback)
    return getattr(callback, "__code__", callback)


async def test_every_timer_and_interval_fires(make_app, monkeypatch):
    registered: list[tuple[str, object]] = []
    fired: list[object] = []
    set_timer, set_interval = MessagePump.set_timer, MessagePump.set_interval

    def fast_timer(self, delay, callback=None, **kwargs):
        if not kwargs.get("pause"):
            registered.append((f"set_timer({delay}, {callback_name(callback)}) on {type(self).__name__}", callback))
        return set_timer(self, min(delay, FAST), callback, **kwargs)

    def fast_interval(self, interval, callback=None, **kwargs):
        if not kwargs.get("pause"):  # a paused one runs only once resumed (the search box's blink never is)
            registered.append((f"set_interval({interval}, {callback_name(callback)}) on {type(self).__name__}",
                               callback))
        return set_interval(self, min(interval, FAST), callback, **kwargs)

    # Record each callback as Textual calls it, without changing what it calls: a wrapper
    # around the callback would hide the kind of bug this test is for. An interval's timer
    # calls its callback; a one-off timer's calls `call_next`, which calls it on the next
    # turn of the message loop (wrapped in partials on the way).
    invoke = textual.timer.invoke
    assert invoke is textual.message_pump.invoke, "Textual no longer calls timer callbacks through one invoke"

    async def recording_invoke(callback, *args, **kwargs):
        layer = callback
        while True:
            fired.append(layer)
            if not isinstance(layer, functools.partial):
                break
            layer = layer.func
        return await invoke(callback, *args, **kwargs)

    monkeypatch.setattr(MessagePump, "set_timer", fast_timer)
    monkeypatch.setattr(MessagePump, "set_interval", fast_interval)
    monkeypatch.setattr(textual.timer, "invoke", recording_invoke)
    monkeypatch.setattr(textual.message_pump, "invoke", recording_invoke)

    app = make_app()
    search = app.kb.search

    def slow_search(*args, **kwargs):  # a search slower than the hold, so the hold's timer ends it
        time.sleep(0.1)
        return search(*args, **kwargs)

    monkeypatch.setattr(app.kb, "search", slow_search)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("j", "j")  # the preview timer
        await pilot.pause(0.2)
        await pilot.press("b", "b", "b")  # "nothing to go back to": a toast that times out
        await pilot.press("slash", "s", "i", "m")  # the search's hold timer, then its hits
        await pilot.pause(0.3)
        await pilot.press("escape")
        await pilot.pause(0.5)  # every interval, the 30 s collection among them, many times over
        assert app.return_code is None, "the app stopped"
        assert app.is_running
    callbacks = [callback for _, callback in registered if callback is not None]
    names = [getattr(c, "__name__", repr(c)) for c in callbacks]
    assert app_module.collect_all in callbacks and app_module.collect_young in callbacks, names
    assert app._watch_database.__name__ in names, names
    ran = {code_of(f) for f in fired}
    never = sorted({where for where, callback in registered
                    if callback is not None and code_of(callback) not in ran})
    assert never == [], f"registered but never fired: {never}"
