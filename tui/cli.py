"""The `crisis-tui` command: the explorer by default, and scriptable subcommands.

Imports stay lazy so that `show` never loads Textual and the explorer never loads SQLModel
unless it must build a database first.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ..db.errors import CrisisError, DatabaseError
from ..db.location import database_url, default_path, sqlite_path
from ..db.constants import ENTITY_TYPES


class _Context:
    def __init__(self, db: str | None, debug: bool) -> None:
        self.db_option = db
        self.debug = debug
        self.url = database_url(db)

    def ensure_database(self) -> None:
        """Build the default database from the bundled pack on first launch.

        A database chosen with --db or CRISIS_TUI_DB is never made behind the user's back:
        a missing one is reported, with the command that builds it.
        """
        path = sqlite_path(self.url)
        if not path.exists() and path == default_path().resolve():
            _build(self.url, [])
            click.echo(f"crisis-tui: built {path} from the bundled crisis pack", err=True)

    def knowledge_base(self):
        from ..db.errors import OutdatedDatabase
        from ..db.queries import KnowledgeBase

        self.ensure_database()
        try:
            return KnowledgeBase(self.url)
        except OutdatedDatabase:
            _upgrade(self.url)
            return KnowledgeBase(self.url)


def _upgrade(url: str) -> None:
    from ..db.constants import SCHEMA_VERSION
    from ..seed.importer import upgrade_database

    path = sqlite_path(url)
    found = upgrade_database(path)
    if found == SCHEMA_VERSION:
        click.echo(f"crisis-tui: {path} is already at schema {SCHEMA_VERSION}", err=True)
    else:
        click.echo(f"crisis-tui: upgraded {path} from schema {found} to {SCHEMA_VERSION}, keeping its data", err=True)


def _build(url: str, packs: list[Path]):
    from ..db.build import build_database
    from ..seed.loader import bundled_pack_path, load_pack

    loaded = [load_pack(p) for p in (packs or [bundled_pack_path()])]
    return build_database(loaded, sqlite_path(url))


class _Group(click.Group):
    """Turns data and database errors into one line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CrisisError as exc:
            if ctx.meta.get("crisis_debug"):
                raise
            click.echo(f"crisis-tui: error: {exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("crisis-tui: interrupted", err=True)
            ctx.exit(130)


@click.group(cls=_Group, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="PATH", help="Database file (default: $CRISIS_TUI_DB, else the user data directory).")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(package_name="crisis-tui")
@click.pass_context
def main(ctx: click.Context, db: str | None, debug: bool) -> None:
    """Explore a geopolitical crisis by keyboard: events, actors, agreements and their sources.

    With no command, starts the explorer (building the bundled database on first launch).
    """
    ctx.meta["crisis_debug"] = debug
    ctx.obj = _Context(db, debug)
    if ctx.invoked_subcommand is None:
        _explore(ctx.obj, None)


def _explore(obj: _Context, start: str | None) -> None:
    kb = obj.knowledge_base()
    start_ref = None
    if start is not None:
        start_ref = _resolve_one(kb, start).ref
    # Textual draws at most MAX_FPS frames a second, on a fixed grid: at its default of 60 a
    # key whose result arrives from a worker waits up to 17 ms for the next slot (8 at 120).
    # Frames are only drawn when something changed, and composing one takes 3-12 ms, so a
    # 1 ms grid means "draw as soon as there is something new" and costs nothing while idle.
    os.environ.setdefault("TEXTUAL_FPS", "1000")

    from .app import CrisisApp

    app = CrisisApp(kb, start=start_ref)
    app.run()
    if app.return_code:
        sys.exit(app.return_code)


@main.command("open")
@click.argument("ref")
@click.pass_obj
def open_cmd(obj: _Context, ref: str) -> None:
    """Start the explorer on one entity (an id, a name or an alias)."""
    _explore(obj, ref)


@main.command()
@click.option("--pack", "packs", multiple=True, type=click.Path(path_type=Path),
              help="Build from this pack (folder or file) instead of the bundled one; repeatable.")
@click.pass_obj
def build(obj: _Context, packs: tuple[Path, ...]) -> None:
    """(Re)build the database from the bundled crisis pack, or from --pack."""
    counts = _build(obj.url, list(packs))
    summary = ", ".join(f"{n} {name}" for name, n in counts.items())
    click.echo(f"built {sqlite_path(obj.url)}: {summary}")


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="Take the imported version of records that differ from the database.")
@click.pass_obj
def import_cmd(obj: _Context, files: tuple[Path, ...], replace: bool) -> None:
    """Merge crisis packs (YAML, JSON, or ACLED CSV) into the database, all or nothing.

    Importing the same pack twice changes nothing; a record whose id is already in the
    database with other content is refused (naming both versions) unless --replace is given.
    """
    from ..seed.importer import import_packs

    obj.ensure_database()
    report = import_packs(list(files), sqlite_path(obj.url), replace=replace)
    click.echo(f"{sqlite_path(obj.url)}: {report.summary()}" + ("" if report.wrote else " (database unchanged)"))


@main.command()
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="json", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@click.pass_obj
def export(obj: _Context, fmt: str, output: Path | None) -> None:
    """Write the whole knowledge base as one pack document (what `build --pack` reads)."""
    document = obj.knowledge_base().export()
    if fmt == "json":
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    else:
        import yaml

        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    if output is None:
        click.echo(text, nl=False)
        return
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DatabaseError(f"{output}: cannot write: {exc.strerror or exc}") from None


def _resolve_one(kb, ref: str):
    rows = kb.resolve(ref)
    if not rows:
        raise CrisisError(f"nothing matches {ref!r} (try `crisis-tui search {ref!r}`)")
    if len(rows) > 1:
        listing = "; ".join(f"{r.name} [{r.ref}]" for r in rows[:10])
        more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
        raise CrisisError(f"{ref!r} is ambiguous: {listing}{more}")
    return rows[0]


@main.command()
@click.pass_obj
def upgrade(obj: _Context) -> None:
    """Rebuild a database made by an older crisis-tui, keeping everything in it."""
    _upgrade(obj.url)


@main.command()
def schema() -> None:
    """Print the JSON Schema of the pack format (docs/pack.schema.json)."""
    from ..db.pack import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


@main.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def show(obj: _Context, ref: str, as_json: bool) -> None:
    """Show one entity with its links, what refers to it, and its sources.

    REF is an id (agreement/simla-1972), a name or an alias, in any case.
    """
    from dataclasses import asdict

    from .output import detail_text

    kb = obj.knowledge_base()
    detail = kb.detail(_resolve_one(kb, ref).ref)
    if as_json:
        click.echo(json.dumps(asdict(detail), ensure_ascii=False, indent=2))
    else:
        click.echo(detail_text(detail))


@main.command()
@click.argument("text")
@click.option("--type", "entity_type", type=click.Choice(ENTITY_TYPES), help="Only this kind of entity.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def search(obj: _Context, text: str, entity_type: str | None, limit: int, as_json: bool) -> None:
    """Search names, aliases and summaries; best matches first."""
    from dataclasses import asdict

    from .output import hits_text

    hits = obj.knowledge_base().search(text, entity_type=entity_type, limit=limit)
    if as_json:
        click.echo(json.dumps([asdict(h) for h in hits], ensure_ascii=False, indent=2))
    elif hits:
        click.echo(hits_text(hits))
    else:
        click.echo(f"no matches for {text!r}", err=True)
