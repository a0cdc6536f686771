"""The hostile corpus, generated (no binary fixtures): each case is a file with what it truly
holds, so a run over all of them can be reconciled file by file."""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass, field
from typing import Any

HEADER = "entry_id,driver,lap,lap_time_s,latitude,day"
COLUMNS: dict[str, Any] = {
    "entry_id": "string",
    "driver": {"type": "string", "not_null": True},
    "lap": {"type": "int", "min": 1},
    "lap_time_s": {"type": "float", "min": 0},
    "latitude": {"type": "float", "min": -90, "max": 90},
    "day": "date",  # ISO 8601 unless a format is declared: never guessed
}
DECOMPRESSED_CAP = 48 << 20
LONG_LINE = 33 << 20  # beyond DuckDB's 32 MiB buffer, where such lines used to vanish


def feed(location: str) -> dict[str, Any]:
    return {
        "location": location,
        "columns": COLUMNS,
        "key": ["entry_id"],
        "clean_table": "hostile_laps",
        "max_decompressed_bytes": DECOMPRESSED_CAP,
    }


@dataclass
class Case:
    """One landing file: its bytes and the truth about it.

    ``records`` is how many records it truly holds; ``bad`` the originals (bytes) of those that
    must be quarantined by the parser, ``bad_values`` how many more fail typing/constraints,
    with ``reasons`` fragments expected; ``rejected`` a fragment of the reason when the whole
    file must be refused; ``good_keys`` the keys that must reach CLEAN."""

    name: str
    data: bytes
    records: int = 0
    bad: list[bytes] = field(default_factory=list)
    bad_values: int = 0
    reasons: list[str] = field(default_factory=list)
    rejected: str | None = None
    good_keys: list[str] = field(default_factory=list)
    empty: bool = False

    @property
    def quarantined(self) -> int:
        return len(self.bad) + self.bad_values


def row(
    key: str,
    *,
    driver: str = "Ann",
    lap: str = "3",
    time: str = "91.5",
    lat: str = "51.35",
    day: str = "2026-09-05",
) -> str:
    return ",".join([key, driver, lap, time, lat, day])


def rows(prefix: str, n: int) -> list[str]:
    return [
        row(f"{prefix}-{i}", lap=str(1 + i % 60), time=f"{60 + i % 40}.{i % 1000:03d}")
        for i in range(n)
    ]


def text(lines: list[str], *, end: str = "\n", header: str = HEADER) -> bytes:
    return (end.join([header, *lines]) + end).encode()


def good(name: str, n: int, *, gz: bool = False) -> Case:
    lines = rows(name, n)
    data = text(lines)
    return Case(
        name, gzip.compress(data) if gz else data, n, good_keys=[r.split(",")[0] for r in lines]
    )


def _big_gzip(name: str) -> bytes:
    rng = random.Random(name)
    lines = [row(f"{name}-{i}", driver=f"{rng.getrandbits(64):x}") for i in range(20_000)]
    return gzip.compress(text(lines), compresslevel=1)


def corrupt_gzip() -> Case:
    data = bytearray(_big_gzip("corrupt"))
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0x5A for b in data[middle : middle + 64])
    return Case("corrupt.csv.gz", bytes(data), rejected="corrupt gzip stream")


