"""Reading the landing zone: published feeds only, every line accounted for."""

from __future__ import annotations

import json
from pathlib import Path

from pitwall.scraping.landing import FeedFile, list_feed_files, read_feed_lines


def _write(path: Path, *lines: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


RECORD = json.dumps(
    {"site": "laps", "url": "http://s/l1", "data": {"lap_id": "L1"}, "kind": "record"}
)


def test_in_progress_and_other_sites_feeds_are_not_listed(tmp_path: Path) -> None:
    _write(tmp_path / "laps" / "b.jsonl", RECORD)
    _write(tmp_path / "laps" / "a.jsonl", RECORD)
    _write(tmp_path / "laps" / ".c.jsonl.part", RECORD)
    _write(tmp_path / "tracks" / "d.jsonl", RECORD)
    files = list_feed_files(tmp_path, ["laps", "missing"])
    assert [f.marker for f in files] == ["laps/a.jsonl", "laps/b.jsonl"]
    assert files[0].batch_id != files[1].batch_id
    assert files[0].batch_id == FeedFile("laps", tmp_path / "elsewhere" / "a.jsonl").batch_id


def test_every_line_is_kept_and_bad_lines_are_marked_malformed(tmp_path: Path) -> None:
    rejected = {
        "site": "laps",
        "url": "http://s/l5",
        "reason": "driver: missing",
        "record": {"driver": None},
        "kind": "rejected",
    }
    feed = _write(
        tmp_path / "laps" / "x.jsonl",
        RECORD,
        json.dumps(rejected),
        "{not json",
        "",
        json.dumps({**json.loads(RECORD), "site": "tracks"}),
        json.dumps({**json.loads(RECORD), "data": [1, 2]}),
    )
    lines = read_feed_lines([FeedFile("laps", feed)])
    assert lines["_source_row"].to_list() == [1, 2, 3, 5, 6]
    assert lines["kind"].to_list() == ["record", "rejected", "malformed", "malformed", "malformed"]
    assert json.loads(lines["payload"][0]) == {"lap_id": "L1"}
    assert json.loads(lines["payload"][1])["url"] == "http://s/l5"
    assert lines["reason"][1] == "driver: missing"
    assert lines["payload"][2] == "{not json"
    assert "malformed feed line" in lines["reason"][2]
    assert "'tracks' in the feed of 'laps'" in lines["reason"][3]
    assert set(lines["_source"]) == {"laps/x.jsonl"}
