"""Writes that never lose a database: concurrent imports, stale temporaries, locks that time
out, Ctrl-C, a checked build, and a read-only copy whose -wal holds commits."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from crisis_tui.db import build
from crisis_tui.db.build import _Sink, new_database
from crisis_tui.db.errors import DatabaseError
from crisis_tui.db.queries import KnowledgeBase

from .conftest import CLI, REPO


def run(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=timeout)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("crisis-tui: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def small_pack(folder: Path, ref: str, name: str) -> Path:
    """A one-entity pack that adds `ref` to the bundled crisis."""
    text = f"The {name} met on 3 March 2024."
    path = folder / f"{ref.split('/')[-1]}.yaml"
    path.write_text(yaml.safe_dump({
        "schema_version": 1,
        "sources": [{"id": f"note-{ref.split('/')[-1]}", "title": "A field note", "text": text}],
        "entities": [{"id": ref, "type": "actor", "name": name,
                      "citations": [{"source": f"note-{ref.split('/')[-1]}", "quote": f"The {name} met"}]}],
    }), encoding="utf-8")
    return path


def synthetic_pack(folder: Path, events: int) -> Path:
    path = folder / f"synthetic-{events}.json"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "generate.py"), "--events", str(events),
                    "--pack", str(path)], check=True, capture_output=True)
    return path


def holds(db: Path, ref: str) -> bool:
    kb = KnowledgeBase("sqlite:///" + str(db))
    try:
        return kb.row(ref) is not None
    finally:
        kb.close()


def temporaries(db: Path) -> list[Path]:
    return sorted(db.parent.glob(f".{db.name}.[0-9]*.tmp"))


def wait_for_temporary(db: Path, child: subprocess.Popen, seconds: float = 30) -> Path:
    """The temporary file a running import of `db` is building (it exists only while it builds)."""
    deadline = time.monotonic() + seconds
    while not (found := temporaries(db)):
        assert child.poll() is None and time.monotonic() < deadline, "the import ended before its build was seen"
        time.sleep(0.001)
    return found[0]


def dead_pid() -> int:
    """The number of a process that has just ended."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_concurrent_imports_into_x_db_and_x_db_9_keep_both(bundled_db, tmp_path):
    """An import of `x.db` took the temporaries of `x.db.9` (`.x.db.9.PID.tmp`) for a dead process's."""
    x, x9 = tmp_path / "x.db", tmp_path / "x.db.9"
    shutil.copy(bundled_db, x)
    shutil.copy(bundled_db, x9)
    big = synthetic_pack(tmp_path, 5000)
    slow = subprocess.Popen([CLI, "--db", str(x9), "import", str(big)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_for_temporary(x9, slow)
        slow.send_signal(signal.SIGSTOP)  # x.db.9 is mid-build while x.db is imported
        fast = run("--db", str(x), "import", str(small_pack(tmp_path, "actor/harbour-council", "Harbour Council")))
    finally:
        slow.send_signal(signal.SIGCONT)
    out, err = slow.communicate(timeout=60)
    assert fast.returncode == 0, fast.stderr
    assert slow.returncode == 0, err
    assert holds(x, "actor/harbour-council") and holds(x, "agreement/simla-1972")
    assert holds(x9, "event/e4999") and holds(x9, "agreement/simla-1972")
    assert not temporaries(x) and not temporaries(x9)


def test_stale_temporary_of_other_database_is_kept(db_copy, tmp_path):
    """`.crisis.db.9.PID.tmp` belongs to `crisis.db.9`, whatever becomes of process 9."""
    other = tmp_path / f".{db_copy.name}.9.{dead_pid()}.tmp"
    other.write_bytes(b"another database's build")
    result = run("--db", str(db_copy), "import", str(small_pack(tmp_path, "actor/harbour-council", "Harbour Council")))
    assert result.returncode == 0, result.stderr
    assert other.read_bytes() == b"another database's build"


def test_temporary_of_a_dead_pid_whose_lock_is_held_is_kept(db_copy, tmp_path):
    """A process that looks dead from here (another PID namespace) but holds its temporary's lock keeps it;
    one whose lock is free is cleaned up, with its -wal."""
    held = tmp_path / f".{db_copy.name}.{dead_pid()}.tmp"
    stale = tmp_path / f".{db_copy.name}.{dead_pid()}.tmp"
    for path in (held, stale, stale.with_name(stale.name + "-wal")):
        path.write_bytes(b"x")
    with open(held, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        result = run("--db", str(db_copy), "import",
                     str(small_pack(tmp_path, "actor/harbour-council", "Harbour Council")))
        assert result.returncode == 0, result.stderr
        assert held.exists()
    assert not stale.exists() and not stale.with_name(stale.name + "-wal").exists()


def test_install_does_not_create_a_missing_temporary(db_copy, bundled_pack, monkeypatch):
    """The temporary deleted by another process before it is copied in: refused, never an empty database."""
    real = build.install

    def install(*args):
        for tmp in temporaries(db_copy):
            tmp.unlink()
        real(*args)

    monkeypatch.setattr(build, "install", install)
    before = db_copy.read_bytes()
    with pytest.raises(DatabaseError, match="removed or replaced by another process"):
        with build.new_database(db_copy) as writer:
            writer.meta([])
            writer.pack(bundled_pack)
    assert db_copy.read_bytes() == before
    assert holds(db_copy, "agreement/simla-1972")


def test_a_build_that_lost_rows_is_not_installed(db_copy, bundled_pack, monkeypatch):
    """The finished file is checked (quick_check, schema version, row counts) before it replaces anything."""
    put = _Sink.put

    def lossy(self, table, columns, rows):
        put(self, table, columns, rows[:-1] if table == "entity" else rows)

    monkeypatch.setattr(_Sink, "put", lossy)
    before = db_copy.read_bytes()
    with pytest.raises(DatabaseError, match="failed its check.*entity holds"):
        with new_database(db_copy) as writer:
            writer.meta([])
            writer.pack(bundled_pack)
    assert db_copy.read_bytes() == before
    assert not temporaries(db_copy)


def test_locked_database_import_fails_within_bounded_wait(db_copy, tmp_path):
    """Another writer holds the import lock: the documented 10 s wait, then one line, never a hang."""
    pack = small_pack(tmp_path, "actor/harbour-council", "Harbour Council")
    env = {k: v for k, v in os.environ.items() if k != "CRISIS_TUI_LOCK_TIMEOUT"}
    with open(tmp_path / f".{db_copy.name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        started = time.monotonic()
        try:
            result = run("--db", str(db_copy), "import", str(pack), env=env, timeout=20)
        except subprocess.TimeoutExpired:
            pytest.fail("the import waited for the lock for 20 s")
        waited = time.monotonic() - started
    assert result.returncode == 1
    assert "locked by another process" in one_line_error(result)
    assert 9 < waited < 20
    assert not holds(db_copy, "actor/harbour-council")


def test_sqlite_write_lock_on_live_database_times_out(db_copy, tmp_path):
    """A connection holding a write transaction on the live file: the copy-in gives up after the wait."""
    pack = small_pack(tmp_path, "actor/harbour-council", "Harbour Council")
    holder = sqlite3.connect(db_copy, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = run("--db", str(db_copy), "import", str(pack),
                     env=dict(os.environ, CRISIS_TUI_LOCK_TIMEOUT="1"), timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("the import waited for the write lock for 20 s")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1
    assert "locked by another process" in one_line_error(result)
    assert not holds(db_copy, "actor/harbour-council")
    assert not temporaries(db_copy)


def test_ctrl_c_before_commit_says_unchanged(db_copy, tmp_path):
    pack = synthetic_pack(tmp_path, 5000)
    before = db_copy.read_bytes()
    child = subprocess.Popen([CLI, "--db", str(db_copy), "import", str(pack)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    wait_for_temporary(db_copy, child)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 130
    assert err == "crisis-tui: interrupted; the database is unchanged\n"
    assert db_copy.read_bytes() == before
    assert not temporaries(db_copy)


def test_ctrl_c_after_commit_says_committed(db_copy, tmp_path):
    """Ctrl-C that lands just after the copy-in committed must not claim the database is unchanged."""
    pack = small_pack(tmp_path, "actor/harbour-council", "Harbour Council")
    script = (
        "import sys\n"
        "import crisis_tui.db.build as build\n"
        "real = build.install\n"
        "def install(*args):\n"
        "    real(*args)\n"
        "    raise KeyboardInterrupt\n"
        "build.install = install\n"
        "from crisis_tui.tui.cli import main\n"
        "main(sys.argv[1:], prog_name='crisis-tui')\n"
    )
    result = subprocess.run([sys.executable, "-c", script, "--db", str(db_copy), "import", str(pack)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 130
    assert result.stderr == "crisis-tui: interrupted after the import was committed\n"
    assert holds(db_copy, "actor/harbour-council")


def test_read_only_folder_with_wal_is_not_shown_stale(db_copy, tmp_path):
    """A copy whose -wal holds a commit, in a folder where SQLite cannot make its -shm: read right, or refused."""
    writer = sqlite3.connect(db_copy, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE entity SET name = 'Simla Accord Renamed' WHERE ref = 'agreement/simla-1972'")
    folder = tmp_path / "shared"
    folder.mkdir()
    for suffix in ("", "-wal"):  # the file and its -wal as they are, while the commit is in the -wal only
        shutil.copy(f"{db_copy}{suffix}", folder / f"crisis.db{suffix}")
    writer.close()
    assert (folder / "crisis.db-wal").stat().st_size > 0
    if os.geteuid() == 0:  # root writes anywhere: point the -shm where nothing can be made
        (folder / "crisis.db-shm").symlink_to("/proc/crisis-tui-test-shm")
    else:
        folder.chmod(0o555)
    try:
        result = run("--db", str(folder / "crisis.db"), "show", "agreement/simla-1972")
    finally:
        folder.chmod(0o755)
    if result.returncode == 0:
        assert "Simla Accord Renamed" in result.stdout
    else:
        assert result.returncode == 1
        assert "-wal" in one_line_error(result) and "read-only folder" in result.stderr


def test_build_refuses_to_replace_a_file_that_is_not_a_database(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n", encoding="utf-8")
    result = run("--db", str(notes), "build")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "is not a SQLite database; refusing to replace it" in result.stderr
    assert notes.read_text(encoding="utf-8") == "my notes\n"


def test_build_replaces_a_damaged_database(tmp_path, bundled_db):
    damaged = tmp_path / "crisis.db"
    damaged.write_bytes(bundled_db.read_bytes()[:100] + b"\x00" * 4096)  # its header, then nothing sound
    result = run("--db", str(damaged), "build")
    assert result.returncode == 0, result.stderr
    assert run("--db", str(damaged), "show", "simla").returncode == 0
