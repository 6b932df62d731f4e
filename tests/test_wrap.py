"""Word-wrapping of the detail pane's styled lines."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.style import Style

from crisis_tui.db.text import CONTROL
from crisis_tui.tui import shown
from crisis_tui.tui.widgets.wrap import wrap_spans

BOLD = Style(bold=True)


def texts(lines):
    return ["".join(s.text for s in line) for line in lines]


def test_breaks_at_spaces_and_keeps_styles():
    lines = wrap_spans([("invokes: ", BOLD), ("Simla Agreement (agreement, 2 Jul 1972)", None)], 20)
    assert texts(lines) == ["invokes: Simla", "Agreement", "(agreement, 2 Jul", "1972)"]
    assert lines[0][0].style == BOLD and lines[0][1].style is None


def test_newlines_break_and_long_words_fold():
    assert texts(wrap_spans([("head\nstatement", None)], 40)) == ["head", "statement"]
    assert texts(wrap_spans([("see https://example.org/a/very/long/address", None)], 10)) == [
        "see", "https://ex", "ample.org/", "a/very/lon", "g/address"]


def test_wide_characters_count_as_two_cells():
    lines = texts(wrap_spans([("漢字漢字漢字", None)], 5))
    assert lines == ["漢字", "漢字", "漢字"]


@given(st.lists(st.tuples(st.text(max_size=40), st.sampled_from([None, BOLD])), max_size=6),
       st.integers(min_value=1, max_value=30))
def test_no_line_is_too_wide_and_no_word_is_lost(spans, width):
    lines = wrap_spans(spans, width)
    assert all(cell_len(text) <= width or len(text) == 1 for text in texts(lines))
    assert not any(CONTROL.search(text) or "\t" in text or "\n" in text for text in texts(lines))
    original = "".join(shown.text(text) for text, _ in spans)  # controls shown as their escapes
    assert "".join("".join(texts(lines)).split()) == "".join(original.split())


def test_controls_are_shown_as_escapes_never_sent():
    assert texts(wrap_spans([("a\x1b]0;x\x07b \u202ec\td", None)], 40)) == ["a\\x1b]0;x\\x07b \\u202ec    d"]


def test_a_long_word_folds_into_lines_of_the_width():
    """A 100,000-character word (the most a paragraph keeps) folds into 2,500 lines of 40 (it is
    measured once, not again for every line: that took 45 s)."""
    lines = texts(wrap_spans([("x" * 100_000, None)], 40))
    assert len(lines) == 2500 and set(lines) == {"x" * 40}


def test_a_row_too_long_for_its_pane_ends_in_an_ellipsis_and_a_short_one_is_padded():
    from rich.segment import Segment
    from rich.style import Style

    from crisis_tui.tui.widgets.row_view import fit

    base, bold = Style(), Style(bold=True)
    long = fit([Segment(" 1965 ", base), Segment("1965 war between India and Pakistan", bold)], 20, base)
    assert long.text == " 1965 1965 war betw\u2026" and long.cell_length == 20
    assert list(long)[-1].style == bold  # the ellipsis is styled as the name it cuts
    short = fit([Segment(" Simla", bold)], 10, base)
    assert short.text == " Simla    " and short.cell_length == 10
    assert fit([Segment("exactly10!", base)], 10, base).text == "exactly10!"
