"""The start/stop fast path's baseline: per instance, what the last push left on the firewall.

Written while the reaction's generate has the model in hand (events.fastpath.IndexWhileGenerating,
as PENDING) and made the baseline once the push went through (`promote`), from the state pushed
and generate's own derivation (generate.start_stop): for each instance,
its state.yaml entries (instance and interfaces, to tell a plain start or stop from any other
change), the tags its addresses get while live, whether it is steady, and, in `meta`, the
policy it was built for and how many addresses awspan has registered. The fast path updates the
rows it served, so the index always says what the firewall holds.

SQLite (the standard library's) so that a start or stop reads and writes a few rows, not a
file the size of the estate: at 50,000 instances the index is tens of MB, a lookup a few
milliseconds. The file is built beside its final name and renamed over it (atomic). Before
sending a delta the fast path marks the index unsettled, and settles it with the rows in one
transaction after the firewall confirmed: an index left unsettled (a crash, a refused message)
is never used again; the next reaction pushes in full and writes a new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.generate.start_stop import StartStop

INDEX = "fastpath.sqlite"
SCHEMA = 1


@dataclass
class Row:
    """One instance of the index."""

    vpc: list[Any]  # journal.VpcKey as a list: [account, region, VPC id]
    instance: dict[str, Any]  # its state.yaml entry
    interfaces: list[dict[str, Any]]  # its interfaces' entries, by id
    tags: dict[str, list[str]]  # ip -> awspan tags while live
    unsteady: str | None


def build_rows(state: dict[str, Any], index: dict[str, StartStop]) -> Iterator[tuple[str, Row]]:
    """The rows of every instance of the state."""
    for vpc in state["vpcs"]:
        key = [vpc.get("account"), vpc.get("region"), vpc["id"]]
        attached: dict[str, list[dict[str, Any]]] = {}
        for eni in vpc.get("interfaces", []):
            if eni.get("instance"):
                attached.setdefault(eni["instance"], []).append(eni)
        for inst in vpc.get("instances", []):
            entry = index[inst["id"]]
            yield inst["id"], Row(key, inst, attached.get(inst["id"], []),
                                  {ip: list(t) for ip, t in entry.tags.items()}, entry.unsteady)


PENDING = f".{INDEX}.pending"
"""The index of the fragment being pushed: built while generate has the model, renamed to INDEX
once the push went through (`promote`), removed by `drop` otherwise."""


def write_index(work: Path, rows: Iterable[tuple[str, Row]], policy_digest: str, registered: int,
                name: str = INDEX) -> None:
    """Build the index beside its place and rename it over any older one."""
    target = work / name
    temp = work / f".{INDEX}.{os.getpid()}.tmp"
    temp.unlink(missing_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(temp)) as db, db:
            db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute("CREATE TABLE owners (instance TEXT PRIMARY KEY, row TEXT NOT NULL)")
            db.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("schema", str(SCHEMA)), ("policy", policy_digest), ("registered", str(registered)),
                ("settled", "1")])
            db.executemany("INSERT INTO owners VALUES (?, ?)", ((i, _dump(r)) for i, r in rows))
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def drop(work: Path) -> None:
    """Forget the baseline (a push under way, a delta the firewall refused)."""
    (work / INDEX).unlink(missing_ok=True)


def drop_pending(work: Path) -> None:
    (work / PENDING).unlink(missing_ok=True)


def promote(work: Path) -> bool:
    """The pending index becomes the baseline (after its push succeeded); False when there is none."""
    try:
        os.replace(work / PENDING, work / INDEX)
    except FileNotFoundError:
        return False
    return True


def _dump(row: Row) -> str:
    return json.dumps([row.vpc, row.instance, row.interfaces, row.tags, row.unsteady], ensure_ascii=False)


class FastIndex:
    """An open index; every method is one short SQLite statement or transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    @classmethod
    def open(cls, work: Path) -> FastIndex | None:
        """The index of `work`, or None when there is none or it cannot be read."""
        path = work / INDEX
        if not path.is_file():
            return None
        try:
            db = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None)
            index = cls(db)
            if index.meta("schema") != str(SCHEMA):
                db.close()
                return None
        except sqlite3.Error:
            return None
        return index

    def close(self) -> None:
        self.db.close()

    def meta(self, key: str) -> str | None:
        found = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if found is None else str(found[0])

    def rows(self, instances: Iterable[str]) -> dict[str, Row]:
        """The rows of these instances that the index holds."""
        wanted = sorted(set(instances))
        out: dict[str, Row] = {}
        for start in range(0, len(wanted), 500):  # SQLite's bound on parameters per statement
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT instance, row FROM owners WHERE instance IN ({marks})"
            for instance, text in self.db.execute(query, chunk):
                vpc, inst, interfaces, tags, unsteady = json.loads(text)
                out[instance] = Row(vpc, inst, interfaces, tags, unsteady)
        return out

    def unsettle(self) -> None:
        """Before a delta is sent: until `settle`, the firewall may hold either side."""
        self.db.execute("UPDATE meta SET value = '0' WHERE key = 'settled'")

    def settle(self, rows: dict[str, Row], registered: int) -> None:
        """After the firewall confirmed the delta: the rows served, the new count, settled again."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany("UPDATE owners SET row = ? WHERE instance = ?",
                                [(_dump(r), i) for i, r in sorted(rows.items())])
            self.db.execute("UPDATE meta SET value = ? WHERE key = 'registered'", (str(registered),))
            self.db.execute("UPDATE meta SET value = '1' WHERE key = 'settled'")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
