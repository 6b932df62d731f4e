"""Hostile input to the command line: every failure is one line (exit 1) or a usage error (exit 2),
never a traceback; what it writes never replaces a link or a device; database text is shown inert."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from crisis_tui.db.dates import format_date, format_span
from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.tui.output import detail_text

from .conftest import CLI

SIMLA = "agreement/simla-1972"


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The stderr of a failed run: exit 1, one line, no traceback."""
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("crisis-tui: error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def usage_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "Error: " in result.stderr, result.stderr
    return result.stderr


def tamper(db: Path, sql: str, *params) -> None:
    """Change a database as another tool would, behind crisis-tui's back."""
    conn = sqlite3.connect(db)
    conn.execute(sql, params)
    conn.commit()
    conn.close()


# --- bad values inside the database -----------------------------------------------------

def test_bad_schema_version_in_meta(db_copy):
    tamper(db_copy, "UPDATE meta SET value = 'abc' WHERE key = 'schema_version'")
    assert "schema_version" in one_line_error(run("--db", str(db_copy), "show", "simla"))


def test_bad_attributes_json_is_shown_not_raised(db_copy):
    tamper(db_copy, "UPDATE entity SET attributes = '{not json' WHERE ref = ?", SIMLA)
    result = run("--db", str(db_copy), "show", SIMLA)
    assert result.returncode == 0, result.stderr
    assert "unreadable attributes: {not json" in result.stdout


def test_export_of_bad_attributes_json_is_one_line(db_copy):
    tamper(db_copy, "UPDATE entity SET attributes = '[1, 2' WHERE ref = ?", SIMLA)
    message = one_line_error(run("--db", str(db_copy), "export"))
    assert SIMLA in message and "attributes" in message


def test_impossible_date_in_database_show(db_copy):
    tamper(db_copy, "UPDATE entity SET date = '2025-13-99', date_end = 'soon' WHERE ref = ?", SIMLA)
    result = run("--db", str(db_copy), "show", SIMLA)
    assert result.returncode == 0, result.stderr
    assert "2025-13-99 – soon" in result.stdout
    listed = run("--db", str(db_copy), "search", "simla agreement")
    assert listed.returncode == 0 and "2025-13-99" in listed.stdout, listed.stderr


def test_detail_with_bad_date_and_attributes_is_showable(db_copy):
    """What the explorer does with such an entity: `KnowledgeBase.detail`, then db/dates.py."""
    tamper(db_copy, "UPDATE entity SET date = '2025-13-99', date_end = '\x1b[2J', attributes = 'nope' WHERE ref = ?",
           SIMLA)
    kb = KnowledgeBase("sqlite:///" + str(db_copy))
    try:
        detail = kb.detail(SIMLA)
    finally:
        kb.close()
    r = detail.row
    assert format_date(r.date, r.date_precision, r.date_uncertain) == "2025-13-99"
    assert format_span(r.date, detail.date_end, r.date_precision) == "2025-13-99 – \\x1b[2J"
    assert detail.attributes == {"unreadable attributes": "nope"}
    assert "2025-13-99" in detail_text(detail)


def test_import_into_a_database_holding_an_impossible_date(db_copy, tmp_path):
    tamper(db_copy, "UPDATE entity SET date = '2025-13-99' WHERE ref = ?", SIMLA)
    pack = tmp_path / "empty.yaml"
    pack.write_text("schema_version: 1\nrelations: []\n", encoding="utf-8")
    assert "date" in one_line_error(run("--db", str(db_copy), "import", str(pack)))


def test_a_bad_pack_row_in_the_database(db_copy, tmp_path):
    tamper(db_copy, "UPDATE pack SET ref = 'Not A Pack Id'")
    pack = tmp_path / "empty.yaml"
    pack.write_text("schema_version: 1\nrelations: []\n", encoding="utf-8")
    line = one_line_error(run("--db", str(db_copy), "import", str(pack)))
    assert "the database holds a record the pack format refuses (pack.id:" in line


# --- odd paths ---------------------------------------------------------------------------

def test_export_to_empty_path(bundled_db):
    usage_error(run("--db", str(bundled_db), "export", "-o", ""))


def test_db_empty_path_is_a_usage_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CRISIS_TUI_DB"}
    env["XDG_DATA_HOME"] = str(tmp_path)  # where an empty --db taken for "the default" would build
    usage_error(subprocess.run([CLI, "--db", "", "show", "simla"], capture_output=True, text=True, env=env, timeout=60))
    assert not list(tmp_path.iterdir())


def test_db_tilde_unknown_user():
    message = one_line_error(run("--db", "~no-such-user-here/x.db", "show", "simla"))
    assert "~no-such-user-here" in message


def test_db_fifo_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "crisis.db"
    os.mkfifo(fifo)
    try:
        result = run("--db", str(fifo), "show", "simla", timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail("opening a FIFO as the database hung")
    assert "not a regular file" in one_line_error(result)


def test_build_over_a_fifo_is_refused(tmp_path):
    fifo = tmp_path / "crisis.db"
    os.mkfifo(fifo)
    try:
        result = run("--db", str(fifo), "build", timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("building over a FIFO hung")
    assert "refusing to replace it" in one_line_error(result)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_export_refuses_symlink(bundled_db, tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me\n")
    link = tmp_path / "out.json"
    link.symlink_to(target)
    message = one_line_error(run("--db", str(bundled_db), "export", "-o", str(link)))
    assert "is a symlink; refusing to replace it" in message
    assert link.is_symlink() and target.read_text() == "keep me\n"


def test_export_refuses_fifo(bundled_db, tmp_path):
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    message = one_line_error(run("--db", str(bundled_db), "export", "-o", str(fifo), timeout=15))
    assert "is not a regular file; refusing to replace it" in message
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_export_refuses_dev_null_replacement(bundled_db, tmp_path):
    """Root may replace anything: a device stays a device. As root the test writes to a copy of /dev/null
    of its own (so that running it against a broken export cannot break the machine)."""
    device = Path("/dev/null")
    if os.geteuid() == 0:
        device = tmp_path / "null"
        try:
            os.mknod(device, stat.S_IFCHR | 0o666, os.stat("/dev/null").st_rdev)
        except OSError:
            pytest.skip("root here cannot make a device node to test with")
    message = one_line_error(run("--db", str(bundled_db), "export", "-o", str(device)))
    assert "not a regular file; refusing to replace it" in message
    assert stat.S_ISCHR(device.lstat().st_mode)
    assert not list(device.parent.glob(f".{device.name}.*tmp"))


def test_export_does_not_follow_a_symlink_at_its_temporary_name(bundled_db, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (tmp_path / ".out.json.tmp").symlink_to(victim)
    out = tmp_path / "out.json"
    result = run("--db", str(bundled_db), "export", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "keep me\n"
    assert json.loads(out.read_text())["entities"]


# --- blank arguments ---------------------------------------------------------------------

@pytest.mark.parametrize("command", ["show", "open"])
@pytest.mark.parametrize("text", ["", "   "])
def test_show_empty_is_usage_error(bundled_db, command, text):
    usage_error(run("--db", str(bundled_db), command, text))


@pytest.mark.parametrize("text", ["", " \t "])
def test_search_blank_is_usage_error(bundled_db, text):
    usage_error(run("--db", str(bundled_db), "search", text))


# --- database text shown inert -------------------------------------------------------------

def test_show_escapes_control_characters_from_database(db_copy):
    tamper(db_copy, "UPDATE entity SET name = 'Simla \x1b[31mRed', summary = 'wipe \x1b[2J\x9b1m' WHERE ref = ?", SIMLA)
    tamper(db_copy, "UPDATE citation SET quote = quote || '\x1b]0;owned\x07' WHERE subject = 'entity'")
    for args in (["show", SIMLA], ["show", SIMLA, "--json"], ["search", "simla"], ["search", "simla", "--json"]):
        result = run("--db", str(db_copy), *args)
        assert result.returncode == 0, result.stderr
        assert not any(ch in result.stdout + result.stderr for ch in "\x1b\x07\x9b"), args
    shown = run("--db", str(db_copy), "show", SIMLA).stdout
    assert "Simla \\x1b[31mRed" in shown and "\\x1b]0;owned\\x07" in shown


def test_search_json_has_no_raw_bidi(db_copy):
    tamper(db_copy, "UPDATE entity SET name = 'Simla \u202eTNEMEERGA' WHERE ref = ?", SIMLA)
    result = run("--db", str(db_copy), "search", "simla", "--json")
    assert result.returncode == 0, result.stderr
    assert "\u202e" not in result.stdout and "\\u202e" in result.stdout
    assert any(h["row"]["name"] == "Simla \u202eTNEMEERGA" for h in json.loads(result.stdout))  # the same value


def test_yaml_export_has_no_raw_bidi_or_c1(db_copy):
    tamper(db_copy, "UPDATE entity SET name = 'Simla \u202eTNEMEERGA\u0085' WHERE ref = ?", SIMLA)
    result = run("--db", str(db_copy), "export", "--format", "yaml")
    assert result.returncode == 0, result.stderr
    assert "\u202e" not in result.stdout and "\u0085" not in result.stdout
    names = [e["name"] for e in yaml.safe_load(result.stdout)["entities"]]
    assert "Simla \u202eTNEMEERGA\u0085" in names  # the same value, escaped in the file


def test_error_message_escapes_database_text(db_copy):
    tamper(db_copy, "UPDATE entity SET name = 'Nawaz \x1b]0;owned\x07Sharif' WHERE ref = 'actor/nawaz-sharif'")
    message = one_line_error(run("--db", str(db_copy), "show", "Sharif"))
    assert "ambiguous" in message and "\x1b" not in message and "\\x1b]0;owned\\x07" in message


# --- anything else -------------------------------------------------------------------------

def test_unexpected_error_is_one_line_and_debug_shows_it(bundled_db):
    script = (
        "import sys\n"
        "from crisis_tui.db.queries import KnowledgeBase\n"
        "def boom(*args, **kwargs):\n"
        "    raise RuntimeError('boom \\x1b[2J')\n"
        "KnowledgeBase.search = boom\n"
        "from crisis_tui.tui.cli import main\n"
        "main(sys.argv[1:], prog_name='crisis-tui')\n"
    )

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=60)

    message = one_line_error(cli("--db", str(bundled_db), "search", "simla"))
    assert "RuntimeError: boom" in message and "\x1b" not in message and "--debug" in message
    debug = cli("--debug", "--db", str(bundled_db), "search", "simla")
    assert debug.returncode == 1 and "Traceback" in debug.stderr
