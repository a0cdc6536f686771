"""Reference entities: what people curate by hand (people and their identities, teams and
memberships, the calendar, circuit sector lines, penalties).

Each entity is a CLEAN Delta table ``clean.ref_<entity>`` keyed by a natural key, with the
bookkeeping columns ``version`` (row version, the ETag), ``deleted`` (tombstone),
``updated_at`` and ``updated_by``. Its Pydantic models are ``<Entity>Create`` (a whole row),
``<Entity>Update`` (the changeable fields, all optional) and ``<Entity>Public`` (a row as served).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

import polars as pl
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

Slug = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$", examples=["lewis"])
]
Text = Annotated[str, Field(min_length=1, max_length=200)]
IdentityKind = Literal["ac_guid", "ingame_name", "partner_driver_id", "scraped_name"]
PenaltyKind = Literal["time", "position", "dsq", "struck_lap"]
KEY_SEPARATOR = ":"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Row(BaseModel):
    version: int = Field(description="row version; the ETag")
    deleted: bool = Field(description="tombstone: the row was deleted")
    updated_at: datetime
    updated_by: str = Field(description="preferred_username (or sub) of the last writer")


# people ----------------------------------------------------------------------------------
class PersonUpdate(_Model):
    name: Text | None = None
    country: Annotated[str, Field(max_length=64)] | None = None


class PersonCreate(_Model):
    person_id: Slug
    name: Text
    country: Annotated[str, Field(max_length=64)] | None = None


class PersonPublic(PersonCreate, _Row):
    """A person (driver)."""


# identities ------------------------------------------------------------------------------
class IdentityUpdate(_Model):
    person_id: Slug | None = None


class IdentityCreate(_Model):
    kind: IdentityKind = Field(description="which source names the driver this way")
    value: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^/]+$")]
    person_id: Slug


class IdentityPublic(IdentityCreate, _Row):
    """One way a source names a person: AC GUID, in-game name, partner id, scraped spelling."""


# teams -----------------------------------------------------------------------------------
class TeamUpdate(_Model):
    name: Text | None = None
    country: Annotated[str, Field(max_length=64)] | None = None


class TeamCreate(_Model):
    team_id: Slug
    name: Text
    country: Annotated[str, Field(max_length=64)] | None = None


class TeamPublic(TeamCreate, _Row):
    """A team."""


# memberships -----------------------------------------------------------------------------
class MembershipUpdate(_Model):
    valid_to: date | None = None


class MembershipCreate(_Model):
    team_id: Slug
    person_id: Slug
    valid_from: date
    valid_to: date | None = Field(None, description="last day in the team; open when null")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class MembershipPublic(MembershipCreate, _Row):
    """A person in a team from ``valid_from`` to ``valid_to`` (inclusive)."""


# events ----------------------------------------------------------------------------------
class EventUpdate(_Model):
    name: Text | None = None
    track: Text | None = None
    layout: Annotated[str, Field(max_length=100)] | None = None
    car_class: Annotated[str, Field(max_length=100)] | None = None
    qualifying_at: AwareDatetime | None = None
    race_at: AwareDatetime | None = None


class EventCreate(_Model):
    event_id: Slug
    season: Slug
    round: Annotated[int, Field(ge=1, le=1000)]
    name: Text
    track: Text
    layout: Annotated[str, Field(max_length=100)] = ""
    car_class: Annotated[str, Field(max_length=100)] | None = None
    qualifying_at: AwareDatetime | None = None
    race_at: AwareDatetime | None = None


class EventPublic(EventCreate, _Row):
    """A round of a league's calendar."""


# circuit sectors -------------------------------------------------------------------------
class CircuitSectorsUpdate(_Model):
    lines_m: list[Annotated[float, Field(gt=0, lt=100_000)]] | None = Field(None, max_length=50)
    length_m: Annotated[float, Field(gt=0, lt=100_000)] | None = None

    @model_validator(mode="after")
    def _increasing(self) -> Self:
        lines = self.lines_m or []
        if any(b <= a for a, b in itertools.pairwise(lines)):
            raise ValueError("sector lines must be strictly increasing distances")
        if lines and self.length_m is not None and lines[-1] >= self.length_m:
            raise ValueError("sector lines must lie within the lap (below length_m)")
        return self


class CircuitSectorsCreate(CircuitSectorsUpdate):
    track: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^/:]+$")]
    layout: Annotated[str, Field(max_length=100, pattern=r"^[^/:]*$")] = ""
    lines_m: list[Annotated[float, Field(gt=0, lt=100_000)]] = Field(
        min_length=1,
        max_length=50,
        description="sector lines as distances (m) from the start line; the finish ends the last",
    )
    length_m: Annotated[float, Field(gt=0, lt=100_000)] = Field(
        description="the lap's length (m), to place the lines on the lap"
    )


class CircuitSectorsPublic(CircuitSectorsCreate, _Row):
    """Where the sectors of one circuit layout start, as distances along the lap."""


# penalties -------------------------------------------------------------------------------
class PenaltyUpdate(_Model):
    seconds: Annotated[float, Field(gt=0, le=3600)] | None = None
    positions: Annotated[int, Field(ge=1, le=100)] | None = None
    lap_number: Annotated[int, Field(ge=0, le=10_000)] | None = None
    reason: Text | None = None


