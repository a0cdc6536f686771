"""Reference data under ``/ref/{entity}``: list, get, create, patch, delete, history, CSV.

Reads need ``reader``, writes ``editor`` (``admin`` holds both). ``ETag`` is the row version;
``If-Match`` is required on PATCH and DELETE (428 without it, 412 when stale). Deletes leave a
tombstone. Every write is one Delta MERGE with its version check inside, then an audit row in
``raw.ref_changes`` (see :mod:`pitwall.refdata`).

The routes are made per entity (typed bodies and responses in the OpenAPI document), which is
why this module does not postpone annotations: FastAPI must see the entity's models.
"""

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Body, Header, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field, ValidationError

from api.auth import Principal
from api.deps import Editor, Reader, ReadersDep
from api.paging import (
    DEFAULT_LIMIT,
    CursorParam,
    FilterParam,
    LimitParam,
    SortParam,
    read_page,
)
from api.problems import AUTH_PROBLEMS, problem_response, problem_responses
from pitwall.lake.layout import Lake
from pitwall.refdata import (
    ENTITIES,
    Actor,
    RefCsvError,
    RefEntity,
    RefError,
    RefWrite,
    connect_ref,
    import_ref,
    read_ref_csv,
    read_ref_history,
    read_ref_row,
    validate_create,
    validate_update,
    write_ref,
    write_ref_csv,
)
from pitwall.refdata.store import WriteOp

