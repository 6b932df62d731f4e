"""The search's query thread: it answers the newest question, hands errors back, and stops."""

from __future__ import annotations

import threading

from crisis_tui.tui.latest_query import LatestQuery


def test_only_the_newest_waiting_question_is_asked():
    first_running, go_on, done = threading.Event(), threading.Event(), threading.Event()
    asked, answers = [], []

    def ask(text: str, cancel) -> str:
        asked.append(text)
        if text == "a":
            first_running.set()
            go_on.wait(5)
        return text.upper()

    def answered(text, answer, error):
        answers.append((text, answer, error))
        if text == "abc":
            done.set()

    query = LatestQuery(ask, answered)
    query.submit("a")
    assert first_running.wait(5)
    query.submit("ab")  # replaced before it is asked
    query.submit("abc")
    go_on.set()
    assert done.wait(5)
    query.close()
    assert asked == ["a", "abc"]
    assert answers == [("a", "A", None), ("abc", "ABC", None)]


def test_an_error_is_handed_over_and_the_thread_goes_on():
    answers, first, second = [], threading.Event(), threading.Event()

    def answered(text, answer, error):
        answers.append((text, answer, type(error).__name__ if error else None))
        (second if first.is_set() else first).set()

    query = LatestQuery(lambda text, cancel: int(text), answered)
    query.submit("x")
    assert first.wait(5)  # asked and answered before the next question (else that one replaces it)
    query.submit("7")
    assert second.wait(5)
    query.close()
    assert answers == [("x", None, "ValueError"), ("7", 7, None)]


def test_close_ends_the_thread():
    finished = threading.Event()
    query = LatestQuery(lambda text, cancel: text, lambda *_: None, finished=finished.set)
    query.close()
    query._thread.join(5)
    assert not query._thread.is_alive()
    assert finished.is_set()  # the thread's own clean-up ran (the search closes its connection there)


def test_a_question_under_way_is_cancelled_when_a_newer_one_comes():
    running, answers, done = threading.Event(), [], threading.Event()
    cancels = {}

    def ask(text: str, cancel) -> str:
        cancels[text] = cancel
        if text == "slow":
            running.set()
            for _ in range(500):  # as a query polls its progress handler
                if cancel.cancelled:
                    raise RuntimeError("cancelled")
                threading.Event().wait(0.01)
        return text

    def answered(text, answer, error):
        answers.append((text, answer, str(error) if error else None))
        if text == "fast":
            done.set()

    query = LatestQuery(ask, answered)
    query.submit("slow")
    assert running.wait(5)
    query.submit("fast")
    assert done.wait(5)
    query.close()
    assert answers == [("slow", None, "cancelled"), ("fast", "fast", None)]
    assert not cancels["fast"].cancelled


def test_a_stopped_app_ends_the_thread():
    """call_from_thread raises RuntimeError once the app has stopped: nobody is left to answer."""
    def answered(*_):
        raise RuntimeError("App is not running")

    asked = []
    query = LatestQuery(lambda text, cancel: asked.append(text) or text, answered)
    query.submit("x")
    query._thread.join(5)
    assert not query._thread.is_alive()
    assert asked == ["x"]  # asked, and the answer's RuntimeError ended the thread


def test_a_question_after_close_is_not_asked_and_the_thread_ends():
    asked = []
    query = LatestQuery(lambda text, cancel: asked.append(text), lambda *_: None)
    query.close()
    query.submit("late")  # e.g. a key handled as the search closes
    query._thread.join(5)
    assert not query._thread.is_alive() and asked == []
