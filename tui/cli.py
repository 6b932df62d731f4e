"""The `crisis-tui` command: the explorer by default, and scriptable subcommands.

Imports stay lazy so that `show` never loads Textual and the explorer never loads SQLModel
unless it must build a database first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from ..db.constants import ENTITY_TYPES
from ..db.errors import CrisisError, PackError
from ..db.location import database_url, default_path, is_postgres, shown, split_password, sqlite_path
from ..db.text import CONTROL, inert
from .keymap import ENV_VAR as KEYMAP_ENV


class _Interrupted(KeyboardInterrupt):
    """Ctrl-C during a write, saying what it left the database as."""


def _where(url: str) -> str:
    """The database as messages name it: a SQLite file by its path, a server's by its URL,
    never with a password (inert: a path may hold anything)."""
    return inert(shown(url) if is_postgres(url) else str(sqlite_path(url)), one_line=True)


def _stamp(url: str) -> str | None:
    """The id of the write whose content the database holds now (see `_writing`)."""
    if is_postgres(url):
        return _pg_import().database_stamp_pg(url)
    from ..db.build import database_stamp

    return database_stamp(sqlite_path(url))


def _pg_import():
    """seed/pg_import.py: builds and imports on PostgreSQL (imported only for a PostgreSQL URL)."""
    from ..seed import pg_import

    return pg_import


@contextmanager
def _writing(url: str, what: str) -> Iterator[None]:
    """Turn Ctrl-C during a write into what really happened: committed, or nothing changed.

    The write stamps the database with an id of its own (`meta.build_id`): whether the
    database holds it tells, whatever moment the interrupt came at (another process's
    commit meanwhile is not taken for ours). On PostgreSQL the write is one transaction,
    and the stamp is read back from the server.
    """
    import uuid

    from ..db.build import next_build_id

    ours = uuid.uuid4().hex
    token = next_build_id.set(ours)
    try:
        yield
    except KeyboardInterrupt:
        try:
            stamp = _stamp(url)
        except CrisisError:  # the server cannot be asked: say what is known
            stamp = None
        if stamp is None and is_postgres(url):
            raise _Interrupted(f"interrupted; whether the {what} was committed could not be read "
                               "(it was all or nothing)") from None
        if stamp == ours:
            raise _Interrupted(f"interrupted after the {what} was committed") from None
        raise _Interrupted("interrupted; the database is unchanged") from None
    finally:
        next_build_id.reset(token)


class _Context:
    def __init__(self, db: str | None, debug: bool, keymap: Path | None = None, state: Path | None = None,
                 served: str | None = None) -> None:
        self.db_option = db
        self.debug = debug
        self.keymap = keymap
        self.state_option = state
        self.served = served  # "ssh" or "web": an explorer a server started for a remote user (tui/serve/)
        self.url = _keep_password(database_url(db))

    def user_state(self):
        """Bookmarks, notes and the place left for this database (db/state.py); the file is made at the first write."""
        from ..db.state import StateStore, UserState, state_path

        return UserState(StateStore(state_path(self.state_option)), self.url)

    def ensure_database(self) -> None:
        """Build the default database from the bundled pack on first launch (never for a served
        explorer: its server built or checked the database before taking anyone in).

        A database chosen with --db or CRISIS_TUI_DB is never made behind the user's back:
        a missing one is reported, with the command that builds it. Nor is a PostgreSQL one.
        """
        if is_postgres(self.url):
            return
        path = sqlite_path(self.url)
        if not self.served and not path.exists() and path == default_path().resolve():
            if _build(self.url, [], only_if_missing=True) is not None:
                where = inert(str(path), one_line=True)
                click.echo(f"crisis-tui: built {where} from the bundled crisis pack", err=True)

    def knowledge_base(self):
        """The query layer over the database, read-only (db/engines.py picks the engine by the URL)."""
        from ..db.engines import open_knowledge_base
        from ..db.errors import OutdatedDatabase

        self.ensure_database()
        try:
            return open_knowledge_base(self.url)
        except OutdatedDatabase:
            if self.served or is_postgres(self.url):  # read-only for every session: the server upgrades it
                raise
            _upgrade(self.url)
            return open_knowledge_base(self.url)


def _keep_password(url: str) -> str:
    """A PostgreSQL URL's password handed to libpq through PGPASSWORD, and the URL kept without it:
    no message, traceback or child process of ours then carries it."""
    url, password = split_password(url)
    if password is not None:
        os.environ["PGPASSWORD"] = password
    return url


def _upgrade(url: str) -> None:
    from ..db.constants import SCHEMA_VERSION
    from ..seed.importer import upgrade_database

    if is_postgres(url):  # every PostgreSQL database is of this schema: there is nothing older to upgrade
        from ..db.engines import open_knowledge_base

        open_knowledge_base(url).close()  # says what is wrong, if anything (a newer schema, no schema)
        click.echo(f"crisis-tui: {_where(url)} is already at schema {SCHEMA_VERSION}", err=True)
        return
    path = sqlite_path(url)
    with _writing(url, "upgrade"):
        found = upgrade_database(path)
    shown = _where(url)
    if found == SCHEMA_VERSION:
        click.echo(f"crisis-tui: {shown} is already at schema {SCHEMA_VERSION}", err=True)
    else:
        click.echo(f"crisis-tui: upgraded {shown} from schema {found} to {SCHEMA_VERSION}, keeping its data", err=True)


def _build(url: str, packs: list[Path], only_if_missing: bool = False,
           progress: Callable[[str, int, int | None], None] | None = None,
           force: bool = False) -> dict[str, int] | None:
    """Build the database from packs (the bundled one by default), one writer at a time;
    with `only_if_missing`, not if another process built it meanwhile (None then). On
    PostgreSQL, not over a database holding packs unless `force`."""
    from ..db.writers import write_lock
    from ..seed.importer import build_packs
    from ..seed.loader import bundled_pack_path

    if is_postgres(url):  # one transaction on the server (seed/pg_import.py), which serialises writers
        with _writing(url, "build"):
            return _pg_import().build_packs_pg(packs or [bundled_pack_path()], url, progress, force=force)
    path = sqlite_path(url)
    waiting = (lambda: progress("waiting for lock", 0, None)) if progress is not None else None
    with _writing(url, "build"), write_lock(path, waiting):
        if only_if_missing and path.exists():
            return None
        return build_packs(packs or [bundled_pack_path()], path, progress)


class _Group(click.Group):
    """Turns every error into one line on stderr: exit code 1, or 130 for Ctrl-C (`--debug`: the traceback).

    Usage errors stay click's (exit code 2). Text in a message may come from a pack or a
    database, so it is printed inert.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt as exc:
            message = str(exc) if isinstance(exc, _Interrupted) else "interrupted"
            click.echo(f"crisis-tui: {message}", err=True)
            ctx.exit(130)
        except BrokenPipeError:  # `crisis-tui export | head`: the reader has gone; nobody to tell
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(1)
        except CrisisError as exc:
            if ctx.meta.get("crisis_debug"):
                raise
            if isinstance(exc, PackError) and exc.others:  # the first problem, then the others, a line each
                click.echo(f"crisis-tui: error: {inert(str(exc), one_line=True)}", err=True)
                for other in exc.others:
                    click.echo(f"  {inert(other, one_line=True)}", err=True)
                if exc.more > len(exc.others):
                    click.echo(f"  ... and {exc.more - len(exc.others)} more", err=True)
                ctx.exit(1)
            _fail(ctx, str(exc))
        except Exception as exc:  # a bug, or a case nobody foresaw: still one line
            if ctx.meta.get("crisis_debug"):
                raise
            _fail(ctx, f"unexpected {type(exc).__name__}: {exc} (`crisis-tui --debug ...` shows where)")


