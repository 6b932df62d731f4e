"""The user's keymap: read from the config directory or --keymap / CRISIS_TUI_KEYMAP, applied
with `App.set_keymap` (a remapped binding answers its new keys only), and refused in one line
naming the file when it cannot be used."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.tui.app import CrisisApp
from crisis_tui.tui.keymap import KeymapError, is_key, load_keymap, remappable
from crisis_tui.tui.screens.help import HelpScreen
from crisis_tui.tui.screens.history import HistoryScreen
from crisis_tui.tui.widgets.key_bar import KeyBar

from .conftest import CLI, REPO
from .ptyterm import PtyTerminal
from .test_app import settle
from .test_cli_errors import one_line_error


@pytest.fixture
def app_with(bundled_db):
    opened: list[KnowledgeBase] = []

    def make(keymap: dict[str, str]) -> CrisisApp:
        kb = KnowledgeBase("sqlite:///" + str(bundled_db))
        opened.append(kb)
        return CrisisApp(kb, keymap=keymap)

    yield make
    for kb in opened:
        kb.close()


def write(tmp_path: Path, text: str | bytes, name: str = "keymap.toml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k != "CRISIS_TUI_KEYMAP"}
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60, env={**base, **(env or {})})


# --- applied in the explorer ------------------------------------------------------------

async def test_a_remapped_key_drives_the_action_and_the_old_keys_do_not(app_with):
    app = app_with({"list.down": "n", "app.history": "y", "app.timeline": "T"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        events = app.main.list_for("event")
        await pilot.press("n", "n")
        await settle(pilot)
        assert events.cursor == 2 and app.shown == "event/pulwama-attack-2019"
        await pilot.press("j", "down")  # list.down's own keys: taken away by the keymap
        await settle(pilot)
        assert events.cursor == 2
        await pilot.press("k")  # list.up is not remapped
        assert events.cursor == 1
        await pilot.press("H")
        assert not isinstance(app.screen, HistoryScreen)
        bar = "".join(segment.text for segment in app.main.query_one(KeyBar).render_line(0))
        assert " T Timeline " in bar and " t Timeline " not in bar  # the key bar shows the keymap's key
        await pilot.press("y")
        assert isinstance(app.screen, HistoryScreen)


async def test_help_shows_the_keys_of_the_keymap(app_with):
    app = app_with({"list.down": "n", "app.history": "y"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.keys_text()
        lists = text[text.index("\nLists\n"):text.index("\nDetail\n")]
        assert re.search(r"\bn +Down\b", lists) and "Down, j" not in lists
        assert re.search(r"\by +Show where you have been", text)


# --- read and checked -------------------------------------------------------------------

def test_both_forms_of_toml_key_are_read(tmp_path):
    path = write(tmp_path, '"list.down" = "down, j ,d"\n\n[detail]\nsource = "s,w"\n')
    assert load_keymap(path) == {"list.down": "down,j,d", "detail.source": "s,w"}


@pytest.mark.parametrize("keys", ["ctrl+n", "n", "G", "?", "question_mark", "slash", "pagedown", "f5", "shift+tab",
                                  "alt+x", "space", "escape", "enter", "\u00e9"])
def test_key_names_a_terminal_sends_are_keys(keys):
    assert is_key(keys)


def test_keys_may_be_swapped_within_a_pane(tmp_path):
    path = write(tmp_path, '[list]\ndown = "k"\nup = "j"\n')
    assert load_keymap(path) == {"list.down": "k", "list.up": "j"}


def test_no_keymap_file_in_the_config_directory_is_no_keymap(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nothing-here"))
    assert load_keymap(None) == {}


@pytest.mark.parametrize("text, problem", [
    ('"list.down" = "n"\n[list\n', "not valid TOML: "),
    ('"list.donw" = "n"\n', "list.donw: no binding has this id (did you mean list.down or "),
    ('"zzz" = "n"\n', "zzz: no binding has this id (`crisis-tui keys` lists them)"),
    ('"list.down" = 3\n', 'list.down: keys are a string such as "down,j", not a number'),
    ('"list.down" = ["n", "j"]\n', "list.down: keys are a string such as \"down,j\", not a list"),
    ('[list.down]\nkeys = "n"\n', "list.down: keys are a string such as \"down,j\", not a table"),
    ('"list.down" = " "\n', "list.down: no keys"),
    ('"list.down" = "n,,j"\n', "list.down: '' is not a key"),
    ('"list.down" = "page down"\n', "list.down: 'page down' is not a key"),
    ('"list.down" = "\\u001b[2J"\n', "list.down: '\\x1b[2J' is not a key"),
    ('"list.down" = "n"\n[list]\ndown = "j"\n', "list.down: given twice"),
    ('"list.down" = "down,k"\n', "list.down takes 'k', which list.up has too (give list.up its own keys"),
    ('"app.back" = "?"\n', "app.back takes '?', which app.help has too"),
    ('"list.down" = "ctrl-n"\n', "list.down: 'ctrl-n' is not a key"),
    ('"list.down" = "pgdown"\n', "list.down: 'pgdown' is not a key"),
    ('"list.down" = "esc"\n', "list.down: 'esc' is not a key"),
    ('"list.open" = "return"\n', "list.open: 'return' is not a key"),
    ('"list.down" = "PageDown"\n', "list.down: 'PageDown' is not a key"),
    ('"list.down" = "cmd+n"\n', "list.down: 'cmd+n' is not a key"),
    ('"list.up" = "up,q"\n', "list.up takes 'q', which app.quit has too"),
    ('"app.back" = "j"\n', "app.back takes 'j', which "),
    ('"detail.source" = "1"\n', "detail.source takes '1', which pane.events has too"),
    ('"search.close" = "q"\n', "search.close: 'q' is typed or used by the search box"),
    ('"search.next" = "left"\n', "search.next: 'left' is typed or used by the search box"),
    ('"search.close" = "slash"\n', "search.close: 'slash' is typed or used by the search box"),
    ('"app.search" = "ctrl+p"\n', "app.search: 'ctrl+p' is Textual's own"),
    ('"list.down" = "tab"\n', "list.down: 'tab' moves between the panes"),
    ('"history.close" = "enter"\n', "history.close: 'enter' is the history list's own"),
    ('"list.down" = "\u0301"\n', "is not a key"),
])
def test_a_broken_keymap_is_one_line_naming_the_file(tmp_path, text, problem):
    path = write(tmp_path, text)
    with pytest.raises(KeymapError) as raised:
        load_keymap(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and problem in message, message


def test_every_binding_id_in_the_code_can_be_remapped():
    written = set()
    for source in (REPO / "tui").rglob("*.py"):
        written |= set(re.findall(r'\bid="([a-z_]+\.[a-z_]+)"', source.read_text(encoding="utf-8")))
    assert written and written == set(remappable())


# --- the command line -------------------------------------------------------------------

@pytest.mark.parametrize("args", [[], ["open", "simla"]])
def test_the_explorer_refuses_a_broken_keymap_before_it_starts(tmp_path, bundled_db, args):
    path = write(tmp_path, '"list.donw" = "n"\n')
    stderr = one_line_error(run("--db", str(bundled_db), "--keymap", str(path), *args))
    assert f"{path}: list.donw: no binding has this id (did you mean list.down or " in stderr


def test_the_environment_names_a_keymap_and_keys_checks_it(tmp_path):
    path = write(tmp_path, b'"list.down" = "n\xff"\n', name="mine.toml")
    stderr = one_line_error(run("keys", env={"CRISIS_TUI_KEYMAP": str(path)}))
    assert f"{path}: not a UTF-8 text file" in stderr
    stderr = one_line_error(run("keys", env={"CRISIS_TUI_KEYMAP": str(tmp_path / "none.toml")}))
    assert f"{tmp_path / 'none.toml'}: no such keymap file" in stderr
    stderr = one_line_error(run("--keymap", str(tmp_path), "keys"))
    assert "a folder, not a keymap file" in stderr


def test_keys_lists_every_id_with_the_keys_in_use(tmp_path):
    config = tmp_path / "config"
    (config / "crisis-tui").mkdir(parents=True)
    write(config / "crisis-tui", '"list.down" = "d"\n')
    result = run("keys", env={"XDG_CONFIG_HOME": str(config)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"keymap: {config / 'crisis-tui' / 'keymap.toml'} (remaps 1 binding")
    assert re.search(r"^\* list\.down +d +Down$", result.stdout, re.M)
    assert re.search(r"^  list\.up +up,k +Up$", result.stdout, re.M)
    assert [line[2:].split()[0] for line in lines[1:]] == list(remappable())


def test_the_readme_example_is_a_keymap_that_loads(tmp_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    example = readme[readme.index("```toml\n") + len("```toml\n"):]
    path = write(tmp_path, example[:example.index("```")])
    assert load_keymap(path) == {"list.down": "down,j,d", "list.up": "up,k,u", "app.history": "Y"}


def test_every_remappable_binding_says_what_it_does():
    for binding_id, binding in remappable().items():
        assert binding.description, binding_id


def test_the_command_applies_the_keymap_its_environment_names(tmp_path, bundled_db):
    """On a real terminal: q no longer quits, X does, and the key bar says so (x clears a filter)."""
    path = write(tmp_path, '"app.quit" = "X"\n')
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "COLUMNS", "LINES")}
    t = PtyTerminal([CLI, "--db", str(bundled_db)], env={**env, "TERM": "xterm", "CRISIS_TUI_KEYMAP": str(path)})
    try:
        t.wait_for(" X Quit")
        t.send("q")
        t.settle()
        assert os.waitpid(t.pid, os.WNOHANG) == (0, 0)  # still running
        t.send("X")
        assert t.wait_exit() == 0
    finally:
        t.close()


def test_the_search_may_take_keys_the_box_does_not_use(tmp_path):
    keymap = '"search.close" = "escape,ctrl+g"\n"search.next" = "down,ctrl+n"\n"history.close" = "escape,h"\n'
    assert load_keymap(write(tmp_path, keymap)) == {
        "search.close": "escape,ctrl+g", "search.next": "down,ctrl+n", "history.close": "escape,h"}


async def test_ctrl_c_names_a_quit_key_that_looks_like_markup_as_it_is(app_with, monkeypatch):
    app = app_with({"app.quit": "[,X"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        notices = []
        monkeypatch.setattr(app, "notify", lambda message, **kwargs: notices.append((message, kwargs)))
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert notices == [("Press [ or X (or Ctrl+q) to quit", {"timeout": 3, "markup": False})]
