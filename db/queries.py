"""The one typed query layer: every read the CLI and the TUI make goes through `KnowledgeBase`.

It uses the standard library's sqlite3 rather than SQLAlchemy, so the explorer reaches its
first frame without importing an ORM. Each thread reads on a connection of its own
(`readers.py`); a search can be cancelled and has a time limit. Every SQLite error becomes a
one-line DatabaseError, and a value no crisis-tui wrote (a date, attributes) is shown as it
is rather than raised.

Entity records are read by name: the columns selected are the record's fields that are
entity columns (db/tables.py), and its values come back in that order. A column shows in
the detail when EntityDetail has a field of its name.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, fields, replace
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints

from .constants import SCHEMA_VERSION
from .errors import DatabaseError, OutdatedDatabase
from .location import sqlite_path
from .readers import Cancel, Readers, open_connection, problem
from .records import (
    CitationView,
    CitingRecord,
    EntityDetail,
    EntityRow,
    FilteredRow,
    FilterMatches,
    LinkView,
    NoteView,
    PackView,
    PaneFilter,
    Passage,
    PassageCiters,
    PassageHit,
    PositionView,
    RelationView,
    SearchHit,
    SourcePassages,
    SourceText,
    Statement,
)
from .tables import names
from .text import LINE_CONTROL, inert

if TYPE_CHECKING:
    from .graph import Neighbourhood, Paths


def _entity_fields(record: type) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The fields of a record that are entity columns, and where the booleans are among them."""
    columns, hints = set(names("entity")), get_type_hints(record)
    found = tuple(f.name for f in fields(record) if f.name in columns)
    return found, tuple(n for n, name in enumerate(found) if hints[name] is bool)


def _select(alias: str, columns: tuple[str, ...]) -> str:
    return ", ".join(f"{alias}.{name}" for name in columns)


def _values(r: Sequence[Any], flags: tuple[int, ...]) -> list[Any]:
    values = list(r)
    for n in flags:  # SQLite gives booleans as 0 and 1
        values[n] = bool(values[n])
    return values


_ROW_FIELDS, _ROW_FLAGS = _entity_fields(EntityRow)
_DETAIL_FIELDS, _DETAIL_FLAGS = _entity_fields(EntityDetail)
_WIDTH = len(_ROW_FIELDS)
_ROW = _select("e", _ROW_FIELDS)
_DETAIL = f"SELECT {_ROW}, {_select('e', _DETAIL_FIELDS)} FROM entity e WHERE e.ref = ?"
# A link's relation (link k, relation r) worded as the pack stating it words it (w), else as
# the relation is, else by its name: `_worded("label")` read from the subject, `"inverse"` from the object.
_WORDING = "LEFT JOIN relation_wording w ON w.name = k.relation AND w.pack_id = k.pack_id"


def _worded(side: str) -> str:
    return f"coalesce(w.{side}, r.{side}, k.relation)"


LINK_LIMIT = 200  # links shown per direction; the detail says how many more there are
RANK_LIMIT = 1000  # hit sets up to this size are ranked by bm25; larger ones are ordered by id
PASSAGE_LIMIT = 2000  # passages of one text the source reader marks; it says how many more there are
SAME_START = 8  # quotes read for the length of a passage (the longest of those starting at its place)
CITER_LIMIT = 20  # records listed under a passage; the reader says how many more cite it
VIA_LIMIT = 500  # sources quoted via one text that the reader reads passages of
SEARCH_SECONDS = 5.0  # a search that runs longer is stopped (QueryTimeout), and the user told
MATCH_WORDS = 32  # words of a search's MATCH expression (see _words_match)
PREFIX_TERMS = 32  # a typed prefix stands for at most this many of the commonest words it begins
_WORD = re.compile(r"\w+", re.UNICODE)
_T = TypeVar("_T")
_TOKEN = re.compile(r"[^\W_]+")  # a word as the unicode61 tokenizer cuts them: letters and digits
# The entity index's columns (db/schema.py), each weighed in ranking and named as a hit says
# what matched: a word in the name outranks one in the summary, which outranks one in a note.
FIELD_WEIGHTS = {"name": 20.0, "aliases": 15.0, "dated": 15.0, "summary": 2.0, "notes": 1.0, "links": 1.0,
                 "positions": 1.0}
_BM25 = f"bm25(entity_fts, {', '.join(str(w) for w in FIELD_WEIGHTS.values())})"
_OWN = "{name aliases dated summary}"  # an entity's own fields, as against its notes, links' and positions
SNIPPET = 100  # characters of a snippet, about the match
SNIPPET_SEEN = 45  # a first match ending within this many characters is in view uncut (an 80-column row)
SNIPPET_LEAD = 20  # characters of a snippet before its first match (a list row shows ~60 at 80 columns)
PASSAGE_HITS = 20  # passage hits a search screen shows
SUGGEST_CANDIDATES = 40  # words sharing trigrams with a typo, compared by edit distance
ROLL_UP = ("office-holder-of", "member-of")  # the relations a filter's roll-up follows to members
MATERIALIZE = 20_000  # a filter of kind, dates or crisis letting through more rows pages them as asked


@dataclass(frozen=True, slots=True)
class _Where:
    """A filter's conditions on `o` (the pane's rows: `_PANE`) and `e` (entity), and their parameters."""

    sql: str
    params: dict[str, Any]
    crisis: bool  # narrowed to a crisis other than the pane's
    span: int | None  # the rows of a date range, where the pane is in date order


def _size(path) -> int:
    try:
        return os.stat(path).st_size
    except (OSError, ValueError):
        return 0


def _attributes(text: str | None) -> dict[str, object]:
    """An entity's attributes; text that is not a JSON object is shown as it is, under one key."""
    try:
        value = json.loads(text) if text else {}
    except (TypeError, ValueError):
        value = None
    return value if isinstance(value, dict) else {"unreadable attributes": str(text)}


def _row(r: Sequence[Any]) -> EntityRow:
    """The EntityRow whose columns (`_select(alias, _ROW_FIELDS)`) begin `r`."""
    return EntityRow(*_values(r[:_WIDTH], _ROW_FLAGS))


def fts_query(text: str, prefix: bool = True) -> str:
    """Quote every word of user text for FTS5 MATCH; the last one matches as a prefix."""
    words = _WORD.findall(text)
    if not words:
        return ""
    quoted = [_quote(w) for w in words]
    if prefix:
        quoted[-1] += " *"
    return " ".join(quoted)


def _printable(text: str) -> str:
    """User text without control characters (a NUL ends an FTS5 string early) or lone
    surrogates (which SQLite cannot take: they become U+FFFD)."""
    text = text.encode("utf-8", "replace").decode("utf-8", "replace") if not text.isascii() else text
    return "".join(ch if unicodedata.category(ch) != "Cc" else " " for ch in text)