def _fail(ctx: click.Context, message: str) -> None:
    click.echo(f"crisis-tui: error: {inert(message, one_line=True)}", err=True)
    ctx.exit(1)


def _db_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter("the path is empty")
    return value


def _not_blank(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value.strip():
        raise click.BadParameter("must not be empty")
    return value


def _none_blank(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[str]:
    return [_not_blank(ctx, param, value) for value in values]


def _path_option(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    if value is None:
        return None
    if not value.strip():
        raise click.BadParameter("the path is empty")
    return Path(value)


@click.group(cls=_Group, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="PATH|URL", callback=_db_path,
              help="Database file, or a shared PostgreSQL server's postgresql://user@host/dbname (its password "
                   "best in ~/.pgpass or PGPASSWORD) (default: $CRISIS_TUI_DB, else the user data directory).")
@click.option("--keymap", metavar="PATH", envvar=KEYMAP_ENV, callback=_path_option,
              help="Keymap file (default: $CRISIS_TUI_KEYMAP, else keymap.toml in the user config directory; "
                   "`crisis-tui keys` says where).")
@click.option("--state", metavar="PATH", envvar="CRISIS_TUI_STATE", callback=_path_option,
              help="State database: your bookmarks, notes and where the explorer was left, for every database "
                   "(default: $CRISIS_TUI_STATE, else state.db in the user state directory).")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
# Set by `crisis-tui serve` on the explorers it starts: the database is not built or upgraded,
# commands that write files on the server are left out, and `o` opens nothing on the server.
@click.option("--served", type=click.Choice(["ssh", "web"]), hidden=True)
@click.version_option(package_name="crisis-tui")
@click.pass_context
def main(ctx: click.Context, db: str | None, keymap: Path | None, state: Path | None, debug: bool,
         served: str | None) -> None:
    """Explore a geopolitical crisis by keyboard: events, actors, agreements and their sources.

    With no command, starts the explorer (building the bundled database on first launch).
    """
    ctx.meta["crisis_debug"] = debug
    ctx.obj = _Context(db, debug, keymap, state, served)
    if ctx.invoked_subcommand is None:
        _explore(ctx.obj, None)


def _explore(obj: _Context, start: str | None) -> None:
    # Textual draws frames on a fixed grid of MAX_FPS a second, and only when something
    # changed: a fine grid means "draw as soon as there is something new" (a key's result
    # from a worker does not wait for the next slot) and costs nothing while idle
    # (benchmarks/README.md). Textual reads it when imported: before the keymap's check imports it.
    os.environ.setdefault("TEXTUAL_FPS", "1000")
    from .keymap import load_keymap

    keymap = load_keymap(obj.keymap)  # a broken keymap stops here, before a build or a frame
    kb = obj.knowledge_base()
    start_ref = None
    if start is not None:
        start_ref = _resolve_one(kb, start).ref

    from .app import CrisisApp

    # The state database is opened (and db/state.py imported) in a worker after the first frame;
    # the place left is kept as the explorer closes.
    app = CrisisApp(kb, start=start_ref, keymap=keymap, state=obj.user_state, served=obj.served)
    try:
        app.run()
    finally:
        app.keeper.close()
    if app.keeper.kept_at_exit:  # quit with a changed note open: it was saved, and the user is told
        click.echo(f"crisis-tui: saved your note on {inert(app.keeper.kept_at_exit, one_line=True)} as you quit",
                   err=True)
    if app.keeper.failure:  # bookmarks, notes or the place left could not be kept: said in the explorer too
        click.echo(f"crisis-tui: warning: {inert(app.keeper.failure, one_line=True)}", err=True)
    if app.return_code:
        sys.exit(app.return_code)


@main.command("open")
@click.argument("ref", callback=_not_blank)
@click.pass_obj
def open_cmd(obj: _Context, ref: str) -> None:
    """Start the explorer on one entity (an id, a name or an alias)."""
    _explore(obj, ref)


@main.command()
@click.option("--pack", "packs", multiple=True, type=click.Path(path_type=Path),
              help="Build from this pack (folder or file) instead of the bundled one; repeatable.")
@click.option("--force", is_flag=True,
              help="On PostgreSQL: replace a database that already holds packs (everyone's imports are lost).")
@click.pass_obj
def build(obj: _Context, packs: tuple[Path, ...], force: bool) -> None:
    """(Re)build the database from the bundled crisis pack, or from --pack.

    A SQLite file (your own) is replaced as it is. A PostgreSQL database (shared) that already
    holds any pack is refused: use `import` to add a pack; `build --force` replaces them all.
    """
    from .progress import progress_bars

    with progress_bars() as bars:
        counts = _build(obj.url, list(packs), progress=bars, force=force) or {}
    singular = {"sources": "source", "entities": "entity", "links": "link", "positions": "position",
                "citations": "citation"}
    summary = ", ".join(f"{n} {name if n != 1 else singular.get(name, name)}" for name, n in counts.items())
    click.echo(f"built {_where(obj.url)}: {summary}")


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="Take the imported version of records that differ from the database.")
@click.pass_obj
def import_cmd(obj: _Context, files: tuple[Path, ...], replace: bool) -> None:
    """Merge crisis packs (YAML, JSON, or ACLED CSV) into the database, all or nothing.

    Importing the same pack twice changes nothing. Each record is of the pack stating it: a
    pack may add to an entity another pack has without touching that pack's version. A record
    the same pack stated otherwise before is refused (naming both versions) unless --replace
    is given, which replaces what that pack stated, and only that.
    """
    from .progress import progress_bars

    if is_postgres(obj.url):
        import_packs_pg = _pg_import().import_packs_pg
        with _writing(obj.url, "import"), progress_bars() as bars:
            report = import_packs_pg(list(files), obj.url, replace=replace, progress=bars)
        click.echo(f"{_where(obj.url)}: {inert(report.summary(), one_line=True)}"
                   + ("" if report.wrote else " (database unchanged)"))
        return
    from ..seed.importer import import_packs

    obj.ensure_database()
    path = sqlite_path(obj.url)
    existed = path.exists()
    with _writing(obj.url, "import"), progress_bars() as bars:
        report = import_packs(list(files), path, replace=replace, progress=bars)
    if not existed:
        shown = inert(str(path), one_line=True)
        click.echo(f"crisis-tui: made {shown}, a new database holding only what was imported "
                   f"(`crisis-tui --db {shown} build` makes one of the bundled crisis to import into)", err=True)
    click.echo(inert(f"{path}: {report.summary()}", one_line=True) + ("" if report.wrote else " (database unchanged)"))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def packs(obj: _Context, as_json: bool) -> None:
    """List the crisis packs the database holds, with what each states."""
    from dataclasses import asdict

    from .output import json_text, packs_text

    found = obj.knowledge_base().packs()
    click.echo(json_text([asdict(p) for p in found]) if as_json else packs_text(found))


@main.command()
@click.option("--format", "fmt", type=click.Choice(["json", "yaml", "graphml"]), default="json", show_default=True,
              help="json or yaml: a pack document; graphml: the graph of entities and links (Gephi, yEd).")
@click.option("--pack", "pack", metavar="ID",
              help="Write only what this pack states (with the records of other packs it refers to).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), callback=_path_option,
              help="Write here instead of stdout (a regular file, replaced whole).")
@click.pass_obj
def export(obj: _Context, fmt: str, output: Path | None, pack: str | None) -> None:
    """Write the whole knowledge base as one pack document (what `build --pack` reads), or as GraphML."""
    from ..db.export import write_file
    from .output import json_text

    if fmt == "graphml":
        _export_graphml(obj, output, pack)
        return
    kb = obj.knowledge_base()
    _not_a_database(obj, output)
    document = kb.export(pack)
    if fmt == "json":
        text = json_text(document) + "\n"
    else:
        import yaml

        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
        if CONTROL.search(text):  # PyYAML writes bidi controls and NEL as they are: escape all but ASCII
            text = yaml.safe_dump(document, allow_unicode=False, sort_keys=False, width=100)
    if output is None:
        click.echo(text, nl=False)
        return
    write_file(output, text)


def _not_a_database(obj: _Context, output: Path | None) -> None:
    """Refuse to write output over the database read, its journal, or the state database."""
    if output is None:
        return
    from ..db.state import state_path

    ours = [state_path(obj.state_option)]
    if not is_postgres(obj.url):  # a server's database is no file here
        database = sqlite_path(obj.url)
        ours[:0] = [database, *(database.with_name(database.name + end) for end in ("-wal", "-shm", "-journal"))]
    for path in ours:
        try:
            same = output.resolve() == path.resolve() or (output.exists() and os.path.samefile(output, path))
        except OSError:
            same = False
        if same:
            what = "the state database" if path == ours[-1] else "the database being read"
            raise CrisisError(inert(f"{output}: is {what}; choose another file for -o", one_line=True))


def _export_graphml(obj: _Context, output: Path | None, pack: str | None) -> None:
    """`export --format graphml`: streamed, to stdout or whole into `output`."""
    from ..db.export import write_file

    if pack is not None:
        raise click.UsageError("--pack is not supported with --format graphml (the graph is of the whole database)")
    kb = obj.knowledge_base()
    _not_a_database(obj, output)
    with kb.graphml() as chunks:
        if output is not None:
            write_file(output, chunks)
            return
        for chunk in chunks:
            click.echo(chunk, nl=False)


@main.command()
@click.argument("refs", nargs=-1, callback=_none_blank)
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), callback=_path_option,
              help="Write here instead of stdout (a regular file, replaced whole).")
