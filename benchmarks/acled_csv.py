"""A seeded, realistic ACLED export of any size, written a row at a time (flat memory).

The modern export's 31 columns (docs/acled.md), in its order; about 3,000 actors (some named by
several rows as a side, some only as associates), 30,000 places (60 countries, their admin1,
admin2 and admin3), notes of about 200 characters with commas and quotes (so that CSV quoting
is exercised), dates written `24 April 2025` (or ISO with --iso-dates), time_precision mostly
1, sometimes 2 or 3, fatalities mostly 0. The same seed gives the same file.

    python benchmarks/acled_csv.py --rows 1000000 --out /tmp/acled-1m.csv

Prints one JSON line: rows, bytes, seconds.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import random
import sys
import time
from pathlib import Path

COLUMNS = ("event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
           "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
           "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude",
           "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities", "tags", "timestamp")
SYLLABLES = ("ka", "ra", "mir", "tal", "zan", "bor", "sha", "el", "dun", "vek", "ash", "ori", "pal", "qu", "nar",
             "sol", "tir", "gah", "lem", "bad", "kot", "abad", "pur", "istan", "garh", "nik", "ul", "ven", "dar")
REGIONS = ("Southern Asia", "Western Africa", "Eastern Africa", "Middle East", "South America", "Eastern Europe",
           "Southeast Asia", "Caribbean", "Central Asia", "Northern Africa")
# (disorder_type, event_type, sub_event_type, weight); ACLED's taxonomy
EVENTS = (("Political violence", "Battles", "Armed clash", 20),
          ("Political violence", "Battles", "Government regains territory", 1),
          ("Political violence", "Battles", "Non-state actor overtakes territory", 1),
          ("Political violence", "Explosions/Remote violence", "Shelling/artillery/missile attack", 8),
          ("Political violence", "Explosions/Remote violence", "Air/drone strike", 6),
          ("Political violence", "Explosions/Remote violence", "Remote explosive/landmine/IED", 3),
          ("Political violence", "Violence against civilians", "Attack", 10),
          ("Political violence", "Violence against civilians", "Abduction/forced disappearance", 2),
          ("Demonstrations", "Protests", "Peaceful protest", 25),
          ("Demonstrations", "Protests", "Protest with intervention", 3),
          ("Demonstrations", "Riots", "Violent demonstration", 5),
          ("Political violence; Demonstrations", "Riots", "Mob violence", 3),
          ("Strategic developments", "Strategic developments", "Arrests", 4),
          ("Strategic developments", "Strategic developments", "Looting/property destruction", 2),
          ("Strategic developments", "Strategic developments", "Agreement", 1))
# the actor types of the newer exports, in words (older ones give codes 1-8)
STATE, REBEL, POLITICAL, IDENTITY, RIOTERS, PROTESTERS, CIVILIANS, EXTERNAL = (
    "State forces", "Rebel group", "Political militia", "Identity militia", "Rioters", "Protesters", "Civilians",
    "External/Other forces")
SIDES = {"Battles": ((STATE, REBEL, POLITICAL, IDENTITY, EXTERNAL), (REBEL, POLITICAL, IDENTITY, STATE)),
         "Explosions/Remote violence": ((STATE, REBEL, EXTERNAL), (REBEL, CIVILIANS, STATE, POLITICAL)),
         "Violence against civilians": ((POLITICAL, IDENTITY, REBEL, STATE), (CIVILIANS,)),
         "Protests": ((PROTESTERS,), ("", "", "", STATE)),
         "Riots": ((RIOTERS,), (RIOTERS, CIVILIANS, STATE, "")),
         "Strategic developments": ((STATE, REBEL, POLITICAL), ("", REBEL, CIVILIANS, POLITICAL))}
VERBS = {"Battles": "clashed with", "Explosions/Remote violence": "shelled positions of",
         "Violence against civilians": "attacked", "Protests": "gathered, facing", "Riots": "rioted against",
         "Strategic developments": "arrested members of"}
COMMON = ("forces", "village", "reported", "clashes", "civilians", "border", "police", "market", "residents",
          "soldiers", "night", "road", "checkpoint", "district", "officials", "vehicles", "houses", "injured")
OUTLETS = ("Reuters", "AFP", "Associated Press", "BBC Monitoring", "Xinhua", "Al Jazeera", "Dawn", "The Hindu",
           "Daily Nation", "Premium Times", "Kyiv Independent", "Local Monitor", "Radio Dabanga", "OCHA")
SCALES = ("National", "Subnational", "International", "Local partner-National", "New media", "Regional")
START = datetime.date(2018, 1, 1)
DAYS = 8 * 365


def name(rng: random.Random, parts: tuple[int, int] = (2, 3)) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(*parts))).capitalize()


class Export:
    """The pools the rows draw from: countries, their places and actors."""

    def __init__(self, seed: int) -> None:
        rng = self.rng = random.Random(seed)
        self.countries = []
        for n in range(60):
            country = name(rng) + rng.choice(("", "ia", "stan", "land"))
            code = (country[:3].upper() + "XYZ")[:3]
            admin1 = [name(rng) for _ in range(rng.randint(8, 30))]
            places = []
            for _ in range(500):  # 30,000 places in all
                a1 = rng.choice(admin1)
                places.append((a1, f"{a1[:4]}{name(rng, (1, 2)).lower()}", name(rng) if rng.random() < 0.5 else "",
                               name(rng), f"{rng.uniform(-40, 60):.4f}", f"{rng.uniform(-80, 140):.4f}"))
            actors: dict[str, list[str]] = {
                STATE: [f"Military Forces of {country} ({y}-)" for y in (2010, 2016, 2021)]
                + [f"Police Forces of {country} ({y}-)" for y in (2010, 2016, 2021)],
                REBEL: [f"{name(rng)} Liberation Front" for _ in range(6)],
                POLITICAL: [f"Unidentified Armed Group ({country})"]
                + [f"{name(rng)} Militia ({country})" for _ in range(12)],
                IDENTITY: [f"{name(rng)} Ethnic Militia ({country})" for _ in range(15)],
                RIOTERS: [f"Rioters ({country})"], PROTESTERS: [f"Protesters ({country})"],
                CIVILIANS: [f"Civilians ({country})"],
                EXTERNAL: [f"Military Forces of {name(rng)} ({y}-)" for y in (2012, 2020)],
                # named only as associates: no type of their own
                "": [f"{name(rng)} {rng.choice(('Students', 'Teachers', 'Farmers', 'Lawyers', 'Traders'))} "
                     f"({country})" for _ in range(10)] + [f"{name(rng)} Communal Group ({country})"
                                                           for _ in range(4)],
            }
            self.countries.append((country, f"{code}", 100 + n * 7, REGIONS[n % len(REGIONS)], places, actors))
        self.events = [e[:3] for e in EVENTS for _ in range(e[3])]

    def rows(self, count: int, iso_dates: bool):
        rng = self.rng
        r, choice, randint = rng.random, rng.choice, rng.randint
        for n in range(count):
            country, code, iso, region, places, actors = choice(self.countries)
            disorder, event_type, sub_event = choice(self.events)
            firsts, seconds = SIDES[event_type]
            inter1, inter2 = choice(firsts), choice(seconds)
            actor1, actor2 = choice(actors[inter1]), (choice(actors[inter2]) if inter2 else "")
            assoc1 = "; ".join(choice(actors[""]) for _ in range(randint(1, 2))) if r() < 0.25 else ""
            assoc2 = choice(actors[""]) if inter2 and r() < 0.15 else ""
            admin1, admin2, admin3, location, lat, lon = choice(places)
            day = START + datetime.timedelta(days=randint(0, DAYS))
            written = day.isoformat() if iso_dates else f"{day.day:02d} {day:%B %Y}"
            roll = r()
            precision = 1 if roll < 0.85 else 2 if roll < 0.95 else 3
            fatalities = 0 if r() < 0.7 or event_type in ("Protests", "Strategic developments") else \
                randint(1, 5) if r() < 0.9 else randint(6, 120)
            sources = "; ".join(rng.sample(OUTLETS, randint(1, 3)))
            on = f"{day.day} {day:%B %Y}" if precision == 1 else f"Around {day:%B %Y}"
            notes = (f"{on}, {actor1} {VERBS[event_type]} {actor2 or 'no other side'} in {location} "
                     f"({admin2}, {admin1}). {choice(COMMON).capitalize()} and {choice(COMMON)} were "
                     f"\"{choice(COMMON)}\" near the {choice(COMMON)}; {fatalities} reported killed. "
                     f"[{'size=no report' if event_type == 'Protests' else 'women targeted: none'}]")
            yield (f"{code}{n + 1}", written, day.year, precision, disorder, event_type, sub_event, actor1, assoc1,
                   inter1, actor2, assoc2, inter2, f"{inter1}-{inter2}" if inter2 else f"{inter1} only",
                   "Civilian targeting" if inter2 == CIVILIANS else "", iso, region, country, admin1, admin2, admin3,
                   location, lat, lon, randint(1, 3), sources, choice(SCALES), notes, fatalities,
                   "crowd size=no report" if event_type == "Protests" else "", 1_700_000_000 + n * 7)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--iso-dates", action="store_true", help="write event_date as 2025-04-24")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    export = Export(args.seed)
    with args.out.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(export.rows(args.rows, args.iso_dates))
    elapsed = time.perf_counter() - started
    print(json.dumps({"rows": args.rows, "bytes": args.out.stat().st_size, "seconds": round(elapsed, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