class PenaltyCreate(_Model):
    penalty_id: Slug
    session_id: Text
    driver: Text = Field(description="the penalised driver: a person_id or a driver key")
    kind: PenaltyKind
    seconds: Annotated[float, Field(gt=0, le=3600)] | None = Field(None, description="time")
    positions: Annotated[int, Field(ge=1, le=100)] | None = Field(None, description="position")
    lap_number: Annotated[int, Field(ge=0, le=10_000)] | None = Field(
        None, description="struck_lap"
    )
    reason: Text

    @model_validator(mode="after")
    def _complete(self) -> Self:
        needs = {"time": "seconds", "position": "positions", "struck_lap": "lap_number"}
        wanted = needs.get(self.kind)
        if wanted is not None and getattr(self, wanted) is None:
            raise ValueError(f"a {self.kind} penalty needs {wanted}")
        return self


class PenaltyPublic(PenaltyCreate, _Row):
    """A correction of a result: time/position penalty, disqualification or struck lap."""


@dataclass(frozen=True)
class RefEntity:
    """One reference entity: its table, natural key, models and Delta schema."""

    name: str
    keys: tuple[str, ...]
    create: type[BaseModel]
    update: type[BaseModel]
    public: type[BaseModel]
    schema: dict[str, pl.DataType]

    @property
    def table(self) -> str:
        return f"ref_{self.name}"

    def parse_key(self, text: str) -> dict[str, Any]:
        """The key columns of a path key (``a:b`` for a two-column key).

        Raises:
            ValueError: wrong number of parts or a part of the wrong type.
        """
        parts = text.split(KEY_SEPARATOR, len(self.keys) - 1)
        if len(parts) != len(self.keys):
            raise ValueError(f"a {self.name} key has {len(self.keys)} parts: {self.key_hint}")
        fields = self.create.model_fields
        try:
            return {
                k: TypeAdapter(fields[k].annotation).validate_python(p)  # type: ignore[arg-type]
                for k, p in zip(self.keys, parts, strict=True)
            }
        except ValidationError as exc:
            raise ValueError(f"bad {self.name} key {text!r}: {exc.errors()[0]['msg']}") from exc

    def key_text(self, row: dict[str, Any]) -> str:
        return KEY_SEPARATOR.join(str(row[k]) for k in self.keys)

    @property
    def key_hint(self) -> str:
        return KEY_SEPARATOR.join(self.keys)

    @property
    def columns(self) -> list[str]:
        return list(self.schema)


_BOOK: dict[str, pl.DataType] = {
    "version": pl.Int64(),
    "deleted": pl.Boolean(),
    "updated_at": pl.Datetime("us", "UTC"),
    "updated_by": pl.String(),
}
_S, _TS = pl.String(), pl.Datetime("us", "UTC")

ENTITIES: dict[str, RefEntity] = {
    e.name: e
    for e in (
        RefEntity(
            "people",
            ("person_id",),
            PersonCreate,
            PersonUpdate,
            PersonPublic,
            {"person_id": _S, "name": _S, "country": _S, **_BOOK},
        ),
        RefEntity(
            "identities",
            ("kind", "value"),
            IdentityCreate,
            IdentityUpdate,
            IdentityPublic,
            {"kind": _S, "value": _S, "person_id": _S, **_BOOK},
        ),
        RefEntity(
            "teams",
            ("team_id",),
            TeamCreate,
            TeamUpdate,
            TeamPublic,
            {"team_id": _S, "name": _S, "country": _S, **_BOOK},
        ),
        RefEntity(
            "memberships",
            ("team_id", "person_id", "valid_from"),
            MembershipCreate,
            MembershipUpdate,
            MembershipPublic,
            {
                "team_id": _S,
                "person_id": _S,
                "valid_from": pl.Date(),
                "valid_to": pl.Date(),
                **_BOOK,
            },
        ),
        RefEntity(
            "events",
            ("event_id",),
            EventCreate,
            EventUpdate,
            EventPublic,
            {
                "event_id": _S,
                "season": _S,
                "round": pl.Int64(),
                "name": _S,
                "track": _S,
                "layout": _S,
                "car_class": _S,
                "qualifying_at": _TS,
                "race_at": _TS,
                **_BOOK,
            },
        ),
        RefEntity(
            "circuit_sectors",
            ("track", "layout"),
            CircuitSectorsCreate,
            CircuitSectorsUpdate,
            CircuitSectorsPublic,
            {
                "track": _S,
                "layout": _S,
                "lines_m": pl.List(pl.Float64()),
                "length_m": pl.Float64(),
                **_BOOK,
            },
        ),
        RefEntity(
            "penalties",
            ("penalty_id",),
            PenaltyCreate,
            PenaltyUpdate,
            PenaltyPublic,
            {
                "penalty_id": _S,
                "session_id": _S,
                "driver": _S,
                "kind": _S,
                "seconds": pl.Float64(),
                "positions": pl.Int64(),
                "lap_number": pl.Int64(),
                "reason": _S,
                **_BOOK,
            },
        ),
    )
}
EntityName = Literal[
    "people", "identities", "teams", "memberships", "events", "circuit_sectors", "penalties"
]