def truncated_gzip() -> Case:
    data = _big_gzip("truncated")
    return Case("truncated.csv.gz", data[: len(data) * 2 // 3], rejected="truncated gzip stream")


def bomb() -> Case:
    filler = (row("bomb-0") + "\n").encode() * (2 * DECOMPRESSED_CAP // 40)
    data = gzip.compress(HEADER.encode() + b"\n" + filler, compresslevel=9)
    return Case("bomb.csv.gz", data, rejected="inflates beyond the cap")


def stray_quote() -> Case:
    lines = rows("quote", 2000)
    lines[10] = row("quote-10", driver='"Bob')  # row 11: a stray, unbalanced quote
    bad = lines[10]
    return Case(
        "stray_quote.csv",
        text(lines),
        2000,
        bad=[bad.encode()],
        reasons=["unbalanced quote"],
        good_keys=[r.split(",")[0] for r in lines if r != bad],
    )


def stray_quote_pair() -> Case:
    """Two stray quotes 9 rows apart: their join parses as one record of the right width, yet
    the 8 records between them must not become a field."""
    lines = rows("pair", 30)
    lines[10] = row("pair-10", driver='"Bob')
    lines[19] = row("pair-19", driver='Al"')
    bad = [lines[10], lines[19]]
    return Case(
        "stray_quote_pair.csv",
        text(lines),
        30,
        bad=[b.encode() for b in bad],
        reasons=["unbalanced quote"],
        good_keys=[r.split(",")[0] for r in lines if r not in bad],
    )


def long_line(*, gz: bool) -> Case:
    lines = rows("long-gz" if gz else "long", 20)
    lines[5] = row(lines[5].split(",")[0], driver="x" * LONG_LINE)
    bad = lines[5]
    data = text(lines)
    return Case(
        "long_line.csv.gz" if gz else "long_line.csv",
        gzip.compress(data) if gz else data,
        20,
        bad=[bad.encode()],
        reasons=["record longer than"],
        good_keys=[r.split(",")[0] for r in lines if r != bad],
    )


def glob_names() -> list[Case]:
    """Names a glob would expand (each beside a file it would match)."""
    return [
        good(name, 2) for name in ("a*.csv", "ab.csv", "b?.csv", "b1.csv", "c[1].csv", "c1.csv")
    ]


def dates() -> Case:
    lines = [
        row("dates-0", day="05/03/2020"),
        *[row(f"dates-{i}", day=f"2020-03-{i:02d}") for i in range(1, 6)],
    ]
    return Case(
        "dates.csv",
        text(lines),
        6,
        bad_values=1,
        reasons=["column day: cannot parse 05/03/2020 as date"],
        good_keys=[f"dates-{i}" for i in range(1, 6)],
    )


def impossible_values() -> Case:
    lines = [
        row("values-0", time="NaN"),
        row("values-1", time="inf"),
        row("values-2", lat="-inf"),
        row("values-3", lat="999"),
        row("values-4", lap="0"),
        row("values-5", driver=""),
        row("values-6"),
    ]
    reasons = [
        "lap_time_s: constraint finite",
        "latitude: constraint finite",
        "latitude: constraint max 90",
        "lap: constraint min 1",
        "driver: constraint not_null",
    ]
    return Case("values.csv", text(lines), 7, bad_values=6, reasons=reasons, good_keys=["values-6"])


def header_only() -> Case:
    return Case("header_only.csv", (HEADER + "\n").encode(), 0, empty=True)


def junk() -> Case:
    return Case("junk.csv", random.Random(7).randbytes(5000), rejected="not a CSV file")


def zero_gzip() -> Case:
    return Case("zero.csv.gz", b"", rejected="empty file")


def bom_mid_file() -> Case:
    first, second = rows("bom-a", 5), rows("bom-b", 5)
    data = text(first) + b"\xef\xbb\xbf" + text(second)  # two files concatenated
    return Case(
        "bom_mid.csv",
        data,
        11,
        bad_values=1,
        reasons=["repeated header line"],
        good_keys=[r.split(",")[0] for r in first + second],
    )


def header_mid_file() -> Case:
    first, second = rows("hdr-a", 4), rows("hdr-b", 4)
    return Case(
        "header_mid.csv",
        text([*first, HEADER, *second]),
        9,
        bad_values=1,
        reasons=["repeated header line"],
        good_keys=[r.split(",")[0] for r in first + second],
    )


def nul_bytes() -> Case:
    lines = rows("nul", 6)
    lines[2] = lines[2].replace("Ann", "A\x00nn")
    return Case(
        "nul.csv",
        text(lines),
        6,
        bad=[lines[2].encode()],
        reasons=["NUL byte"],
        good_keys=[r.split(",")[0] for r in lines if "\x00" not in r],
    )


def mixed_endings() -> Case:
    lines = rows("eol", 6)
    data = (
        HEADER
        + "\r\n"
        + lines[0]
        + "\n"
        + lines[1]
        + "\r"
        + lines[2]
        + "\r\n"
        + lines[3]
        + "\n"
        + lines[4]
        + "\r"
        + lines[5]
        + "\n"
    ).encode()
    return Case("mixed_endings.csv", data, 6, good_keys=[r.split(",")[0] for r in lines])


def extra_quoted_fields() -> Case:
    lines = rows("extra", 4)
    extra = '"extra-9","Eve","2","80.1","45.0","2026-01-01","surplus","more"'
    quoted = '"extra-8","Multi\nline","2","80.1","45.0","2026-01-01"'  # a legit multi-line field
    data = text([lines[0], extra, lines[1], quoted, *lines[2:]])
    return Case(
        "extra_fields.csv",
        data,
        6,
        bad=[extra.encode()],
        reasons=["expected 6 fields, found 8"],
        good_keys=[*[r.split(",")[0] for r in lines], "extra-8"],
    )


def all_cases() -> list[Case]:
    return [
        good("good.csv", 50),
        good("good_gz.csv.gz", 50, gz=True),
        corrupt_gzip(),
        truncated_gzip(),
        zero_gzip(),
        bomb(),
        stray_quote(),
        stray_quote_pair(),
        long_line(gz=False),
        long_line(gz=True),
        *glob_names(),
        dates(),
        impossible_values(),
        header_only(),
        junk(),
        bom_mid_file(),
        header_mid_file(),
        nul_bytes(),
        mixed_endings(),
        extra_quoted_fields(),
    ]
