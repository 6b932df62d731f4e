"""A seeded, realistic synthetic crisis of any size, written straight into a database or as a pack.

N events, about N/10 actors, N/100 agreements, N/50 places; every event has 3-5 typed links;
every record cites a passage that occurs in a generated source document (one per 50 events).
Summaries mix common and rare words (Zipf-like), so search has both kinds to find. As in the
bundled crisis, about a quarter of the links carry a note, one event in ten a note of its own,
and one in twenty a stated position of one of its actors (search covers all three).

    python benchmarks/generate.py --events 100000 --db /tmp/100k.db
    python benchmarks/generate.py --events 1000 --pack /tmp/1k.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from crisis_tui.db.build import CiteIn, EntityIn, new_database
from crisis_tui.db.pack import Source

SYLLABLES = ("ka", "ra", "mir", "tal", "zan", "bor", "sha", "el", "dun", "vek", "ash", "ori", "pal", "qu", "nar",
             "sol", "tir", "gah", "lem", "bad", "kot", "abad", "pur", "istan", "garh", "nik", "ul", "ven", "dar")
FIRST = ("Amir", "Sara", "Yusuf", "Leila", "Omar", "Nadia", "Ivan", "Mei", "Ravi", "Anya", "Tariq", "Hana",
         "Farid", "Zoya", "Karim", "Ines", "Dmitri", "Asha", "Bilal", "Noor", "Pavel", "Lina", "Arjun", "Rosa")
LAST = ("Khan", "Petrov", "Rahman", "Sato", "Mehta", "Haddad", "Novak", "Qureshi", "Singh", "Osei", "Barzani",
        "Ibrahim", "Volkov", "Chaudhry", "Nasser", "Kovac", "Mirza", "Anand", "Farouk", "Lindqvist")
ORG = ("Defence Council", "Liberation Front", "People's Militia", "Border Guard", "Relief Agency",
       "National Army", "Peace Committee", "Students' Union", "Farmers' Union", "Security Force")
EVENT_TYPES = (("battle", "Clashes"), ("protest", "Protest"), ("riot", "Riot"), ("explosion", "Shelling"),
               ("attack", "Attack on civilians"), ("strategic development", "Ceasefire talks"),
               ("strategic development", "Arrests"), ("explosion", "Drone strike"))
COMMON = ("forces", "village", "reported", "clashes", "civilians", "border", "police", "market", "residents",
          "soldiers", "night", "road", "checkpoint", "district", "officials")
RARE = ("aqueduct", "monastery", "saffron", "granary", "observatory", "quarry", "vineyard", "lighthouse",
        "tannery", "caravanserai", "orchard", "cistern", "foundry", "apiary", "salt-pan", "ropeway")
RELATIONS = [("participant", "participant", "took part in"), ("located-in", "located in", "location of"),
             ("response-to", "response to", "responded to by"), ("invokes", "invokes", "invoked by"),
             ("concerns", "concerns", "concerned by")]  # names of its own: the bundled pack's `party` joins states
STANCES = ("supports", "rejects", "urges talks on", "condemns", "denies", "welcomes")
LINK_NOTES = 0.25  # the share of links with a note (the bundled crisis: 26 of 107)
NOTE_EVERY = 10  # one event in this many has a note
POSITION_EVERY = 20  # one event in this many has a position of one of its actors
BLOCK = 50  # events per source document
PACK = 1  # the number of the one pack (writer.meta numbers packs from 1)
REGISTER_PAGE = 1000  # names per page of the registers of actors, places and agreements


def register(kind: str, index: int) -> str:
    """The source id of the register page that lists name number `index` of a kind."""
    return f"register/{kind}/{index // REGISTER_PAGE}"


def place_name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def day(rng: random.Random, start: int = 2015, years: int = 10) -> str:
    return f"{rng.randint(start, start + years - 1)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


VOCABULARY = COMMON + RARE
# Zipf-like weights: the first common word is everywhere, each rare word is in well under 1% of events.
WEIGHTS = [1 / (rank + 1) for rank in range(len(COMMON))] + [0.004] * len(RARE)


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(VOCABULARY, WEIGHTS, k=n))


class Crisis:
    """The generated records, made on demand from one seed so that nothing large sits in memory."""

    def __init__(self, events: int, seed: int = 2025) -> None:
        self.pack_id = f"synthetic-{events}"  # the one pack, numbered PACK in the database
        self.n_events = events
        self.n_actors = max(events // 10, 5)
        self.n_agreements = max(events // 100, 2)
        self.n_places = max(events // 50, 3)
        self.seed = seed
        rng = random.Random(seed)
        self.places = [f"{place_name(rng)} {i}" if i >= 400 else place_name(rng) for i in range(self.n_places)]
        self.actors = []
        for _ in range(self.n_actors):
            roll = rng.random()
            if roll < 0.5:
                self.actors.append(("person", f"{rng.choice(FIRST)} {rng.choice(LAST)}"))
            elif roll < 0.97:
                self.actors.append(("organisation", f"{rng.choice(self.places)} {rng.choice(ORG)}"))
            else:
                self.actors.append(("state", f"Republic of {place_name(rng)}"))
        self.agreements = [(f"{rng.choice(('Accord', 'Treaty', 'Declaration'))} of {rng.choice(self.places)}",
                            day(rng, 1960, 60)) for _ in range(self.n_agreements)]
        self.events = [self._make_event(rng, i) for i in range(events)]

    def _make_event(self, rng: random.Random, i: int) -> tuple[str, str, str, str, int, int, int]:
        kind, label = EVENT_TYPES[int(rng.random() * len(EVENT_TYPES))]
        place = int(rng.random() * self.n_places)
        a, b = int(rng.random() * self.n_actors), int(rng.random() * self.n_actors)
        name = f"{label} in {self.places[place]}"
        summary = (f"{self.actors[a][1]} and {self.actors[b][1]} near {self.places[place]}: "
                   f"{words(rng, 6 + int(rng.random() * 9))} (event {i}).")
        date = f"{2015 + int(rng.random() * 10)}-{1 + int(rng.random() * 12):02d}-{1 + int(rng.random() * 28):02d}"
        return kind, name, summary, date, place, a, b

    def _event(self, i: int) -> tuple[str, str, str, str, int, int, int]:
        return self.events[i]

    def sources(self) -> list[Source]:
        out = []
        for block in range(0, self.n_events, BLOCK):
            text = "\n".join(self._event(i)[2] for i in range(block, min(block + BLOCK, self.n_events)))
            out.append(Source(id=f"report/{block // BLOCK}", title=f"Field report {block // BLOCK}", text=text,
                              pack=self.pack_id))
        # Registers of names in pages of REGISTER_PAGE (one 2 MB register made every citation
        # search it from the start: quadratic, 15-25 s of a 1M build).
        for kind, names in (("actors", [n for _, n in self.actors]), ("places", self.places),
                            ("agreements", [n for n, _ in self.agreements])):
            for page in range(0, len(names), REGISTER_PAGE):
                out.append(Source(id=register(kind, page), title=f"Register of {kind}, page {page // REGISTER_PAGE}",
                                  text="\n".join(names[page:page + REGISTER_PAGE]), pack=self.pack_id))
        return out

    def entities(self) -> Iterator[EntityIn]:
        for i, (kind, name) in enumerate(self.actors):
            yield EntityIn(f"actor/a{i}", "actor", kind, name, f"{kind.capitalize()} named in the reports.",
                           pack_id=PACK)
        for i, name in enumerate(self.places):
            yield EntityIn(f"place/p{i}", "place", "district", name, "", pack_id=PACK)
        for i, (name, date) in enumerate(self.agreements):
            yield EntityIn(f"agreement/g{i}", "agreement", "agreement", name, f"{name}, signed {date}.", date,
                           date_precision="day", pack_id=PACK)
        for i in range(self.n_events):
            kind, name, summary, date, *_ = self._event(i)
            yield EntityIn(f"event/e{i}", "event", kind, name, summary, date, date_precision="day", pack_id=PACK)

    def entity_citations(self) -> Iterator[tuple[str, str, CiteIn]]:
        for i, (_, name) in enumerate(self.actors):
            yield "entity", f"actor/a{i}", CiteIn(register("actors", i), name, PACK)
        for i, name in enumerate(self.places):
            yield "entity", f"place/p{i}", CiteIn(register("places", i), name, PACK)
        for i, (name, _) in enumerate(self.agreements):
            yield "entity", f"agreement/g{i}", CiteIn(register("agreements", i), name, PACK)
        for i in range(self.n_events):
            yield "entity", f"event/e{i}", CiteIn(f"report/{i // BLOCK}", self._event(i)[2], PACK)

    def links(self) -> Iterator[tuple[str, str, str, str | None, list[CiteIn], int]]:
        rng = random.Random(self.seed + 1)

        def note() -> str | None:  # "Chaired the committee.", "Pakistan requested the call."
            return words(rng, 4 + int(rng.random() * 8)).capitalize() + "." if rng.random() < LINK_NOTES else None

        for i in range(self.n_events):
            _, _, summary, _, place, a, b = self._event(i)
            src = f"report/{i // BLOCK}"
            ref = f"event/e{i}"
            # a link cites the event's whole line of the report (a name alone is too short to cite)
            yield ref, "located-in", f"place/p{place}", note(), [CiteIn(src, summary, PACK)], PACK
            yield ref, "participant", f"actor/a{a}", note(), [CiteIn(src, summary, PACK)], PACK
            if b != a:
                yield ref, "participant", f"actor/a{b}", note(), [CiteIn(src, summary, PACK)], PACK
            roll = (i * 2654435761) % 1000 / 1000  # deterministic, cheap
            if i and roll < 0.6:
                target = f"event/e{int(roll * 7919 * i) % i}"
                yield ref, "response-to", target, note(), [CiteIn(src, summary, PACK)], PACK
            if roll > 0.6:
                agreement = int(roll * 104729 + i) % self.n_agreements
                yield ref, "invokes", f"agreement/g{agreement}", note(), [CiteIn(src, summary, PACK)], PACK
        for g in range(self.n_agreements):
            rng = random.Random(-g - 1)
            for actor in rng.sample(range(self.n_actors), min(2, self.n_actors)):  # two different actors
                cited = [CiteIn(register("actors", actor), self.actors[actor][1], PACK)]
                yield f"agreement/g{g}", "concerns", f"actor/a{actor}", None, cited, PACK

    def notes(self) -> Iterator[tuple[str, str, CiteIn]]:
        """(event ref, note text, citation) for one event in NOTE_EVERY."""
        rng = random.Random(self.seed + 2)
        for i in range(0, self.n_events, NOTE_EVERY):
            summary = self._event(i)[2]
            text = f"The reports word this differently: {words(rng, 8 + int(rng.random() * 10))}."
            yield f"event/e{i}", text, CiteIn(f"report/{i // BLOCK}", summary, PACK)

    def positions(self) -> Iterator[tuple[str, str, str, str | None, str, str, str, CiteIn]]:
        """(position ref, actor ref, topic, topic ref, stance, statement, date, citation) for one
        event in POSITION_EVERY: what one of its actors says about its place."""
        rng = random.Random(self.seed + 3)
        for i in range(0, self.n_events, POSITION_EVERY):
            _, name, summary, date, place, a, _ = self._event(i)
            stance = rng.choice(STANCES)
            said = words(rng, 6 + int(rng.random() * 8))
            statement = f"{self.actors[a][1]} {stance} what happened in {self.places[place]}: {said}."
            yield (f"position/q{i}", f"actor/a{a}", name, f"place/p{place}", stance, statement, date,
                   CiteIn(f"report/{i // BLOCK}", summary, PACK))

    def pack(self) -> dict:
        """The same crisis as one pack document (for timing a validated build)."""
        cites = {}
        for _, ref, c in self.entity_citations():
            cites[ref] = [{"source": c.source, "quote": c.quote}]
        notes = {ref: [{"text": text, "citations": [{"source": c.source, "quote": c.quote}]}]
                 for ref, text, c in self.notes()}
        return {
            "schema_version": 1,
            "pack": {"id": f"synthetic-{self.n_events}", "title": f"Synthetic crisis of {self.n_events} events"},
            "relations": [{"name": n, "label": lab, "inverse": inv} for n, lab, inv in RELATIONS],
            "sources": [s.model_dump(exclude_none=True) for s in self.sources()],
            "entities": [{"id": e.ref, "type": e.type, "kind": e.kind, "name": e.name, "summary": e.summary,
                          **({"date": e.date} if e.date else {}),
                          **({"notes": notes[e.ref]} if e.ref in notes else {}), "citations": cites[e.ref]}
                         for e in self.entities()],
            "links": [{"source": s, "relation": r, "target": t, **({"note": note} if note else {}),
                       "citations": [{"source": c.source, "quote": c.quote} for c in cited]}
                      for s, r, t, note, cited, _pack in self.links()],
            "positions": [{"id": ref, "actor": actor, "topic": topic, "about": about, "stance": stance,
                           "statement": statement, "date": date, "citations": [{"source": c.source, "quote": c.quote}]}
                          for ref, actor, topic, about, stance, statement, date, c in self.positions()],
        }


def write_database(crisis: Crisis, path: Path) -> dict[str, int]:
    """Stream the crisis into a new database through the same bulk writer as `crisis-tui build`."""
    with new_database(path) as writer:
        writer.meta([{"id": crisis.pack_id, "title": "Synthetic crisis"}])
        writer.relations((n, lab, inv, "", "[]", "[]", PACK) for n, lab, inv in RELATIONS)
        writer.sources(crisis.sources())
        writer.entities(crisis.entities())
        writer.citations(crisis.entity_citations())
        writer.links(crisis.links())
        for ref, text, cited in crisis.notes():
            writer.notes(ref, text, [cited], PACK)
        for ref, actor, topic, about, stance, statement, date, cited in crisis.positions():
            writer.position(ref, actor, topic, about, stance, statement, date, [cited], pack_id=PACK)
    return writer.counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--db", type=Path, help="write a database here")
    parser.add_argument("--pack", type=Path, help="write a JSON pack here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    crisis = Crisis(args.events, args.seed)
    print(f"generated {args.events} events in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if args.pack:
        args.pack.write_text(json.dumps(crisis.pack(), ensure_ascii=False), encoding="utf-8")
    if args.db:
        started = time.perf_counter()
        counts = write_database(crisis, args.db)
        elapsed = time.perf_counter() - started
        rows = sum(counts.values())
        print(json.dumps({"seconds": round(elapsed, 2), "rows": rows, "rows_per_second": round(rows / elapsed),
                          **counts}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