@click.option("--neighbourhood", is_flag=True,
              help="Also each entity's neighbourhood: what it links to, out to --hops, as the explorer's `a` shows it.")
@click.option("--hops", type=click.IntRange(1, 2), default=2, show_default=True,
              help="How far out --neighbourhood goes.")
@click.option("--bookmarks", "marked", is_flag=True,
              help="Also your bookmarks (`m` in the explorer), in the order you made them, after any REF; "
                   "with your notes on them.")
@click.option("--my-notes", is_flag=True,
              help="Show your own note (`e` in the explorer) on each entity that has one, marked as yours.")
@click.pass_obj
def report(obj: _Context, refs: list[str], fmt: str, output: Path | None, neighbourhood: bool, hops: int,
           marked: bool, my_notes: bool) -> None:
    """Write a report of entities with every fact's citation as a footnote (Markdown or HTML).

    Each REF is an id (agreement/simla-1972), a name or an alias, in any case. With
    --neighbourhood, each is followed by the entities around it (each listed once).
    """
    if not refs and not marked:
        raise click.UsageError("give the entities to report (REF ...), or --bookmarks")
    if hops != 2 and not neighbourhood:
        raise click.UsageError("--hops goes with --neighbourhood")
    kb = obj.knowledge_base()
    _not_a_database(obj, output)
    chosen = [_resolve_one(kb, ref) for ref in refs]
    if marked:
        chosen += _bookmarked_rows(obj, kb)
    chosen = list({row.ref: row for row in chosen}.values())  # one given twice (a name and its id) once
    if not neighbourhood:
        title = None if refs else "Report: your bookmarks"
        shown = [row.ref for row in chosen]
        _write_report(kb, shown, fmt, output, title=title, mine=_my_notes(obj, shown, marked or my_notes))
        return
    from ..db.report import REPORT_LINKS, around

    found = around(kb, [row.ref for row in chosen], hops)
    names = ", ".join(row.name for row in chosen[:3]) + (" and others" if len(chosen) > 3 else "")
    whose = "its" if len(chosen) == 1 else "their"
    _write_report(kb, list(found.refs), fmt, output, title=f"{names} and {whose} neighbourhood",
                  scope=found.says(hops, REPORT_LINKS), mine=_my_notes(obj, found.refs, marked or my_notes))


