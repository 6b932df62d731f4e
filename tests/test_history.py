"""The history class on its own: browser behaviour, bounds, and a cursor that stays in the list."""

from crisis_tui.tui.history import History


def test_empty():
    h = History()
    assert h.current is None and h.cursor == -1
    assert h.back() is None and h.forward() is None
    assert not h.can_back and not h.can_forward


def test_back_and_forward():
    h = History()
    for ref in "abc":
        h.visit(ref)
    assert h.back() == "b" and h.back() == "a" and h.back() is None
    assert h.current == "a"
    assert h.forward() == "b" and h.forward() == "c" and h.forward() is None


def test_visit_after_back_drops_forward_entries():
    h = History()
    for ref in "abc":
        h.visit(ref)
    h.back()
    h.back()
    h.visit("d")
    assert h.entries == ("a", "d") and h.current == "d" and not h.can_forward


def test_revisiting_current_is_not_a_new_entry():
    h = History()
    h.visit("a")
    h.visit("a")
    assert h.entries == ("a",)


def test_bounded_and_cursor_stays_inside():
    h = History(limit=3)
    for ref in "abcde":
        h.visit(ref)
    assert h.entries == ("c", "d", "e") and h.current == "e"
    assert h.back() == "d" and h.back() == "c" and h.back() is None


def test_go():
    h = History()
    for ref in "abc":
        h.visit(ref)
    assert h.go(0) == "a" and h.can_forward
    assert h.go(9) is None and h.current == "a"


def test_an_entry_keeps_its_serial_while_older_ones_fall_off_the_front():
    h = History(limit=3)
    for ref in ("a", "b", "c"):
        h.visit(ref)
    assert h.serial == 2 and list(h.serials()) == [0, 1, 2]
    h.visit("d")  # "a" falls off
    assert h.entries == ("b", "c", "d") and h.serial == 3 and list(h.serials()) == [1, 2, 3]
    h.back()
    assert h.current == "c" and h.serial == 2  # the serial "c" had when it was current before
