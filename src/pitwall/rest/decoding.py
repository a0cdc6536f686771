"""Page bodies -> each record's JSON as received, the values the paginator reads, cursor values.

Decoding a page with orjson builds every record as Python objects, only for RAW to serialise
them again. msgspec's ``Raw`` hands back each record's JSON as the bytes received (after
checking the whole body is well-formed JSON) and decodes only the fields asked for: the
paginator's paths and the incremental cursor field. A record path with list indexes, or a
paginator path that runs into the record list, falls back to decoding everything (orjson).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter
from typing import Any

import msgspec
import orjson

from pitwall.rest.errors import MalformedPageError
from pitwall.rest.selector import MISSING, select

# a subtree decoded as Python objects (``msgspec.UNSET`` when the body lacks it)
_ANY = "any"
# the record list: one ``msgspec.Raw`` (or cursor struct) per record
_RECORDS = "records"
_REQUIRED = object()  # a struct field without default
Tree = dict[str, "Tree | str"]


@dataclass(frozen=True)
class DecodedPage:
    """One page body, decoded as far as ingestion needs."""

    records: list[bytes]  # each record's JSON as received (compact re-encoding on the fallback)
    body: Any  # the values at the paginator's paths, where ``select`` finds them
    cursors: list[str | None] | None  # each record's cursor value as text (absent/null: None)


def path_steps(path: str) -> list[str]:
    return [s for s in path.removeprefix("$").split(".") if s]


def cursor_text(value: Any) -> str | None:
    """A cursor value as text (what RAW's ``cursor_value`` and the cursor markers hold)."""
    return None if value is MISSING or value is None or value is msgspec.UNSET else str(value)


class PageDecoder:
    """Decodes the pages of one endpoint.

    Args:
        records: the record selector (dotted path; ``$`` for a body that is the list).
        body_paths: the dotted paths the paginator reads.
        cursor_field: the incremental cursor field of each record (dotted path), if any.
    """

    def __init__(
        self, records: str, *, body_paths: Sequence[str] = (), cursor_field: str | None = None
    ) -> None:
        self._records = records
        self._steps = path_steps(records)
        self._cursor = path_steps(cursor_field) if cursor_field else None
        tree = _tree(self._steps, [path_steps(p) for p in body_paths])
        self._tree = tree
        self._page: msgspec.json.Decoder[Any] | None = None
        self._cursors: msgspec.json.Decoder[Any] | None = None
        if tree is not None:
            self._page = msgspec.json.Decoder(_type(tree, list[msgspec.Raw], "Page"))
            self._attrs = _record_attrs(tree, self._steps)
            if self._cursor is not None:
                item = _struct("Cursor", {self._cursor[0]: (Any, msgspec.UNSET)})
                only = _tree(self._steps, []) or {}
                self._cursors = msgspec.json.Decoder(_type(only, list[item], "Cursors"))

    def decode(self, content: bytes) -> DecodedPage:
        """Raises MalformedPageError when the body is not JSON or has no record list."""
        if self._page is None:
            return self._decode_all(content)
        try:
            content.decode()  # msgspec leaves the text inside raw values unchecked
            page = self._page.decode(content)
        except msgspec.ValidationError:  # well-formed, other shape (a DecodeError subclass)
            raise MalformedPageError(f"no record list at {self._records!r}") from None
        except (msgspec.DecodeError, UnicodeDecodeError):
            raise MalformedPageError("body is not valid JSON") from None
        records = list(map(bytes, _at(page, self._attrs)))
        if not all(map(bytes.startswith, records, repeat(b"{"))):
            raise MalformedPageError(f"records at {self._records!r} are not all objects")
        body = _values(page, self._tree) if self._tree else {}
        cursors = None
        if self._cursors is not None and self._cursor is not None:
            items = _at(self._cursors.decode(content), [_attr(0)] * len(self._steps))
            values: list[Any] = list(map(attrgetter(_attr(0)), items))
            rest = ".".join(self._cursor[1:])
            if rest:
                values = [MISSING if v is msgspec.UNSET else select(v, rest) for v in values]
            # text values (the usual timestamps) are their own text
            text = set(map(type, values)) <= {str}
            cursors = values if text else [cursor_text(v) for v in values]
        return DecodedPage(records, body, cursors)

    def _decode_all(self, content: bytes) -> DecodedPage:
        try:
            body = orjson.loads(content)
        except orjson.JSONDecodeError:
            raise MalformedPageError("body is not valid JSON") from None
        records = select(body, self._records)
        if records is MISSING or not isinstance(records, list):
            raise MalformedPageError(f"no record list at {self._records!r}")
        if not all(map(isinstance, records, repeat(dict))):
            raise MalformedPageError(f"records at {self._records!r} are not all objects")
        cursors = None
        if self._cursor is not None:
            field = ".".join(self._cursor)
            cursors = [cursor_text(select(r, field)) for r in records]
        return DecodedPage([orjson.dumps(r) for r in records], body, cursors)


def _tree(records: list[str], body_paths: list[list[str]]) -> Tree | None:
    """The nested fields to decode, or None when msgspec cannot express them."""
    if any(s.lstrip("-").isdigit() for s in records):
        return None
    root: Tree = {}
    node = root
    for step in records[:-1]:
        child: Tree = {}
        node[step] = child
        node = child
    if records:
        node[records[-1]] = _RECORDS
    for path in body_paths:
        node, depth = root, 0
        while depth < len(path) and isinstance(node.get(path[depth]), dict):
            node = node[path[depth]]  # type: ignore[assignment]
            depth += 1
        if depth == len(path) or node.get(path[depth]) == _RECORDS:
            return None  # the path ends on the record path or runs into the record list
        node[path[depth]] = _ANY  # decode that subtree; ``select`` finds the rest in it
    if not records and root:
        return None  # the body is the record list: there is nothing else to read
    return root


def _attr(index: int) -> str:
    return f"f{index}"


def _struct(name: str, fields: dict[str, tuple[Any, Any]]) -> type:
    """A struct with one field per JSON key (any key text), unknown keys skipped."""
    specs: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for i, (kind, default) in enumerate(fields.values()):
        specs.append((_attr(i), kind) if default is _REQUIRED else (_attr(i), kind, default))
    rename = {_attr(i): key for i, key in enumerate(fields)}
    # untracked by the GC: decoded JSON holds no reference cycles
    return msgspec.defstruct(name, specs, rename=rename, gc=False)


def _type(tree: Tree, records: Any, name: str) -> Any:
    if not tree:
        return records  # "$": the body is the record list
    fields: dict[str, tuple[Any, Any]] = {}
    for i, (key, sub) in enumerate(tree.items()):
        if isinstance(sub, dict):
            fields[key] = (_type(sub, records, f"{name}_{i}"), _REQUIRED)
        elif sub == _RECORDS:
            fields[key] = (records, _REQUIRED)
        else:
            fields[key] = (Any, msgspec.UNSET)
    return _struct(name, fields)


def _record_attrs(tree: Tree, steps: list[str]) -> list[str]:
    """The struct attributes leading to the record list."""
    attrs, node = [], tree
    for step in steps:
        attrs.append(_attr(list(node).index(step)))
        sub = node[step]
        node = sub if isinstance(sub, dict) else {}
    return attrs


def _at(decoded: Any, attrs: list[str]) -> Any:
    """The record list inside a decoded page."""
    for attr in attrs:
        decoded = getattr(decoded, attr)
    return decoded


def _values(decoded: Any, tree: Tree) -> dict[str, Any]:
    """The decoded paginator values as nested dicts (absent ones left out)."""
    out: dict[str, Any] = {}
    for i, (key, sub) in enumerate(tree.items()):
        value = getattr(decoded, _attr(i))
        if isinstance(sub, dict):
            out[key] = _values(value, sub)
        elif sub == _ANY and value is not msgspec.UNSET:
            out[key] = value
    return out