def _my_notes(obj: _Context, refs, wanted: bool) -> dict[str, str]:
    """The user's own notes on the entities `refs`, by id (none unless `wanted`)."""
    if not wanted:
        return {}
    state = obj.user_state()
    try:
        return {ref: note for ref in refs if (note := state.mine(ref).note)}
    finally:
        state.close()


def _bookmarked_rows(obj: _Context, kb) -> list:
    """The rows of the entities bookmarked in this database, in the order added; those the
    database no longer holds are left out, and said so on stderr."""
    state = obj.user_state()
    try:
        refs = state.bookmarked_refs()
    finally:
        state.close()
    held = kb.rows(refs)
    if not refs:
        raise CrisisError("no bookmarks to report (m in the explorer bookmarks the entity shown)")
    gone = [ref for ref in refs if ref not in held]
    if gone:
        listing = ", ".join(gone[:5]) + (f" and {len(gone) - 5} more" if len(gone) > 5 else "")
        click.echo(inert(f"crisis-tui: left out {len(gone)} bookmark(s) this database no longer holds: {listing}",
                         one_line=True), err=True)
    if len(gone) == len(refs):
        raise CrisisError("none of your bookmarks is in this database any more")
    return [held[ref] for ref in refs if ref in held]


def _write_report(kb, refs: list[str], fmt: str, output: Path | None, title: str | None = None,
                  scope: str | None = None, mine: dict[str, str] | None = None) -> None:
    """Render the report of entities `refs` (ids, in order) to stdout or whole into `output`."""
    from ..db.export import write_file
    from ..db.report import report_document
    from ..db.report_html import render_html
    from ..db.report_markdown import render_markdown

    document = report_document(kb, refs, title=title, scope=scope, mine=mine)
    text = render_html(document) if fmt == "html" else render_markdown(document)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_file(output, text)


