"""The data layer knows nothing of the UI: db/ and seed/ import no Textual and no Rich."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import BIN, REPO


def test_db_and_seed_import_no_ui():
    code = (
        "import sys\n"
        "import crisis_tui.db.queries, crisis_tui.db.build, crisis_tui.db.export\n"
        "import crisis_tui.seed.loader\n"
        "from crisis_tui.seed.loader import bundled_pack_path, load_pack\n"
        "load_pack(bundled_pack_path())\n"
        "bad = sorted(m for m in sys.modules\n"
        "             if m.split('.')[0] in ('textual', 'rich') or m.startswith('crisis_tui.tui'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_cli_show_imports_no_textual(bundled_db):
    code = (
        "import sys\n"
        "from crisis_tui.tui.cli import main\n"
        f"try:\n    main(['--db', {str(bundled_db)!r}, 'show', 'simla'])\n"
        "except SystemExit:\n    pass\n"
        "print('TEXTUAL' if 'textual' in sys.modules else 'ok', file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stderr.strip().endswith("ok")


def test_import_linter_contract():
    result = subprocess.run([str(BIN / "lint-imports")], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_timeline_chart_takes_only_cell_widths_from_rich():
    """The contract above lets tui/timeline_chart.py import Rich (the linter sees a package,
    not its modules): only rich.cells, no console or rendering, for the command line's chart."""
    import ast

    tree = ast.parse((REPO / "tui" / "timeline_chart.py").read_text(encoding="utf-8"))
    taken = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    taken |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert {name for name in taken if name.split(".")[0] == "rich"} == {"rich.cells"}


def test_the_schema_snapshot_is_sqlmodels_own_ddl():
    from crisis_tui.db.schema import MODEL_DDL, model_ddl

    assert MODEL_DDL.read_text(encoding="utf-8") == model_ddl(), (
        "the models changed: run `python -m crisis_tui.db.schema` and bump SCHEMA_VERSION")


def test_sqlite_reads_load_no_postgresql_driver(bundled_db):
    """The explorer's path on SQLite (the default) never pays for importing psycopg."""
    code = ("import sys\n"
            "from crisis_tui.db.engines import open_knowledge_base\n"
            f"kb = open_knowledge_base('sqlite:///' + {str(bundled_db)!r})\n"
            "kb.page('event', 0, 20); kb.detail('agreement/simla-1972'); kb.search('simla')\n"
            "print(sorted(m for m in ('psycopg', 'sqlalchemy', 'sqlmodel') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_postgresql_reads_load_no_orm(pg_url):
    """On PostgreSQL the query layer needs psycopg only: no SQLAlchemy or SQLModel (~0.5 s) on
    the explorer's way to its first frame."""
    code = ("import sys\n"
            "from crisis_tui.db.engines import open_knowledge_base\n"
            f"kb = open_knowledge_base({pg_url!r})\n"
            "kb.packs(); kb.row('agreement/simla-1972')\n"
            "print(sorted(m for m in ('psycopg', 'sqlalchemy', 'sqlmodel') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "['psycopg']"


def test_every_package_folder_is_installed():
    """`pip install .` installs the packages pyproject.toml lists: a folder of modules left out
    (db/pg once was) works from a checkout and fails for a user who installed it."""
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    folders = {Path(folder) for folder in config["package-dir"].values()}
    assert set(config["packages"]) == set(config["package-dir"])
    found = {path.parent.relative_to(REPO) for top in ("db", "seed", "tui")
             for path in (REPO / top).rglob("*.py") if "__pycache__" not in path.parts}
    assert found == folders