router = APIRouter(prefix="/ref", tags=["reference data"], responses=AUTH_PROBLEMS)
T = TypeVar("T")
KeyText = Annotated[
    str,
    Path(
        min_length=1,
        max_length=300,
        description="the natural key; parts of a composite key joined by `:`",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(max_length=200, description="the ETag (row version) the change is based on"),
]
CSV_MEDIA_TYPE = "text/csv"
CsvBody = Annotated[
    bytes,
    Body(media_type=CSV_MEDIA_TYPE, description="the create model's columns; lists as JSON arrays"),
]


class RefPagePublic(BaseModel, Generic[T]):
    """A page of reference rows; pass ``next_cursor`` as ``?cursor=`` for the next."""

    items: list[T]
    next_cursor: str | None = Field(description="null on the last page")


class RefChangePublic(BaseModel):
    """One audited change of a reference row."""

    change_id: str
    entity: str
    key: str
    op: str = Field(description="create, update or delete")
    version: int = Field(description="the row version the change produced")
    delta_version: int | None = Field(
        description="Delta version of clean.ref_<entity> holding it (null: recovered)"
    )
    changed_at: datetime = Field(description="when (UTC)")
    sub: str | None = Field(description="the token's subject (null: recovered)")
    username: str | None = Field(description="the token's preferred_username")
    before: dict[str, Any] | None = Field(description="null: created, or recovered")
    after: dict[str, Any]


class RefImportPublic(BaseModel):
    """The outcome of a CSV import: rows created and updated (unchanged rows are skipped)."""

    created: int
    updated: int
    unchanged: int


def _lake(readers: ReadersDep) -> Lake:
    return readers.lake.lake


def _actor(principal: Principal) -> Actor:
    return Actor(principal.subject, principal.username)


def _etag(row: dict[str, Any]) -> str:
    return f'"{row["version"]}"'


def _row_response(
    entity: RefEntity, row: dict[str, Any], *, status: int = 200, location: str | None = None
) -> Response:
    body = entity.public.model_validate(row).model_dump_json().encode()
    headers = {"ETag": _etag(row)}
    if location:
        headers["Location"] = location
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _key(entity: RefEntity, text: str) -> dict[str, Any]:
    try:
        return entity.parse_key(text)
    except ValueError as exc:
        raise HTTPException(404, str(exc)) from exc


def _live(entity: RefEntity, key: dict[str, Any], *, lake: Lake) -> dict[str, Any]:
    row = read_ref_row(entity, key, lake=lake)
    if row is None or row["deleted"]:
        raise HTTPException(404, f"{entity.name} {entity.key_text(key)} does not exist")
    return row


def _if_version(header: str | None, *, current: int) -> int:
    """The version named by ``If-Match`` (``*``: the current one); -1 when it names none."""
    if header is None:
        raise HTTPException(428, "If-Match with the row's ETag is required")
    tag = header.strip()
    if tag == "*":
        return current
    tag = tag.removeprefix("W/").strip('"')
    return int(tag) if tag.isdigit() and len(tag) < 19 else -1


def _invalid(exc: ValidationError, request: Request) -> Response:
    errors = [
        {"loc": ["body", *e["loc"]], "msg": str(e["msg"]), "type": e["type"]} for e in exc.errors()
    ]
    return problem_response(422, "the row is not valid", instance=request.url.path, errors=errors)


def _write(
    entity: RefEntity,
    key: dict[str, Any],
    *,
    op: WriteOp,
    values: dict[str, Any],
    principal: Principal,
    lake: Lake,
    version: int | None = None,
) -> RefWrite:
    """:func:`pitwall.refdata.write_ref` as the caller; a refused write is its HTTP error."""
    try:
        return write_ref(
            entity,
            key,
            op=op,
            values=values,
            actor=_actor(principal),
            lake=lake,
            if_version=version,
        )
    except RefError as exc:
        raise HTTPException(exc.status, str(exc)) from exc


def _add_routes(entity: RefEntity) -> None:
    """The operations of one entity, typed with its models."""
    name, public, create, update = entity.name, entity.public, entity.create, entity.update
    base = f"/{name}"
    item = f"/{name}/{{key}}"

    @router.get(
        base,
        response_model=RefPagePublic[public],  # type: ignore[valid-type]
        summary=f"List {name}",
        name=f"list_{name}",
    )
    def list_rows(
        _: Reader,
        readers: ReadersDep,
        filter: FilterParam = [],  # noqa: B006 - FastAPI copies query defaults
        sort: SortParam = None,
        limit: LimitParam = DEFAULT_LIMIT,
        cursor: CursorParam = None,
        include_deleted: Annotated[bool, Query(description="tombstones too")] = False,
    ) -> Any:
        """Rows ordered by key (or `sort`, paged by keyset), filtered like `/tables/.../rows`."""
        con = connect_ref(entity, lake=_lake(readers), include_deleted=include_deleted)
        try:
            page = read_page(
                con,
                layer="clean",
                table=entity.table,
                filters=filter,
                sort=sort or ",".join(entity.keys),
                limit=limit,
                cursor=cursor,
            )
        finally:
            con.close()
        return {"items": page.rows.to_dicts(), "next_cursor": page.next_cursor}

    @router.get(
        f"{base}.csv",
        response_class=Response,
        responses={200: {"content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}}}},
        summary=f"Export {name} as CSV",
        name=f"export_{name}",
    )
    def export_csv(_: Reader, readers: ReadersDep) -> Response:
        """Every live row: the columns of the create model, then `version`."""
        return Response(write_ref_csv(entity, lake=_lake(readers)), media_type=CSV_MEDIA_TYPE)

    @router.post(
        f"{base}.csv",
        response_model=RefImportPublic,
        responses=problem_responses(413, 422),
        summary=f"Import {name} from CSV",
        name=f"import_{name}",
    )
    def import_csv(principal: Editor, readers: ReadersDep, request: Request, body: CsvBody) -> Any:
        """Create or update every row of the file in one commit, or nothing if any row is
        invalid (422 lists each problem with its line)."""
        try:
            rows = read_ref_csv(entity, body)
        except RefCsvError as exc:
            return problem_response(422, str(exc), instance=request.url.path, errors=exc.errors)
        writes = import_ref(entity, rows, actor=_actor(principal), lake=_lake(readers))
        created = sum(1 for w in writes if w.before is None or w.before["deleted"])
        return RefImportPublic(
            created=created, updated=len(writes) - created, unchanged=len(rows) - len(writes)
        )

    @router.get(
        item,
        response_model=public,
        responses=problem_responses(404),
        summary=f"Get one of {name}",
        name=f"get_{name}",
    )
    def get_row(_: Reader, readers: ReadersDep, key: KeyText) -> Response:
        """The live row with this key; its `ETag` is the row version."""
        return _row_response(entity, _live(entity, _key(entity, key), lake=_lake(readers)))

    @router.post(
        base,
        response_model=public,
        status_code=201,
        responses=problem_responses(400, 409),
        summary=f"Create one of {name}",
        name=f"create_{name}",
    )
    def create_row(
        principal: Editor,
        readers: ReadersDep,
        request: Request,
        body: create,  # type: ignore[valid-type]
    ) -> Response:
        """201 with `ETag` and `Location`; 409 when a live row has this key."""
        try:
            values = validate_create(entity, body.model_dump())  # type: ignore[attr-defined]
        except ValidationError as exc:
            return _invalid(exc, request)
        key = {k: values[k] for k in entity.keys}
        lake = _lake(readers)
        written = _write(entity, key, op="create", values=values, principal=principal, lake=lake)
        location = f"{request.url.path}/{quote(entity.key_text(key), safe=':')}"
        return _row_response(entity, written.row, status=201, location=location)

    @router.patch(
        item,
        response_model=public,
        responses=problem_responses(400, 404, 412, 428),
        summary=f"Change one of {name}",
        name=f"update_{name}",
    )
    def update_row(
        principal: Editor,
        readers: ReadersDep,
        request: Request,
        key: KeyText,
        body: update,  # type: ignore[valid-type]
        if_match: IfMatch = None,
    ) -> Response:
        """Set the given fields; `If-Match` must carry the row's current ETag."""
        lake = _lake(readers)
        parsed = _key(entity, key)
        before = _live(entity, parsed, lake=lake)
        version = _if_version(if_match, current=before["version"])
        try:
            values = validate_update(
                entity,
                before,
                body.model_dump(exclude_unset=True),  # type: ignore[attr-defined]
            )
        except ValidationError as exc:
            return _invalid(exc, request)
        written = _write(
            entity,
            parsed,
            op="update",
            values=values,
            principal=principal,
            lake=lake,
            version=version,
        )
        return _row_response(entity, written.row)

    @router.delete(
        item,
        status_code=204,
        response_class=Response,
        responses=problem_responses(404, 412, 428),
        summary=f"Delete one of {name}",
        name=f"delete_{name}",
    )
    def delete_row(
        principal: Editor, readers: ReadersDep, key: KeyText, if_match: IfMatch = None
    ) -> Response:
        """A soft delete: the row becomes a tombstone (history stays; the key may be reused)."""
        lake = _lake(readers)
        parsed = _key(entity, key)
        before = _live(entity, parsed, lake=lake)
        version = _if_version(if_match, current=before["version"])
        _write(
            entity, parsed, op="delete", values={}, principal=principal, lake=lake, version=version
        )
        return Response(status_code=204)

    @router.get(
        f"{item}/history",
        response_model=list[RefChangePublic],
        responses=problem_responses(404),
        summary=f"History of one of {name}",
        name=f"history_{name}",
    )
    def history(_: Reader, readers: ReadersDep, key: KeyText) -> Any:
        """Every change of the row, oldest first: who, when, before and after."""
        parsed = _key(entity, key)
        changes = read_ref_history(name, entity.key_text(parsed), lake=_lake(readers))
        if changes.is_empty():
            raise HTTPException(404, f"{name} {entity.key_text(parsed)} has no history")
        return [
            r | {"before": _loads(r["before"]), "after": _loads(r["after"])}
            for r in changes.iter_rows(named=True)
        ]


def _loads(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


for _entity in ENTITIES.values():
    _add_routes(_entity)