def _resolve_one(kb, ref: str):
    rows = kb.resolve(ref)
    if not rows:
        meant = kb.suggest(ref)
        if meant is not None and len(rows := kb.resolve(meant)) == 1:  # a typo: name what it likely meant
            raise CrisisError(f"nothing matches {ref!r}; did you mean {rows[0].name} [{rows[0].ref}]?")
        raise CrisisError(f"nothing matches {ref!r} (try `crisis-tui search {ref!r}`)")
    if len(rows) > 1:  # the message is printed inert (_fail)
        listing = "; ".join(f"{r.name} [{r.ref}]" for r in rows[:10])
        more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
        raise CrisisError(f"{ref!r} is ambiguous: {listing}{more} (give an id in [ ], or see "
                          f"`crisis-tui search {ref!r}` for every match)")
    return rows[0]


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def bookmarks(obj: _Context, as_json: bool) -> None:
    """List your bookmarks in the database, oldest first, with your notes on them.

    They are kept in the state database (--state), beside the database, never in it.
    """
    from dataclasses import asdict

    from .output import bookmarks_text, json_text

    kb = obj.knowledge_base()
    state = obj.user_state()
    try:
        marks = state.bookmarks()
    finally:
        state.close()
    held = kb.rows([b.ref for b in marks])
    if as_json:
        click.echo(json_text([{**asdict(b), "missing": b.ref not in held} for b in marks]))
    elif marks:
        click.echo(bookmarks_text(marks, held))
    else:
        click.echo("no bookmarks (m in the explorer bookmarks the entity shown)", err=True)


