"""The explorer as `crisis-tui serve` starts it for a remote user (`--served ssh|web`), and the
command line and environment each session gets (tui/serve/explorer.py)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.tui import copying
from crisis_tui.tui.app import CrisisApp
from crisis_tui.tui.serve.explorer import explorer_command, explorer_env, fingerprint, state_file, terminal_type

from .conftest import CLI
from .test_cli import SCHEMA_5, schema_5_database


def palette_titles(app: CrisisApp) -> list[str]:
    return [command.title for command in app.get_system_commands(app.screen)]


async def test_a_served_explorer_has_no_screenshot_in_its_palette(bundled_db):
    for served, screenshot in ((None, True), ("ssh", False), ("web", False)):
        kb = KnowledgeBase("sqlite:///" + str(bundled_db))
        app = CrisisApp(kb, served=served)
        try:
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                titles = palette_titles(app)
                assert ("Screenshot" in titles) is screenshot, (served, titles)
                assert "Search entities" in titles and "Theme" in titles
        finally:
            kb.close()


class FakeApp:
    """What open_address uses of the app: it records instead of acting."""

    def __init__(self, served: str | None) -> None:
        self.served = served
        self.copied: list[str] = []
        self.opened: list[str] = []
        self.said: list[str] = []

    def copy_to_clipboard(self, text: str) -> None:
        self.copied.append(text)

    def open_url(self, url: str) -> None:
        self.opened.append(url)

    def notify(self, message: str, **_) -> None:
        self.said.append(message)


def test_o_over_served_ssh_copies_the_address_and_opens_nothing_on_the_server(monkeypatch):
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")  # a server with a display: still not the user's browser
    app = FakeApp("ssh")
    copying.open_address(app, "https://example.org/a")
    assert app.opened == [] and app.copied == ["https://example.org/a"]
    assert "copied the address" in app.said[-1]


def test_o_in_a_web_session_opens_the_address_in_the_users_browser(monkeypatch):
    monkeypatch.setenv("SSH_CONNECTION", "1.2.3.4 5 6.7.8.9 22")  # the web server itself started over SSH
    app = FakeApp("web")
    copying.open_address(app, "https://example.org/a")
    assert app.opened == ["https://example.org/a"] and app.copied == []


def test_a_served_explorer_never_builds_the_default_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CRISIS_TUI_DB"}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    result = subprocess.run([CLI, "--served", "ssh", "show", "simla"], capture_output=True, text=True, env=env,
                            timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("crisis-tui: error: ") and "no database here" in result.stderr
    assert not (tmp_path / "data" / "crisis-tui" / "crisis.db").exists()
    built = subprocess.run([CLI, "show", "simla"], capture_output=True, text=True, env=env, timeout=120)
    assert built.returncode == 0 and (tmp_path / "data" / "crisis-tui" / "crisis.db").exists()  # unserved: built


def test_a_served_explorer_does_not_upgrade_an_outdated_database(tmp_path):
    db = schema_5_database(tmp_path / "old.db")
    before = db.read_bytes()
    result = subprocess.run([CLI, "--db", str(db), "--served", "ssh", "show", "simla"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert db.read_bytes() == before and SCHEMA_5.exists()


def test_the_session_command_runs_this_python_on_the_checked_database(tmp_path):
    command = explorer_command(tmp_path / "kb.db", tmp_path / "state.db", "ssh")
    assert command[:3] == [sys.executable, "-m", "crisis_tui.tui.cli"]
    assert command[3:] == ["--db", str(tmp_path / "kb.db"), "--state", str(tmp_path / "state.db"), "--served", "ssh"]
    keyed = explorer_command(tmp_path / "kb.db", tmp_path / "s.db", "web", keymap=tmp_path / "k.toml")
    assert keyed[3:5] == ["--keymap", str(tmp_path / "k.toml")] and keyed[-2:] == ["--served", "web"]
    shown = subprocess.run([*command[:3], "--db", str(tmp_path / "none.db"), "--served", "ssh", "show", "x"],
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 1 and "none.db: no database here" in shown.stderr  # `-m` runs the real command


def test_a_session_environment_takes_nothing_else_from_the_server_or_the_client():
    server = {"PATH": "/usr/bin", "HOME": "/srv", "CRISIS_TUI_STATE": "/srv/state.db", "CRISIS_TUI_KEYMAP": "/k",
              "CRISIS_TUI_DB": "/other.db", "AWS_SECRET_ACCESS_KEY": "x", "COLUMNS": "100", "LINES": "30",
              "SSH_CONNECTION": "a b c d", "TEXTUAL_DRIVER": "x"}
    client = {"NO_COLOR": "", "COLORTERM": "truecolor", "LD_PRELOAD": "/tmp/evil.so", "PYTHONPATH": "/tmp",
              "TERM": "vt100"}
    env = explorer_env("xterm", client, server)
    assert env == {"PATH": "/usr/bin", "HOME": "/srv", "LANG": "C.UTF-8", "TERM": "xterm", "MALLOC_ARENA_MAX": "2",
                   "NO_COLOR": "1", "COLORTERM": "truecolor"}
    assert "COLORTERM" not in explorer_env("xterm", {"COLORTERM": "\x1b]0;x\x07"}, server)


def test_a_terminal_type_that_is_not_a_name_becomes_xterm_256color():
    assert terminal_type("screen-256color") == "screen-256color"
    for bad in (None, "", "\x1b[2J", "xterm\nrm -rf", "a" * 65, "../../etc/passwd", "-x"):
        assert terminal_type(bad) == "xterm-256color", bad


def test_a_fingerprint_is_the_one_ssh_keygen_shows(tmp_path):
    key = tmp_path / "id"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "me", "-f", str(key)], check=True)
    blob = base64.b64decode(key.with_suffix(".pub").read_text().split()[1])
    shown = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(key.with_suffix(".pub"))],
                           capture_output=True, text=True, check=True).stdout.split()[1]
    assert fingerprint(blob) == shown


def test_each_key_has_its_own_state_file_named_safely(tmp_path):
    fp = fingerprint(b"\x00\x00\x00\x0bssh-ed25519" + bytes(range(36)))
    path = state_file(tmp_path, fp)
    assert path.parent == tmp_path and path.suffix == ".db" and path.name.startswith("sha256-")
    assert state_file(tmp_path, fingerprint(b"other")) != path
    assert state_file(tmp_path, "SHA256:a/b+c") == tmp_path / "sha256-a_b-c.db"


async def test_nothing_opens_a_browser_on_the_ssh_server(bundled_db, monkeypatch):
    """Any caller of open_url (a future Markdown link, say), not only `o`: the address is copied."""
    import webbrowser

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url))
    kb = KnowledgeBase("sqlite:///" + str(bundled_db))
    app = CrisisApp(kb, served="ssh")
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            app.open_url("https://example.org/x")
            await pilot.pause()
            assert copied == ["https://example.org/x"] and opened == []
            assert any("copied the address 'https://example.org/x'" in str(n.message) for n in app._notifications)
    finally:
        kb.close()


def test_importing_the_forkservers_preload_leaves_this_process_as_it_was(monkeypatch):
    """It is imported by every module walk (tests/test_public_api.py) as well as by the forkserver."""
    import importlib

    from crisis_tui.tui.serve import warm_preload

    monkeypatch.setenv("TEXTUAL_SNAPSHOT_TEMPDIR", "/tmp/x")
    monkeypatch.setenv("ESCDELAY", "25")
    before = dict(os.environ)
    importlib.reload(warm_preload)
    assert dict(os.environ) == before