def _quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def index_form(word: str) -> str:
    """A word as the unicode61 tokenizer indexes it: lower case, without diacritics."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _found(text: str, words: list[str]) -> set[str]:
    """Which of the searched `words` (index forms; the last as a prefix) `text` holds."""
    if not words:
        return set()
    found = set()
    full, last = set(words[:-1]), words[-1]
    for form in _TOKEN.findall(index_form(text)):  # the whole text at once: no offsets needed here
        if form in full:
            found.add(form)
        if form.startswith(last):
            found.add(last)
    return found


def snippet_of(text: str, words: list[str], exact: str | bool = False) -> tuple[str, tuple[tuple[int, int], ...]]:
    """`text` on one line, cut to at most SNIPPET characters from a little before its first
    match ("…" where cut; a match near the end gives a shorter snippet, never one whose match
    a narrow row cuts off), inert, with the (start, end) of each searched word in it; with `exact`, that text is
    marked wherever it occurs (a substring hit) instead of the words."""
    text = text.replace("\n", " ").replace("\t", " ")
    marks: list[tuple[int, int]] = []
    if isinstance(exact, str) and exact:
        lowered, needle = text.casefold(), exact.casefold()
        at = lowered.find(needle) if len(lowered) == len(text) else -1
        while at >= 0:
            marks.append((at, at + len(needle)))
            at = lowered.find(needle, at + len(needle))
    elif words:
        full, last = set(words[:-1]), words[-1]
        ascii = text.isascii()  # then folding the whole text keeps every offset
        for token in _TOKEN.finditer(text.lower() if ascii else text):
            form = token.group() if ascii else index_form(token.group())
            if form in full or form.startswith(last):
                marks.append(token.span())
    start = 0
    if marks and marks[0][0] > SNIPPET_LEAD and marks[0][1] > SNIPPET_SEEN:
        start = marks[0][0] - SNIPPET_LEAD  # the match near the front: a narrow row cuts the end, not it
        space = text.rfind(" ", max(start - 10, 0), start + 1)  # begin at a word: just before,
        if space < 0:
            space = text.find(" ", start, marks[0][0])  # or else just after
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + SNIPPET)
    if end < len(text):
        space = text.rfind(" ", start + SNIPPET // 2, end)
        end = space if space > 0 else end
    pieces: list[tuple[str, bool]] = []  # (text, marked)
    at = start
    for first, stop in marks:
        first, stop = max(first, start), min(stop, end)
        if first >= stop or first < at:
            continue
        pieces += [(text[at:first], False), (text[first:stop], True)]
        at = stop
    pieces.append((text[at:end], False))
    out, spans = "\u2026" if start > 0 else "", []
    for piece, marked in pieces:
        piece = inert(piece, one_line=True)
        if marked and piece:
            spans.append((len(out), len(out) + len(piece)))
        out += piece
    if end < len(text):
        out += "\u2026"
    return out, tuple(spans)


def readable(line: str) -> str:
    """A line of a source as a snippet reads it: a Markdown table row's cells joined by " · "
    (`| Simla Agreement | Signed 2 July 1972 … |`), any other line as it is."""
    stripped = line.strip()
    if len(stripped) > 1 and stripped[0] == "|" and stripped[-1] == "|":
        return " \u00b7 ".join(cell.strip() for cell in stripped[1:-1].split("|"))
    return line


def distance(a: str, b: str) -> int:
    """Edit distance of two words, a swap of neighbours counting one (`lavorv`, `lavrov`)."""
    if abs(len(a) - len(b)) > 2:
        return 3
    before: list[int] | None = None
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        new = [i] + [0] * len(b)
        for j, y in enumerate(b, start=1):
            new[j] = min(row[j] + 1, new[j - 1] + 1, row[j - 1] + (x != y))
            if before is not None and i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                new[j] = min(new[j], before[j - 2] + 1)
        before, row = row, new
    return row[-1]


class KnowledgeBase:
    """A read-only view of one crisis database."""

    # Display order, as the pane filters read it (db/pg/panes.py keeps it otherwise): the pane's
    # table as `o`, its order, what notes a row's place in it, and the join that SQLite makes in
    # the order written (the first table's index read first).
    engine = "sqlite"
    _PANE = "entity_order o"
    _ORDER = "o.pos"
    _ANCHOR = "o.pos"
    _CROSS = "CROSS JOIN"

    def __init__(self, url: str, readonly: bool = True) -> None:
        self.url = url
        self.path = sqlite_path(url)
        options, conn = self._connect(readonly)
        self._readers = Readers(self.path, options, readonly, conn)
        # PRAGMA data_version compares commits seen by one connection: the watch keeps its own
        self._watch_lock = threading.Lock()
        self._watch: sqlite3.Connection | None = None
        self._options, self._readonly = options, readonly

    def _connect(self, readonly: bool) -> tuple[str, sqlite3.Connection]:
        path = self.path
        try:
            info = os.stat(path)
        except FileNotFoundError:
            raise DatabaseError(f"{path}: no database here (make one with `crisis-tui --db {path} build`)") from None
        except (OSError, ValueError) as exc:
            raise DatabaseError(f"{path}: cannot open the database: {getattr(exc, 'strerror', None) or exc}") from None
        if stat.S_ISDIR(info.st_mode):
            raise DatabaseError(f"{path}: is a folder, not a database file")
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block the open forever
            raise DatabaseError(f"{path}: is not a regular file, not a database file")
        options = "mode=ro" if readonly else "mode=rw"
        try:
            try:
                conn, version = self._open(options, readonly)
            except sqlite3.OperationalError as exc:
                if not (readonly and ("readonly" in str(exc) or "unable to open" in str(exc))):
                    raise
                # A WAL database in a folder we cannot write: SQLite cannot make its shared-memory
                # file there, and nobody can write the database beside us, so read it as immutable.
                # Immutable reads skip the -wal file: if it holds commits, they would be lost.
                if _size(path.with_name(path.name + "-wal")):
                    raise DatabaseError(f"{path}: has committed changes in its -wal file that cannot be read "
                                        "from a read-only folder; copy it somewhere writable") from None
                options = "mode=ro&immutable=1"
                conn, version = self._open(options, readonly)
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                raise DatabaseError(f"{path}: not a crisis-tui database (no meta table)") from None
            raise DatabaseError(problem(path, exc, "cannot open the database")) from None
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"{path}: not a usable SQLite database ({exc})") from None
        except sqlite3.Error as exc:
            raise DatabaseError(f"{path}: cannot open the database: {exc}") from None
        try:
            self._check_version(path, version)
        except DatabaseError:
            conn.close()  # refused: the connection goes with it
            raise
        return options, conn

    @staticmethod
    def _check_version(path, version: tuple | None) -> None:
        """Refuse a database that is not crisis-tui's, or of another schema version."""
        if version is None:
            raise DatabaseError(f"{path}: not a crisis-tui database (no schema version)")
        try:
            found = int(version[0])
        except (TypeError, ValueError):
            raise DatabaseError(f"{path}: not a crisis-tui database (meta schema_version is {version[0]!r:.40}, "
                                "not a number)") from None
        if found > SCHEMA_VERSION:
            raise DatabaseError(
                f"{path}: made by a newer crisis-tui (schema {found}; this one reads {SCHEMA_VERSION}); "
                "upgrade crisis-tui"
            )
        if found < SCHEMA_VERSION:
            raise OutdatedDatabase(
                f"{path}: schema {found} is older than {SCHEMA_VERSION}; "
                f"upgrade it, keeping its data, with `crisis-tui --db {path} upgrade`",
                found,
            )

    def _open(self, options: str, readonly: bool) -> tuple[sqlite3.Connection, tuple | None]:
        conn = open_connection(self.path, options, readonly)
        try:
            return conn, conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.Error:
            conn.close()
            raise

    def close(self) -> None:
        """Stop what is being read and close every connection."""
        self._readers.close()
        with self._watch_lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None

    def release_thread(self) -> None:
        """Close the calling thread's connection (a thread that is about to end)."""
        self._readers.release()

    def _snapshot(self) -> AbstractContextManager[None]:
        """One read transaction, so that an import committing meanwhile is seen whole or not at all."""
        return self._readers.transaction()

    def _all(self, sql: str, params: tuple | dict[str, Any] = ()) -> list[tuple]:
        return self._readers.run(sql, params)

    # --- lists -------------------------------------------------------------------

    def count(self, entity_type: str, pack: str | None = None) -> int:
        """How many entities of a type there are, of one pack or all (display positions are dense:
        one index seek)."""
        rows = self._all("SELECT coalesce(max(pos) + 1, 0) FROM entity_order WHERE pack_id = ? AND type = ?",
                         (self._scope(pack), entity_type))
        return rows[0][0]

    def page(self, entity_type: str, start: int, limit: int, pack: str | None = None) -> list[EntityRow]:
        """Rows `start` to `start + limit` of a pane, in display order (an index range, any size)."""
        rows = self._all(
            f"""SELECT {_ROW} FROM entity_order o JOIN entity e ON e.id = o.entity_id
                WHERE o.pack_id = ? AND o.type = ? AND o.pos >= ? AND o.pos < ? ORDER BY o.pos""",
            (self._scope(pack), entity_type, start, start + limit),
        )
        return [_row(r) for r in rows]

    def position(self, entity_id: int, pack: str | None = None) -> int | None:
        """An entity's row number in its pane (of one pack or all); None if not there."""
        rows = self._all("SELECT pos FROM entity_order WHERE entity_id = ? AND pack_id = ?",
                         (entity_id, self._scope(pack)))
        return rows[0][0] if rows else None

    def _scope(self, pack: str | None) -> int:
        """The `entity_order.pack_id` of a pack's panes: 0 (all) if None, or if it is the only pack;
        -1 (no rows) for a pack the database does not hold."""
        if pack is None:
            return 0
        rows = self._all("SELECT id, (SELECT count(*) FROM pack) FROM pack WHERE ref = ?", (pack,))
        if not rows:
            return -1
        number, packs = rows[0]
        return number if packs > 1 else 0

    # --- packs ---------------------------------------------------------------------

    def packs(self) -> tuple[PackView, ...]:
        """The packs (crises) the database holds, in the order they came, with their counts."""
        with self._snapshot():
            rows = self._all("SELECT ref, title, description, entities, links, positions, sources, latest "
                             "FROM pack ORDER BY id")
            return tuple(PackView(*row) for row in rows)

    def latest_pack(self) -> PackView | None:
        """The pack whose events reach latest (the most recent crisis), or None if there are no packs."""
        packs = self.packs()
        dated = [p for p in packs if p.latest]
        return max(dated, key=lambda p: p.latest or "") if dated else (packs[-1] if packs else None)

    # --- one entity --------------------------------------------------------------

    def row(self, ref: str) -> EntityRow | None:
        """The entity with this id (`agreement/simla-1972`), or None."""
        rows = self._all(f"SELECT {_ROW} FROM entity e WHERE e.ref = ?", (ref,))
        return _row(rows[0]) if rows else None

    def rows(self, refs: Sequence[str]) -> dict[str, EntityRow]:
        """The entities with these ids that the database holds, by id (a list of bookmarks, a
        saved history: the ids missing from it are gone from the database)."""
        found: dict[str, EntityRow] = {}
        wanted = list(dict.fromkeys(refs))
        for start in range(0, len(wanted), 500):  # under SQLite's limit of variables
            chunk = tuple(wanted[start:start + 500])
            for r in self._all(f"SELECT {_ROW} FROM entity e WHERE e.ref IN ({','.join('?' * len(chunk))})", chunk):
                row = _row(r)
                found[row.ref] = row
        return found

    def resolve(self, text: str) -> list[EntityRow]:
        """What a user means by `text`: the id itself, else the best tier of the search hits
        that matched in a name or an alias (text found only in a summary or a note names
        nothing: `[b]India[/b]` is not the Indus Waters Treaty).

        One row means the text is unambiguous; several are the candidates to offer.
        """
        text = text.strip()
        if not text:
            return []
        exact = self.row(text)
        if exact is not None:
            return [exact]
        hits = [h for h in self.search(text, limit=20) if h.field in ("name", "alias")]
        best = min((h.tier for h in hits), default=None)
        return [h.row for h in hits if h.tier == best]

    def detail(self, ref: str, link_citations: bool = True, pack: str | None = None) -> EntityDetail | None:
        """Everything about one entity: fields, aliases, citations, notes, links both ways, positions.

        Without `link_citations`, links come without their passages (the explorer shows a
        link's passage on request, `link_citations`): for an entity with a hundred links
        that is most of the work. With `pack`, as that pack states it: its own wording of
        the fields, and its links only.
        """
        with self._snapshot():
            return self._detail(ref, link_citations, pack)

    def link_citations(self, link_id: int) -> tuple[CitationView, ...]:
        """The passages one link is cited to."""
        return self._citations("link", link_id)

    def _detail(self, ref: str, link_citations: bool, pack: str | None = None) -> EntityDetail | None:
        found = self._all(_DETAIL, (ref,))
        if not found:
            return None
        row = _row(found[0])
        columns = dict(zip(_DETAIL_FIELDS, _values(found[0][_WIDTH:], _DETAIL_FLAGS), strict=True))
        columns["attributes"] = _attributes(columns["attributes"])
        scope = self._scope(pack) if pack is not None else None  # 0: the only pack, all of it
        only = (lambda column: f" AND {column} = {int(scope)}") if scope else (lambda column: "")  # one crisis's
        aliases = tuple(a for (a,) in self._all(
            f"SELECT alias FROM alias WHERE entity_id = ?{only('pack_id')} ORDER BY id", (row.id,)))
        note_rows = self._all("SELECT n.id, n.text, p.ref FROM note n LEFT JOIN pack p ON p.id = n.pack_id "
                              f"WHERE n.entity_id = ?{only('n.pack_id')} ORDER BY n.id", (row.id,))
        note_cites = self._citations_of("note", [note_id for note_id, _, _ in note_rows])
        notes = tuple(NoteView(text, note_cites.get(note_id, ()), of) for note_id, text, of in note_rows)
        packs, statements, owned = self._statements(row.id)
        mine = next((s for s in statements if s.pack == pack), None)
        if mine is not None:  # the fields as the pack shown states them; its own pack's become a statement
            own = {**columns, **{name: getattr(row, name) for name in ("kind", "name", "date", "date_precision",
                                                                         "date_uncertain")}}
            first = packs[0] if owned else None  # None: its own statement is of no pack
            theirs = Statement(first.id if first else "", first.title if first else "no crisis (records of no pack)",
                               {k: own.get(k) for k in mine.fields})
            statements = tuple(theirs if s is mine else s for s in statements)
            columns.update({k: v for k, v in mine.fields.items() if k in columns and k != "attributes"})
            if isinstance(mine.fields.get("attributes"), dict):
                columns["attributes"] = mine.fields["attributes"]
            changed = {k: v for k, v in mine.fields.items() if k in ("kind", "name", "date", "date_precision",
                                                                     "date_uncertain")}
            if changed:
                row = replace(row, **changed)  # type: ignore[arg-type]  # as the pack format checked them
        links_out, out_total = self._links(row.id, outgoing=True, cited=link_citations, pack=scope)
        links_in, in_total = self._links(row.id, outgoing=False, cited=link_citations, pack=scope)
        return EntityDetail(
            row=row,
            **columns,
            aliases=aliases,
            citations=tuple(c for c in self._citations("entity", row.id) if not scope or c.pack == pack),
            notes=notes,
            links_out=links_out,
            links_in=links_in,
            links_out_total=out_total,
            links_in_total=in_total,
            positions=self._positions(row.id, pack if scope else None),
            packs=packs,
            statements=statements,
            crises=self._all("SELECT count(*) FROM pack")[0][0],
            shown_as=pack if scope else None,
        )

    def _statements(self, entity_id: int) -> tuple[tuple[PackView, ...], tuple[Statement, ...], bool]:
        """The packs stating an entity (its own first, if it has one), the fields others word
        their own way, and whether it has a pack of its own (the first statement's)."""
        pack = "p.ref, p.title, p.description, p.entities, p.links, p.positions, p.sources, p.latest"
        rows = self._all(
            f"""SELECT {pack}, NULL FROM entity e LEFT JOIN pack p ON p.id = e.pack_id WHERE e.id = ?1
                UNION ALL
                SELECT * FROM (SELECT {pack}, x.fields FROM entity_pack x
                               JOIN pack p ON p.id = x.pack_id WHERE x.entity_id = ?1 ORDER BY x.pack_id) s""",
            (entity_id,))
        packs = tuple(PackView(*row[:-1]) for row in rows if row[0] is not None)  # the first: of no pack
        statements = []
        for *info, text in rows[1:]:
            ref, title = info[0], info[1]
            try:
                fields = json.loads(text) if text else {}
            except ValueError:
                fields = {"unreadable fields": str(text)}
            if isinstance(fields, dict) and fields:
                statements.append(Statement(ref, title, fields))
        return packs, tuple(statements), bool(rows) and rows[0][0] is not None

    def _citations(self, subject: str, subject_id: int) -> tuple[CitationView, ...]:
        return self._citations_of(subject, [subject_id]).get(subject_id, ())

    def _citations_of(self, subject: str, ids: list[int]) -> dict[int, tuple[CitationView, ...]]:
        """Citations of many records in one query per 500 ids (not one query per record)."""
        found: dict[int, list[CitationView]] = {}
        for at in range(0, len(ids), 500):
            chunk = ids[at:at + 500]
            rows = self._all(
                f"""SELECT c.subject_id, c.source_id, s.title, s.address, c.quote, c.line, s.via, p.ref
                    FROM citation c JOIN source s ON s.id = c.source_id LEFT JOIN pack p ON p.id = c.pack_id
                    WHERE c.subject = ? AND c.subject_id IN ({",".join("?" * len(chunk))}) ORDER BY c.id""",
                (subject, *chunk),
            )
            for subject_id, *rest in rows:
                found.setdefault(subject_id, []).append(CitationView(*rest))
        return {k: tuple(v) for k, v in found.items()}

    def _links(self, entity_id: int, outgoing: bool, cited: bool,
               pack: int | None = None) -> tuple[tuple[LinkView, ...], int]:
        """Up to LINK_LIMIT links of one direction (of the pack numbered `pack`, if given), and how
        many there are in all; each read as the pack stating it words its relation."""
        if outgoing:
            this, other, side = "subject_id", "object_id", "label"
        else:
            this, other, side = "object_id", "subject_id", "inverse"
        label = _worded(side)
        mine = "" if not pack else "AND k.pack_id = ?"  # 0: the only pack, so all links
        total = self._all(f"SELECT count(*) FROM link k WHERE k.{this} = ? {mine}",
                          (entity_id, pack) if mine else (entity_id,))[0][0]
        rows = self._all(
            f"""SELECT k.id, k.relation, {label}, k.note, p.ref, {_ROW}
                FROM link k JOIN relation r ON r.name = k.relation JOIN entity e ON e.id = k.{other}
                {_WORDING} LEFT JOIN pack p ON p.id = k.pack_id
                WHERE k.{this} = ? {mine} ORDER BY {label}, e.date IS NULL, e.date, e.name, k.id LIMIT {LINK_LIMIT}""",
            (entity_id, pack) if mine else (entity_id,),
        )
        citations = self._citations_of("link", [r[0] for r in rows]) if cited else {}
        return tuple(LinkView(r[1], r[2], _row(r[5:]), r[3], citations.get(r[0], ()), r[0], r[4])
                     for r in rows), total

    def _positions(self, entity_id: int, pack: str | None = None) -> tuple[PositionView, ...]:
        """Positions of or about an entity (those the pack `pack` gives, if given), with both
        entities and all citations in three queries."""
        mine = ("AND (p.pack_id = (SELECT id FROM pack WHERE ref = ?2) OR p.id IN (SELECT position_id FROM "
                "position_pack WHERE pack_id = (SELECT id FROM pack WHERE ref = ?2)))") if pack else ""
        rows = self._all(
            f"""SELECT p.id, p.ref, p.topic, p.stance, p.statement, p.date, p.date_precision, p.date_uncertain,
                       {_select("a", _ROW_FIELDS)}, {_select("t", _ROW_FIELDS)}
                FROM position p JOIN entity a ON a.id = p.actor_id LEFT JOIN entity t ON t.id = p.topic_id
                WHERE (p.actor_id = ?1 OR p.topic_id = ?1) {mine} ORDER BY p.date IS NULL, p.date, p.id
                LIMIT {LINK_LIMIT}""",
            (entity_id, pack) if pack else (entity_id,),
        )
        cited = self._citations_of("position", [r[0] for r in rows])
        topic = 8 + _WIDTH  # where the topic entity's columns begin, after the actor's
        return tuple(
            PositionView(r[1], _row(r[8:]), r[2], _row(r[topic:]) if r[topic] is not None else None,
                         r[3], r[4], r[5], r[6], cited.get(r[0], ()), bool(r[7]))
            for r in rows
        )

    def source(self, source_id: str) -> SourceText | None:
        """A source with the text its passages are quoted from (its own or its `via` source's)."""
        rows = self._all(
            """SELECT s.id, s.title, s.address, coalesce(s.text, v.text), s.publisher, s.date,
                      CASE WHEN s.text IS NULL THEN s.via END, CASE WHEN s.text IS NULL THEN v.title END
               FROM source s LEFT JOIN source v ON v.id = s.via WHERE s.id = ?""",
            (source_id,),
        )
        return SourceText(*rows[0]) if rows else None

    def source_facts(self, ids: Sequence[str]) -> dict[str, SourceText]:
        """The title, address, publisher and date of these sources (not their texts), by id."""
        found: dict[str, SourceText] = {}
        wanted = list(dict.fromkeys(ids))
        for at in range(0, len(wanted), 500):
            chunk = wanted[at:at + 500]
            for r in self._all(f"""SELECT id, title, address, NULL, publisher, date, via FROM source
                                   WHERE id IN ({",".join("?" * len(chunk))})""", tuple(chunk)):
                found[r[0]] = SourceText(*r)
        return found

    # --- the source reader ---------------------------------------------------------

    def source_passages(self, document: str, limit: int = PASSAGE_LIMIT) -> SourcePassages:
        """Every cited passage of the text of source `document` (its own and those of the sources
        quoted via it), in the order of the text, up to `limit`; read by the index of citations
        by source and offset."""
        with self._snapshot():
            ids = [document, *(i for (i,) in self._all(
                "SELECT id FROM source WHERE via = ? AND text IS NULL ORDER BY id LIMIT ?", (document, VIA_LIMIT)))]
            marks = ",".join("?" * len(ids))
            # Grouped from the index alone; each passage's length from a few of its quotes
            # (quotes starting at one place may differ in length), not from each of its citations.
            rows = self._all(
                f"""SELECT g.at, (SELECT max(length(q.quote)) FROM (SELECT quote FROM citation c
                                  WHERE c.source_id = g.src AND c."offset" = g.at LIMIT {SAME_START}) q),
                           g.n, g.src
                    FROM (SELECT "offset" AS at, count(*) AS n, min(source_id) AS src FROM citation
                          WHERE source_id IN ({marks}) AND "offset" IS NOT NULL
                          GROUP BY "offset" ORDER BY "offset" LIMIT ?) g""", (*ids, limit + 1))
            total, not_found = self._all(
                f"""SELECT count(*), count(*) - count("offset") FROM citation WHERE source_id IN ({marks})""",
                tuple(ids))[0]
            more = 0
            if len(rows) > limit:
                rows = rows[:limit]
                more = self._all(f"""SELECT count(DISTINCT "offset") FROM citation
                                     WHERE source_id IN ({marks}) AND "offset" IS NOT NULL""",
                                 tuple(ids))[0][0] - limit
            sources = {r[0]: SourceText(r[0], r[1], r[2], None, r[3], r[4]) for r in self._all(
                f"SELECT id, title, address, publisher, date FROM source WHERE id IN ({marks})", tuple(ids))}
        passages = tuple(Passage(offset, length, count, source) for offset, length, count, source in rows)
        return SourcePassages(passages, total, more, not_found, sources)

    def passage_citers(self, sources: Sequence[str], offset: int, limit: int = CITER_LIMIT) -> PassageCiters:
        """The records citing the passage at `offset` of a text (through any of `sources`, the
        document and those quoted via it), up to `limit`, and how many there are."""
        ids = list(sources)[:VIA_LIMIT + 1]
        marks = ",".join("?" * len(ids))
        where = f'source_id IN ({marks}) AND "offset" = ?'
        with self._snapshot():
            total = self._all(f"SELECT count(*) FROM citation WHERE {where}", (*ids, offset))[0][0]
            cites = self._all(f"SELECT subject, subject_id, source_id FROM citation WHERE {where} "
                              "ORDER BY source_id, subject, subject_id, id LIMIT ?",
                              (*ids, offset, limit))
            found: dict[tuple[str, int], tuple[str, str, str]] = {}  # (kind, id) -> (ref, label, record)
            for kind in ("entity", "link", "position", "note"):
                wanted = sorted({subject_id for subject, subject_id, _ in cites if subject == kind})
                if wanted:
                    found.update(((kind, i), (ref, label, record))
                                 for i, ref, label, record in self._citing(kind, wanted))
        records = tuple(CitingRecord(kind, *found[(kind, subject_id)], source)
                        for kind, subject_id, source in cites if (kind, subject_id) in found)
        return PassageCiters(records, total)

    def _citing(self, kind: str, ids: list[int]) -> list[tuple]:
        """(id, entity ref to go to, a line saying the record, its id as packs write it) for records of a kind."""
        marks = ",".join("?" * len(ids))
        if kind == "entity":
            rows = self._all(f"SELECT id, ref, name, type FROM entity WHERE id IN ({marks})", tuple(ids))
            return [(i, ref, f"{name} ({kind_})", ref) for i, ref, name, kind_ in rows]
        if kind == "note":
            rows = self._all(f"""SELECT n.id, e.ref, e.name, n.text FROM note n JOIN entity e ON e.id = n.entity_id
                                 WHERE n.id IN ({marks})""", tuple(ids))
            return [(i, ref, f"note on {name}: {text}", ref) for i, ref, name, text in rows]
        if kind == "position":
            rows = self._all(f"""SELECT p.id, a.ref, a.name, p.stance, p.topic, p.ref FROM position p
                                 JOIN entity a ON a.id = p.actor_id WHERE p.id IN ({marks})""", tuple(ids))
            return [(i, ref, f"{name} {stance}: {topic}", pref) for i, ref, name, stance, topic, pref in rows]
        rows = self._all(
            f"""SELECT k.id, s.ref, s.name, {_worded("label")}, o.name, k.relation, o.ref
                FROM link k JOIN entity s ON s.id = k.subject_id JOIN entity o ON o.id = k.object_id
                JOIN relation r ON r.name = k.relation {_WORDING}
                WHERE k.id IN ({marks})""", tuple(ids))
        return [(i, ref, f"{name} - {label} - {other}", f"{ref} {relation} {other_ref}")
                for i, ref, name, label, other, relation, other_ref in rows]

    # --- search ------------------------------------------------------------------

    def search(self, text: str, entity_type: str | None = None, limit: int = 50,
               cancel: Cancel | None = None, seconds: float | None = SEARCH_SECONDS) -> list[SearchHit]:
        """Ranked hits over names, aliases and summaries; any text is safe to pass.

        Stopped with QueryCancelled once `cancel` is set, or QueryTimeout after `seconds`.
        """
        text = " ".join(_printable(text).split())
        if not text or limit <= 0:
            return []
        with self._readers.limited(cancel, seconds), self._snapshot():
            return self._search(text, entity_type, limit)

    def _search(self, text: str, entity_type: str | None, limit: int) -> list[SearchHit]:
        hits: dict[int, SearchHit] = {}

        def add(rows: list[tuple], matched: str, tier: int) -> None:
            for r in rows:
                if len(hits) >= limit:
                    return
                row = _row(r)
                if row.id not in hits and (entity_type is None or row.type == entity_type):
                    hits[row.id] = SearchHit(row, matched, r[_WIDTH], tier)

        type_filter = "AND e.type = ?2" if entity_type else ""
        params = (text, entity_type) if entity_type else (text,)
        # 1. exact name or alias
        add(self._all(f"SELECT {_ROW}, e.name FROM entity e WHERE e.name = ?1 COLLATE NOCASE {type_filter} "
                      f"LIMIT {limit}", params), "name", 0)
        add(self._all(
            f"""SELECT {_ROW}, a.alias FROM alias a JOIN entity e ON e.id = a.entity_id
                WHERE a.alias = ?1 COLLATE NOCASE {type_filter} LIMIT {limit}""", params), "alias", 0)
        # 2. name or alias starting with the text (an index range, not a scan)
        upper = text + "\U0010ffff"
        pparams = (text, upper, entity_type) if entity_type else (text, upper)
        type_filter3 = "AND e.type = ?3" if entity_type else ""
        add(self._all(
            f"""SELECT {_ROW}, e.name FROM entity e
                WHERE e.name >= ?1 COLLATE NOCASE AND e.name < ?2 COLLATE NOCASE {type_filter3}
                ORDER BY e.name COLLATE NOCASE LIMIT {limit}""", pparams), "name", 1)
        add(self._all(
            f"""SELECT {_ROW}, a.alias FROM alias a JOIN entity e ON e.id = a.entity_id
                WHERE a.alias >= ?1 COLLATE NOCASE AND a.alias < ?2 COLLATE NOCASE {type_filter3}
                ORDER BY a.alias COLLATE NOCASE LIMIT {limit}""", pparams), "alias", 1)
        # 3. words, as full-text search: count first, rank only small hit sets
        if len(hits) < limit:
            match = self._words_match(text)
            if match:
                self._fts(match, entity_type, limit, add)
        # 4. substrings of names and aliases where words do not help ("rov-D"): the distinct
        #    names holding the text, then the entities of that name or alias
        if len(hits) < limit and len(text) >= 3:
            sparams = ('"' + text.replace('"', '""') + '"',) + ((entity_type,) if entity_type else ())
            add(self._all(
                f"""SELECT {_ROW}, e.name FROM search_name s JOIN entity e ON e.name = s.text COLLATE NOCASE
                    WHERE search_name MATCH ?1 {type_filter} LIMIT {limit * 2}""", sparams), "name", 3)
            add(self._all(
                f"""SELECT {_ROW}, a.alias FROM search_name s JOIN alias a ON a.alias = s.text COLLATE NOCASE
                    JOIN entity e ON e.id = a.entity_id
                    WHERE search_name MATCH ?1 {type_filter} LIMIT {limit * 2}""", sparams), "alias", 3)
        return self._explain(list(hits.values()), text)

    def _words_match(self, text: str) -> str:
        """A MATCH expression: every word as typed, the last as any indexed word it begins.

        A word given twice counts once and at most MATCH_WORDS words are kept: SQLite cannot be
        interrupted while it parses a MATCH of thousands of terms (a paste of one word repeated
        took 54 s), and more words than that narrow nothing further."""
        words = list(dict.fromkeys(_WORD.findall(text)))
        if len(words) > MATCH_WORDS:
            words = [*words[:MATCH_WORDS - 1], words[-1]]  # the last stays: it is matched as a prefix
        if not words:
            return ""
        last = index_form(words[-1])
        terms = [t for (t,) in self._all(
            f"SELECT term FROM search_term WHERE term >= ? AND term < ? ORDER BY docs DESC LIMIT {PREFIX_TERMS}",
            (last, last + "\U0010ffff"),
        )]
        if not terms:
            return ""
        return " AND ".join([*(_quote(w) for w in words[:-1]), "(" + " OR ".join(_quote(t) for t in terms) + ")"])

    def _fts(self, match: str, entity_type: str | None, limit: int, add) -> None:
        """Entities whose fields hold the words, by field weight (FIELD_WEIGHTS) and bm25; a hit
        set too large to rank (RANK_LIMIT) gives those whose own fields match first, by id."""
        type_filter = "AND e.type = ?2" if entity_type else ""

        def size(expression: str) -> int:
            return self._all(f"SELECT count(*) FROM (SELECT 1 FROM entity_fts WHERE entity_fts MATCH ?1 "
                             f"LIMIT {RANK_LIMIT + 1})", (expression,))[0][0]

        def read(expression: str, order: str) -> list[tuple]:
            return self._all(
                f"""SELECT {_ROW}, e.summary FROM entity_fts f JOIN entity e ON e.id = f.rowid
                    WHERE entity_fts MATCH ?1 {type_filter} ORDER BY {order} LIMIT {limit * 2}""",
                (expression, entity_type) if entity_type else (expression,))

        if size(match) <= RANK_LIMIT:
            add(read(match, _BM25), "text", 2)
            return
        # Too many to rank: those whose own fields hold the words first, then the rest, each in
        # the order of ids (read in that order, a column filter stops at the first hits it
        # finds; counting or ranking them cost a pass over the words' whole doclists).
        add(read(f"{_OWN} : ({match})", "f.rowid"), "text", 2)
        add(read(match, "f.rowid"), "text", 2)

    # --- what matched, and where -------------------------------------------------

    def _explain(self, hits: list[SearchHit], text: str) -> list[SearchHit]:
        """Each hit with the field that matched (the one holding most of the words, the weightier
        first) and a snippet of it with the words marked; read for the hits alone, a field at a
        time, only for hits the fields before it did not explain whole."""
        if not hits:
            return hits
        words = [index_form(w) for w in _TOKEN.findall(text)]
        best: dict[int, tuple[int, str, str]] = {}  # entity id -> (words found, field, its text)
        wanted = len(set(words))

        def consider(entity_id: int, field: str, value: str | None) -> None:
            if not value:
                return
            found = len(_found(value, words))
            if found and found > best.get(entity_id, (0, "", ""))[0]:
                best[entity_id] = (found, field, value)

        for hit in hits:  # a name or alias hit is explained by what it was found by
            if hit.tier in (0, 1, 3) or hit.matched in ("name", "alias"):
                best[hit.row.id] = (wanted, hit.matched, hit.text)
            else:
                consider(hit.row.id, "name", hit.row.name)

        def open_ids() -> list[int]:
            return [h.row.id for h in hits if best.get(h.row.id, (0,))[0] < wanted]

        # Each step's rows with their own ids, taken in that order (the first of equals explains
        # a hit: the same on either engine, without making SQLite sort a state's links).
        steps: list[tuple[str, str]] = [
            ("alias", "SELECT entity_id, alias, id FROM alias WHERE entity_id IN ({})"),
            ("date", "SELECT id, trim(coalesce(substr(date, 1, 4), '') || ' ' || "
                     "coalesce(substr(date_end, 1, 4), '')), id FROM entity WHERE id IN ({})"),
            ("summary", "SELECT id, summary, id FROM entity WHERE id IN ({})"),
            ("note", "SELECT entity_id, text, id FROM note WHERE entity_id IN ({0}) AND text LIKE {1}"),
            ("link note", "SELECT subject_id, note, id FROM link WHERE subject_id IN ({0}) AND note LIKE {1} "
                          "UNION ALL SELECT object_id, note, id FROM link WHERE object_id IN ({0}) AND note LIKE {1}"),
            ("position", "SELECT actor_id, stance || ': ' || statement, id FROM position WHERE actor_id IN ({0}) "
                         "AND stance || ': ' || statement LIKE {1} "
                         "UNION ALL SELECT topic_id, stance || ': ' || statement, id FROM position "
                         "WHERE topic_id IN ({0}) AND topic_id != actor_id AND stance || ': ' || statement LIKE {1}"),
        ]
        # Notes, link notes and positions can be many for one entity (a state's thousands of
        # links): only those holding the longest word are read (LIKE: ASCII case folded).
        longest = max(words, key=len, default="")
        holds = f"%{longest}%" if longest.isascii() and len(longest) >= 2 else "%"
        for field, sql in steps:
            ids = open_ids()
            if not ids:
                break
            marks = ",".join(str(int(i)) for i in ids)
            query = sql.format(marks, "?1")
            params: tuple = (holds,) if "?1" in query else ()
            rows = sorted(self._all(query + " LIMIT 2000", params), key=lambda r: (r[0], r[2]))
            for entity_id, value, _ in rows:
                consider(entity_id, field, value)
        explained = []
        for hit in hits:
            found = best.get(hit.row.id)
            if found is None:
                explained.append(replace(hit, field="text"))
                continue
            _, field, value = found
            snippet, spans = snippet_of(value, words, exact=hit.tier == 3 and text)
            explained.append(replace(hit, field=field, snippet=snippet, spans=spans))
        return explained

    # --- source passages -----------------------------------------------------------

    def search_passages(self, text: str, limit: int = PASSAGE_HITS, cancel: Cancel | None = None,
                        seconds: float | None = SEARCH_SECONDS) -> list[PassageHit]:
        """The lines of the sources' texts holding every word (the last as a prefix), best first;
        any text is safe to pass. Stopped as `search` is."""
        text = " ".join(_printable(text).split())
        if not text or limit <= 0:
            return []
        with self._readers.limited(cancel, seconds), self._snapshot():
            match = self._words_match(text)
            if not match:
                return []
            size = self._all(f"SELECT count(*) FROM (SELECT 1 FROM passage_fts WHERE passage_fts MATCH ?1 "
                             f"LIMIT {RANK_LIMIT + 1})", (match,))[0][0]
            order = "bm25(passage_fts)" if size <= RANK_LIMIT else "p.rowid"
            rows = self._all(
                f"""SELECT p.source_id, s.title, s.address, p.line, p.text FROM passage_fts p
                    JOIN source s ON s.id = p.source_id
                    WHERE passage_fts MATCH ?1 ORDER BY {order} LIMIT {int(limit)}""", (match,))
        words = [index_form(w) for w in _TOKEN.findall(text)]
        found = []
        for source_id, title, address, line, passage in rows:
            snippet, spans = snippet_of(readable(passage), words)
            found.append(PassageHit(source_id, title, address, line, passage, snippet, spans))
        return found

    # --- did you mean ------------------------------------------------------------------

    def suggest(self, text: str, cancel: Cancel | None = None, seconds: float | None = SEARCH_SECONDS) -> str | None:
        """The text with each word no entry holds replaced by the closest known word of a name
        or alias (by shared trigrams, then edit distance), or None if there is nothing to offer."""
        text = " ".join(_printable(text).split())
        words = _TOKEN.findall(text)
        if not words or len(words) > 8:
            return None
        changed = False
        out = []
        with self._readers.limited(cancel, seconds), self._snapshot():
            for n, word in enumerate(words):
                form = index_form(word)
                last = n == len(words) - 1
                if len(form) < 4 or form.isdigit() or self._known(form, prefix=last):
                    out.append(word)
                    continue
                better = self._closest(form)
                if better is None:
                    out.append(word)
                else:
                    out.append(better)
                    changed = True
        return " ".join(out) if changed else None

    def _known(self, form: str, prefix: bool) -> bool:
        if prefix:
            return bool(self._all("SELECT 1 FROM search_term WHERE term >= ? AND term < ? LIMIT 1",
                                  (form, form + "\U0010ffff")))
        return bool(self._all("SELECT 1 FROM search_term WHERE term = ?", (form,)))

    def _closest(self, form: str) -> str | None:
        grams = sorted({form[i:i + 3] for i in range(len(form) - 2)})
        query = " OR ".join(_quote(g) for g in grams)
        rows = self._all(f"SELECT word FROM search_word WHERE search_word MATCH ? ORDER BY rank "
                         f"LIMIT {SUGGEST_CANDIDATES}", (query,))
        allowed = 1 if len(form) <= 4 else 2
        # the fewest edits; then a word of the same first letter, the longest shared run of
        # letters (difflib's ratio), the most trigrams in common (their order)
        scored = [(distance(form, word), word[:1] != form[:1], -SequenceMatcher(None, form, word).ratio(), n, word)
                  for n, (word,) in enumerate(rows)]
        scored = [s for s in scored if s[0] <= allowed]
        return min(scored)[-1] if scored else None

    # --- pane filters (issue #15) -----------------------------------------------------

    def relations(self) -> tuple[RelationView, ...]:
        """Every relation of the database's vocabulary, by name, with the entity types it joins."""
        found = []
        for name, label, inverse, *ends in self._all(
                "SELECT name, label, inverse, source_types, target_types FROM relation ORDER BY name"):
            types: set[str] = set()
            for end in ends:
                try:
                    listed = json.loads(end) if end else []
                except ValueError:
                    listed = []
                if isinstance(listed, list):
                    types.update(t.split("/")[0] for t in listed if isinstance(t, str))
            found.append(RelationView(name, label, inverse, tuple(sorted(types))))
        return tuple(found)

    def kinds(self, entity_type: str) -> tuple[str, ...]:
        """The kinds the entities of a type have, in order (an index seek per kind, at any size)."""
        found: list[str] = []
        while True:
            after = found[-1] if found else ""
            rows = self._all("SELECT kind FROM entity WHERE type = ? AND kind > ? ORDER BY kind LIMIT 1",
                             (entity_type, after))
            if not rows or len(found) >= 1000:
                return tuple(found)
            found.append(rows[0][0])

    def names_starting(self, prefix: str, limit: int = 8) -> tuple[str, ...]:
        """Names and aliases that begin with `prefix` (any case), shortest first: what a filter
        prompt completes an entity to (an index range each, not a search). A name holding a
        control character (a database no pack check wrote) is not offered: completion puts
        names into the prompt as they are."""
        prefix = " ".join(_printable(prefix).split())
        if not prefix:
            return ()
        rows = self._all(self._starting_sql(), (prefix, prefix + "\U0010ffff", int(limit)))
        return tuple(r[0] for r in rows if LINE_CONTROL.search(r[0]) is None)

    def _starting_sql(self) -> str:
        """`names_starting`'s statement: ?1 the prefix, ?2 past it, ?3 the limit (ASCII case folded)."""
        names = """SELECT name FROM entity WHERE name >= ?1 COLLATE NOCASE AND name < ?2 COLLATE NOCASE
                   ORDER BY name COLLATE NOCASE LIMIT ?3"""
        aliases = """SELECT alias FROM alias WHERE alias >= ?1 COLLATE NOCASE AND alias < ?2 COLLATE NOCASE
                     ORDER BY alias COLLATE NOCASE LIMIT ?3"""
        return f"""SELECT name FROM (SELECT name FROM ({names}) n UNION SELECT alias FROM ({aliases}) a) u
                   ORDER BY length(name), name LIMIT ?3"""

    def match(self, entity_type: str, flt: PaneFilter, pack: str | None = None) -> FilterMatches:
        """The entities of a pane (of one crisis, `pack`, or all) that `flt` lets through, in display
        order: what `filtered_page` pages and whose count a pane shows. A filter naming an entity the
        database does not hold matches nothing.

        A filter of a relation reads its rows whole (the entities linked, found from the link
        indexes, put in display order). One of kind, dates and crisis alone counts its rows from
        an index and, when they are many, reads none yet: its pages are read in display order as
        they are asked for (`ids` is None then)."""
        with self._snapshot():
            where = self._where(entity_type, flt, pack)
            if flt.related_to is not None:
                ids, via = self._related(flt, where)
                return FilterMatches(entity_type, flt, pack, len(ids), tuple(ids), via)
            total = self._count_where(entity_type, flt, where)
            if total > MATERIALIZE:
                return FilterMatches(entity_type, flt, pack, total, None)
            rows = self._all(f"""SELECT o.entity_id FROM entity e {self._CROSS} {self._PANE} ON o.entity_id = e.id
                                 WHERE e.type = :type AND {where.sql} ORDER BY {self._ORDER}""", where.params)
            return FilterMatches(entity_type, flt, pack, len(rows), tuple(r[0] for r in rows))

    def _where(self, entity_type: str, flt: PaneFilter, pack: str | None) -> _Where:
        """The conditions on `o` (the pane's rows) and `e` (entity) that a filter's kind, dates and
        crisis make, in a pane of `pack` (or all)."""
        crisis = flt.crisis if flt.crisis != pack else None
        if pack is None and crisis is not None:
            pack, crisis = crisis, None  # the crisis's own display order
        where = ["o.pack_id = :scope", "o.type = :type"]
        params: dict[str, Any] = {"scope": self._scope(pack), "type": entity_type}
        if crisis is not None:
            where.append("(e.pack_id = :crisis OR EXISTS (SELECT 1 FROM entity_pack ep "
                         "WHERE ep.entity_id = e.id AND ep.pack_id = :crisis))")
            rows = self._all("SELECT id FROM pack WHERE ref = ?", (crisis,))
            params["crisis"] = rows[0][0] if rows else -1
        if flt.kind is not None:
            where.append("e.kind = :kind")
            params["kind"] = flt.kind
        span = None
        if flt.date_from or flt.date_to:
            where.append("e.date IS NOT NULL")
            if flt.date_from:
                where.append("e.date >= :date_from")
                params["date_from"] = flt.date_from
            if flt.date_to:
                where.append("e.date < :date_to")
                params["date_to"] = flt.date_to + "\x7f"  # `2025-05` takes all of May
            span = self._date_rows(entity_type, flt, where, params)
        return _Where(" AND ".join(where), params, crisis is not None, span)

    def _date_rows(self, entity_type: str, flt: PaneFilter, where: list[str], params: dict[str, Any]) -> int | None:
        """In a pane kept in date order, narrow a filter of dates to its range of the pane (a
        condition added to `where`) and say how many rows the range holds; None for other panes."""
        low, high = self._date_positions(params["scope"], entity_type, flt.date_from, flt.date_to)
        if low is None or high is None:
            return None
        where.append("o.pos >= :low AND o.pos < :high")
        params.update(low=low, high=high)
        return high - low

    def _count_where(self, entity_type: str, flt: PaneFilter, where: _Where) -> int:
        """How many rows a filter of kind, dates and crisis lets through: from the positions or the
        (type, kind, date) index where it can, else by reading the pane's rows."""
        if where.params["scope"] == 0 and not where.crisis:  # the pane of all: every entity of the type
            if flt.kind is None and where.span is not None:
                return where.span
            if flt.kind is not None:
                dates = ""
                if flt.date_from or flt.date_to:
                    dates = " AND e.date IS NOT NULL" + (" AND e.date >= :date_from" if flt.date_from else "") \
                        + (" AND e.date < :date_to" if flt.date_to else "")
                return self._all(f"SELECT count(*) FROM entity e WHERE e.type = :type AND e.kind = :kind{dates}",
                                 where.params)[0][0]
        return self._all(f"SELECT count(*) FROM {self._PANE} JOIN entity e ON e.id = o.entity_id WHERE {where.sql}",
                         where.params)[0][0]

    def related_positions(self, flt: PaneFilter, pack: str | None = None) -> list[int]:
        """The display positions, in the events pane of `pack` (or all), of the events a filter of a
        relation lets through, in order (the same roll-up as `match`): the timeline's lanes."""
        with self._snapshot():
            return self._related(flt, self._where("event", flt, pack), column="o.pos")[0]

    def _related(self, flt: PaneFilter, where: _Where, column: str = "o.entity_id") -> tuple[list[int], dict[int, int]]:
        root = self._all("SELECT id FROM entity WHERE ref = ?", (flt.related_to,))
        if not root:
            return [], {}
        params = dict(where.params, root=root[0][0])
        cross = self._CROSS
        relation = ""
        if flt.relation is not None:
            relation = "AND l.relation = :relation"
            params["relation"] = flt.relation
        members = ("SELECT l.subject_id FROM link l JOIN members m ON l.object_id = m.id "
                   f"WHERE l.relation IN ({', '.join(repr(r) for r in ROLL_UP)})") if flt.through_members else ""
        # From the hits to their positions (CROSS JOIN keeps that order: not a scan of the pane)
        rows = self._all(
            f"""WITH RECURSIVE members(id) AS (SELECT CAST(:root AS INTEGER) {"UNION " + members if members else ""}),
                hits(id, via) AS (
                    SELECT l.subject_id, m.id FROM members m {cross} link l ON l.object_id = m.id
                    WHERE true {relation}
                    UNION ALL
                    SELECT l.object_id, m.id FROM members m {cross} link l ON l.subject_id = m.id
                    WHERE true {relation}),
                found(id, via) AS (SELECT id, min(CASE WHEN via = :root THEN 0 ELSE via END) FROM hits
                                   WHERE id <> :root GROUP BY id)
                SELECT {column}, h.via FROM found h {cross} {self._PANE} ON o.entity_id = h.id
                {f"{cross} entity e ON e.id = o.entity_id" if "e." in where.sql else ""}
                WHERE {where.sql} ORDER BY {self._ORDER}""",
            params,
        )
        return [r[0] for r in rows], {r[0]: r[1] for r in rows if r[1]}

    def _date_positions(self, scope: int, entity_type: str, date_from: str | None,
                        date_to: str | None) -> tuple[int | None, int | None]:
        """Where a date range begins and ends in a pane kept in date order (events, agreements): a
        binary search over positions, a few index seeks at any size; (None, None) for other panes."""
        from .schema import PANE_ORDER

        if not PANE_ORDER.get(entity_type, "").startswith("date IS NULL, date"):
            return None, None
        count = self._all("SELECT coalesce(max(pos) + 1, 0) FROM entity_order WHERE pack_id = ? AND type = ?",
                          (scope, entity_type))[0][0]

        def first(date: str) -> int:
            return self.first_dated_at(scope, entity_type, date, 0, count)

        low = first(date_from) if date_from else 0
        high = first(date_to + "\x7f") if date_to else first("\U0010ffff")
        return low, max(low, high)

    def first_dated_at(self, scope: int, entity_type: str, date: str, lo: int, hi: int) -> int:
        """The first position in lo..hi of a pane kept in date order (`scope`: entity_order.pack_id)
        whose date is `date` or later, or undated: a binary search, a seek a step."""
        while lo < hi:
            mid = (lo + hi) // 2
            found = self._all("SELECT e.date FROM entity_order o JOIN entity e ON e.id = o.entity_id "
                              "WHERE o.pack_id = ? AND o.type = ? AND o.pos = ?", (scope, entity_type, mid))
            value = found[0][0] if found else None
            if value is None or value >= date:
                hi = mid
            else:
                lo = mid + 1
        return lo

    # --- the timeline's reads by position (db/timeline.py) ------------------------------------

    def _pane_slice(self, scope: int, entity_type: str, start: int, stop: int) -> tuple[str, dict[str, Any]]:
        """A statement selecting the `entity_id` of rows `start` to `stop` of a pane, and its parameters."""
        return ("SELECT entity_id FROM entity_order WHERE pack_id = :scope AND type = :type AND pos >= :start "
                "AND pos < :stop", {"scope": scope, "type": entity_type, "start": start, "stop": stop})

    def _events_at(self, scope: int, positions: range | list[int]) -> list[tuple]:
        """(position, ref, name, date, date_end, date_precision, date_uncertain) of the events at
        these positions of the events pane `scope` (a range, or sorted positions), in order."""
        select = """SELECT o.pos, e.ref, e.name, e.date, e.date_end, e.date_precision, e.date_uncertain
                    FROM entity_order o JOIN entity e ON e.id = o.entity_id
                    WHERE o.pack_id = ? AND o.type = 'event' AND {} ORDER BY o.pos"""
        if isinstance(positions, range):
            return self._all(select.format("o.pos >= ? AND o.pos < ?"), (scope, positions.start, positions.stop))
        rows: list[tuple] = []
        for at in range(0, len(positions), 500):
            chunk = positions[at:at + 500]
            rows += self._all(select.format(f"o.pos IN ({','.join('?' * len(chunk))})"), (scope, *chunk))
        return rows

    def _spans(self, scope: int, dated: int) -> list[tuple[int, str]]:
        """(position, date_end) of the dated events with an end date in the events pane `scope`, in order."""
        return self._all(  # the table scanned in its order (no index on date_end), positions looked up
            """SELECT o.pos, e.date_end FROM entity e CROSS JOIN entity_order o ON o.entity_id = e.id
               WHERE +e.type = 'event' AND e.date_end IS NOT NULL AND o.pack_id = ? AND o.type = 'event'
                     AND o.pos < ? ORDER BY o.pos""", (scope, dated))

    def filtered_page(self, matches: FilterMatches, start: int, limit: int) -> list[FilteredRow]:
        """Rows `start` to `start + limit` of a filtered pane, each with the entity it came through."""
        start = max(start, 0)
        if matches.ids is None:  # many rows of kind, dates or crisis: read in display order
            return [FilteredRow(row) for row in self._walk(matches, start, limit)]
        ids = matches.ids[start:start + limit]
        wanted = set(ids) | {matches.via[i] for i in ids if i in matches.via}
        rows = self._rows_by_id(wanted)
        return [FilteredRow(rows[i], rows.get(matches.via[i]) if i in matches.via else None)
                for i in ids if i in rows]

    def _walk(self, matches: FilterMatches, start: int, limit: int) -> list[EntityRow]:
        """Rows `start` to `start + limit` of a filter of rows not held, read in display order from
        the nearest row whose position a page read before noted (`matches.anchors`), or back from
        the end when that is nearer: scrolling on, or jumping to the end, reads a page's worth."""
        n = min(limit, matches.count - start)
        if n <= 0:
            return []
        noted = list(matches.anchors)  # a copy, taken at once: pages are read on several threads
        below = max((i for i in noted if i < start), default=-1)
        skip = start - below - 1  # rows between the anchor and `start`
        from_end = matches.count - start - n
        with self._snapshot():
            where = self._where(matches.entity_type, matches.filter, matches.pack)
            if from_end < skip:
                backwards = ", ".join(f"{column} DESC" for column in self._ORDER.split(", "))
                rows = self._all(self._walked(where.sql, backwards, n, from_end), where.params)[::-1]
            else:
                after, params = "", where.params
                if below in matches.anchors:
                    after, more = self._beyond(where.params, matches.anchors[below], ">")
                    after, params = f" AND {after}", dict(where.params, **more)
                rows = self._all(self._walked(where.sql + after, self._ORDER, n, skip), params)
        if rows:
            matches.anchors[start] = rows[0][-1]
            matches.anchors[start + len(rows) - 1] = rows[-1][-1]
        return [_row(r) for r in rows]

    def _walked(self, where: str, order: str, limit: int, offset: int) -> str:
        """The rows of a filter in `order`, with their anchors: skipped on the pane's index alone
        when the filter says nothing of the entity `e`."""
        if "e." in where:
            return f"""SELECT {_ROW}, {self._ANCHOR} FROM {self._PANE} {self._CROSS} entity e ON e.id = o.entity_id
                       WHERE {where} ORDER BY {order} LIMIT {int(limit)} OFFSET {int(offset)}"""
        return f"""SELECT {_ROW}, {self._ANCHOR} FROM (SELECT o.* FROM {self._PANE} WHERE {where} ORDER BY {order}
                                                      LIMIT {int(limit)} OFFSET {int(offset)}) o
                   JOIN entity e ON e.id = o.entity_id ORDER BY {order}"""

    def admitted(self, matches: FilterMatches, entity_ids: Sequence[int]) -> set[int]:
        """Which of these entities the filter lets through."""
        if matches.ids is not None:
            return set(entity_ids) & set(matches.ids)
        found: set[int] = set()
        with self._snapshot():
            where = self._where(matches.entity_type, matches.filter, matches.pack)
            for entity_id in entity_ids:
                if self._all(f"""SELECT 1 FROM {self._PANE} JOIN entity e ON e.id = o.entity_id
                                 WHERE {where.sql} AND o.entity_id = :entity""", dict(where.params, entity=entity_id)):
                    found.add(entity_id)
        return found

    def filtered_index(self, matches: FilterMatches, entity_id: int) -> int | None:
        """Which row of a filtered pane an entity is on, or None if the filter leaves it out."""
        if matches.ids is not None:
            try:
                return matches.ids.index(entity_id)
            except ValueError:
                return None
        with self._snapshot():
            where = self._where(matches.entity_type, matches.filter, matches.pack)
            params = dict(where.params, entity=entity_id)
            found = self._all(f"""SELECT {self._ANCHOR} FROM {self._PANE} JOIN entity e ON e.id = o.entity_id
                                  WHERE {where.sql} AND o.entity_id = :entity""", params)
            if not found:
                return None
            before, more = self._beyond(where.params, found[0][0], "<")
            return self._all(f"""SELECT count(*) FROM {self._PANE} JOIN entity e ON e.id = o.entity_id
                                 WHERE {where.sql} AND {before}""", dict(params, **more))[0][0]

    def _beyond(self, params: dict[str, Any], anchor: int, op: str) -> tuple[str, dict[str, Any]]:
        """The condition on `o` of the rows after (`op` ">") or before ("<") the row `anchor`
        (an `_ANCHOR` value) of the pane `params` names, and its parameters."""
        return f"o.pos {op} :anchor", {"anchor": anchor}

    def _rows_by_id(self, ids: set[int]) -> dict[int, EntityRow]:
        found: dict[int, EntityRow] = {}
        wanted = sorted(ids)
        for at in range(0, len(wanted), 500):
            chunk = wanted[at:at + 500]
            rows = self._all(f"SELECT {_ROW} FROM entity e WHERE e.id IN ({', '.join('?' * len(chunk))})",
                             tuple(chunk))
            for r in rows:
                row = _row(r)
                found[row.id] = row
        return found

    # --- the graph: an entity's neighbourhood, the paths between two (db/graph.py) ----

    def neighbourhood(self, ref: str, hops: int = 2, pack: str | None = None, limit: int | None = None,
                      cited: bool = False) -> Neighbourhood | None:
        """`ref`'s links out to `hops` hops, grouped by relation and direction (the links of
        `pack`'s crisis only, if given); None if there is no such entity.

        Each group of the centre's links lists its first `limit` (graph.GROUP_LIMIT) links and
        counts the rest, each group one hop further out its first graph.NEXT_LIMIT; the link
        just walked is not listed again. `refs()` lists the entities held; with `cited`, each
        link comes with its citations (else `link_citations` reads them).
        """
        from . import graph

        with self._snapshot():
            return graph.neighbourhood(self, ref, hops, pack, graph.GROUP_LIMIT if limit is None else limit, cited)

    def paths(self, a: str, b: str, limit: int = 3, pack: str | None = None) -> Paths | None:
        """The shortest paths from entity `a` to entity `b` (ids) over links either way, up to
        `limit` of them, each step with its wording and citations (the links of `pack`'s crisis
        only, if given); None if either is no entity. The search is bounded (graph.PATH_DEPTH
        links, graph.PATH_READ_LIMIT links read): `Paths.outcome` says which bound stopped it."""
        from . import graph

        with self._snapshot():
            return graph.paths(self, a, b, limit, pack)

    # --- everything ----------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        return dict(self._all("SELECT key, value FROM meta"))

    def data_version(self) -> int:
        """A number that changes when another connection commits (an import, a rebuild)."""
        with self._watch_lock:
            if self._readers.closed:
                raise DatabaseError(f"{self.path}: the database is closed")
            try:
                if self._watch is None:
                    self._watch = open_connection(self.path, self._options, self._readonly)
                return self._watch.execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.Error as exc:
                raise DatabaseError(problem(self.path, exc)) from None

    @contextmanager
    def exported(self) -> Iterator[tuple[dict, Iterator[tuple[str, dict]]]]:
        """The whole knowledge base as a pack document's header and its records, read as they are
        taken, in one read transaction (`db.export.iter_document`); errors while reading them are
        DatabaseErrors naming the database."""
        from .export import iter_document

        with self._snapshot():
            try:
                with self._readers.locked() as conn:
                    header, records = iter_document(conn)
                    yield header, self._exporting(records)
            except sqlite3.Error as exc:
                raise DatabaseError(problem(self.path, exc, "cannot export")) from None

    def _exporting(self, items: Iterator[_T]) -> Iterator[_T]:
        """`items` as they are read, a read error one naming the database (an export's stream)."""
        while True:
            try:
                found = next(items, None)
            except sqlite3.Error as exc:
                raise DatabaseError(problem(self.path, exc, "cannot export")) from None
            except DatabaseError as exc:
                raise DatabaseError(f"{self.path}: {exc}") from None
            if found is None:
                return
            yield found

    @contextmanager
    def graphml(self) -> Iterator[Iterator[str]]:
        """The whole graph as GraphML text in chunks, read as they are taken, in one read
        transaction (`db.graphml`); errors while reading them are DatabaseErrors naming the database."""
        from .graphml import graphml_chunks

        with self._snapshot():
            try:
                with self._readers.locked() as conn:
                    yield self._exporting(graphml_chunks(conn))
            except sqlite3.Error as exc:
                raise DatabaseError(problem(self.path, exc, "cannot export")) from None

    def export(self, pack: str | None = None) -> dict:
        """The whole knowledge base as one pack document (the format `import` reads); with `pack`,
        what that pack states, with the records of other packs it refers to."""
        from .export import export_document

        with self._snapshot():
            try:
                with self._readers.locked() as conn:
                    return export_document(conn, self.path, pack)
            except sqlite3.Error as exc:
                raise DatabaseError(problem(self.path, exc, "cannot export")) from None