@main.command()
@click.option("--lane", "lanes", multiple=True, metavar="ACTOR",
              help="A lane of this actor's events (an id, a name or an alias); repeatable. "
                   "Default: the crisis's main parties.")
@click.option("--from", "date_from", metavar="DATE", help="Start here (2025, 2025-05 or 2025-05-10).")
@click.option("--to", "date_to", metavar="DATE", help="End here (2025-05 takes all of May).")
@click.option("--zoom", type=click.Choice(["year", "month", "week", "day"]),
              help="A column a month (year), a week (month), a day (week), a quarter day (day). "
                   "Default: the finest that fits the range in one block.")
@click.option("--width", type=click.IntRange(40, 2000), help="Columns (default: the terminal's, 80 when piped).")
@click.option("--crisis", metavar="PACK", help="One crisis (a pack id: `crisis-tui packs`); default: all.")
@click.pass_obj
def timeline(obj: _Context, lanes: tuple[str, ...], date_from: str | None, date_to: str | None, zoom: str | None,
             width: int | None, crisis: str | None) -> None:
    """Print the crisis's events on a date axis, a lane per actor, as plain text.

    An event is in an actor's lane if it links to the actor or (through office-holder-of or
    member-of) to one of its members; Other holds the events in no lane. Where a lane has too
    many events to draw, it shows how many start in each year, month, week or day.
    """
    import shutil
    import sys

    from .timeline_text import NoEvents, timeline_text

    if width is None:
        width = shutil.get_terminal_size((80, 24)).columns if sys.stdout.isatty() else 80
    try:
        click.echo(timeline_text(obj.knowledge_base(), lanes, date_from, date_to, zoom, max(width, 40), crisis))
    except NoEvents as exc:  # not an error: said on stderr, exit 0
        click.echo(f"crisis-tui: {exc}", err=True)


@main.command()
@click.pass_obj
def upgrade(obj: _Context) -> None:
    """Rebuild a database made by an older crisis-tui, keeping everything in it."""
    _upgrade(obj.url)


@main.command()
def schema() -> None:
    """Print the JSON Schema of the pack format (docs/pack.schema.json)."""
    from ..db.pack import json_schema
    from .output import json_text

    click.echo(json_text(json_schema()))


@main.command()
@click.argument("ref", callback=_not_blank)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def show(obj: _Context, ref: str, as_json: bool) -> None:
    """Show one entity with its links, what refers to it, and its sources.

    REF is an id (agreement/simla-1972), a name or an alias, in any case.
    """
    from dataclasses import asdict

    from .output import detail_text, json_text

    kb = obj.knowledge_base()
    detail = kb.detail(_resolve_one(kb, ref).ref)
    if detail is None:  # gone between the two reads (an import replaced it)
        raise CrisisError(f"nothing matches {ref!r} any more")
    if as_json:
        click.echo(json_text(asdict(detail)))
    else:
        click.echo(detail_text(detail))


@main.command()
@click.argument("start", callback=_not_blank)
@click.argument("end", callback=_not_blank)
@click.option("--max", "most", type=click.IntRange(1, 20), default=3, show_default=True,
              help="Paths to print at most (the shortest ones, all as short as each other).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def path(obj: _Context, start: str, end: str, most: int, as_json: bool) -> None:
    """Print the shortest paths of links between two entities, each step with its citation.

    START and END are ids, names or aliases, in any case (`crisis-tui path Lavrov Simla`).
    Links are followed either way; a path has at most 6 links, and the search stops after
    reading 60,000 links (it says which limit it reached).
    """
    from dataclasses import asdict

    from .output import json_text, paths_text

    kb = obj.knowledge_base()
    a, b = _resolve_one(kb, start), _resolve_one(kb, end)
    if a.id == b.id:
        raise CrisisError(f"{start!r} and {end!r} are both {a.name} [{a.ref}]: give two different entities")
    found = kb.paths(a.ref, b.ref, limit=most)
    if found is None:  # gone between the two reads (an import replaced it)
        raise CrisisError(f"{start!r} or {end!r} is no longer in the database")
    if as_json:
        click.echo(json_text({**asdict(found), "length": found.length, "says": found.explain()}))
    else:
        click.echo(paths_text(found))


@main.command()
@click.pass_obj
def keys(obj: _Context) -> None:
    """List every binding id a keymap can remap, with its keys and what it does.

    A keymap is a TOML file of `"binding.id" = "key,key"` lines (README.md, "Your own keys");
    this says where it is read from, and marks with * the bindings it remaps.
    """
    from .keymap import default_path, load_keymap, remappable

    keymap = load_keymap(obj.keymap)
    path = obj.keymap or default_path()
    where = inert(str(path), one_line=True)
    if keymap:
        click.echo(f"keymap: {where} (remaps {len(keymap)} binding{'s' if len(keymap) != 1 else ''}, marked *)")
    else:
        state = "remaps nothing" if os.path.exists(path) else "no such file"
        click.echo(f"keymap: {where} ({state}: every binding has its own keys)")
    for binding_id, binding in remappable().items():
        mark = "*" if binding_id in keymap else " "
        shown = inert(keymap.get(binding_id, binding.key), one_line=True)
        click.echo(f"{mark} {binding_id:<18} {shown:<22} {binding.tooltip or binding.description or binding.action}")


@main.command()
@click.argument("text", required=False)
@click.option("--type", "entity_type", type=click.Choice(ENTITY_TYPES), help="Only this kind of entity.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--related-to", metavar="ID", help="Only entities linked to this one (an id: actor/russia), either way.")
@click.option("--relation", metavar="NAME",
              help="...by this relation only (participant, party, ...; with --related-to).")
@click.option("--through-members", is_flag=True,
              help="...or linked to its office-holders and members (marked: via whom).")
@click.option("--kind", metavar="KIND", help="Only entities of this kind (talks, state, ...).")
@click.option("--from", "date_from", metavar="DATE",
              help="Only entities dated on or after (2025, 2025-05, 2025-05-10).")
@click.option("--to", "date_to", metavar="DATE", help="Only entities dated on or before (2025-05 takes all of May).")
@click.option("--crisis", metavar="PACK", help="Only entities of this crisis (a pack id: `crisis-tui packs`).")
@click.pass_obj
def search(obj: _Context, text: str | None, entity_type: str | None, limit: int, as_json: bool,
           related_to: str | None, relation: str | None, through_members: bool, kind: str | None,
           date_from: str | None, date_to: str | None, crisis: str | None) -> None:
    """Search names, aliases, summaries, notes, link notes, positions and the sources' text;
    best matches first, each with what matched and a snippet («match»).

    With a filter (--related-to, --kind, --from, --to, --crisis), TEXT is optional: without it,
    the entities the filter lets through are listed in display order; with it, the hits are
    narrowed to them.
    """
    from dataclasses import asdict

    from .output import hits_text, json_text

    filtering = any(v is not None for v in (related_to, relation, kind, date_from, date_to, crisis)) or through_members
    if text is None and not filtering:
        raise click.UsageError("give TEXT to search for, or a filter (--related-to, --kind, --from, --to, --crisis)")
    if text is not None and not text.strip():
        raise click.BadParameter("must not be empty", param_hint="TEXT")
    kb = obj.knowledge_base()
    if filtering:
        _filtered_search(kb, text, entity_type, limit, as_json, related_to=related_to, relation=relation,
                         through_members=through_members, kind=kind, date_from=date_from, date_to=date_to,
                         crisis=crisis)
        return
    assert text is not None
    hits = kb.search(text, entity_type=entity_type, limit=limit)
    passages = kb.search_passages(text, limit=limit) if entity_type is None and not as_json else []
    if not hits and not passages:
        instead = kb.suggest(text)  # a typo: the closest known words' hits, said as such
        if instead is not None:
            click.echo(inert(f"no matches for {text!r}; did you mean {instead!r}? its matches:", one_line=True),
                       err=True)
            hits = kb.search(instead, entity_type=entity_type, limit=limit)
            passages = kb.search_passages(instead, limit=limit) if entity_type is None and not as_json else []
    if as_json:
        click.echo(json_text([asdict(h) for h in hits]))
    elif hits or passages:
        click.echo(hits_text(hits, passages))
    else:
        click.echo(inert(f"no matches for {text!r}", one_line=True), err=True)


def _filtered_search(kb, text: str | None, entity_type: str | None, limit: int, as_json: bool, **parts) -> None:
    """`search` with a filter: the entities it lets through (of one type, or of each), or TEXT's
    hits among them."""
    from dataclasses import asdict

    from ..db.filters import build_filter, describe
    from ..db.records import FilteredRow
    from .output import filtered_text, hits_text, json_text

    types = (entity_type,) if entity_type else ENTITY_TYPES
    flt = build_filter(kb, exact_id=True, entity_type=entity_type, **parts)
    if parts.get("kind") and not entity_type and not any(parts["kind"] in kb.kinds(t) for t in types):
        raise CrisisError(inert(f"no entity is of kind {parts['kind']!r}", one_line=True))
    matches = {t: kb.match(t, flt) for t in types}
    if text is not None:
        found = kb.search(text, entity_type=entity_type, limit=1000)
        allowed = {i for t, m in matches.items() for i in kb.admitted(m, [h.row.id for h in found if h.row.type == t])}
        hits = [h for h in found if h.row.id in allowed][:limit]
        if as_json:
            click.echo(json_text([asdict(h) for h in hits]))
        elif hits:
            click.echo(hits_text(hits))
        else:
            click.echo(inert(f"no matches for {text!r} with {describe(flt, names=False)}", one_line=True), err=True)
        return
    rows: list[FilteredRow] = []
    total = sum(m.count for m in matches.values())
    for t in types:
        if len(rows) < limit:
            rows += kb.filtered_page(matches[t], 0, limit - len(rows))
    if as_json:
        click.echo(json_text([asdict(r) for r in rows]))
    elif rows:
        click.echo(filtered_text(rows))
    else:
        click.echo(inert(f"nothing matches {describe(flt, names=False)}", one_line=True), err=True)
    if total > len(rows) and not as_json:
        click.echo(f"({len(rows)} of {total}; --limit shows more)", err=True)


def _add_serve() -> None:
    from .serve.commands import serve

    main.add_command(serve)


_add_serve()

if __name__ == "__main__":  # `python -m crisis_tui.tui.cli`: how `crisis-tui serve` starts each session's explorer
    main(prog_name="crisis-tui")
