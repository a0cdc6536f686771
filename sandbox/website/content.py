"""Deterministic content of the sandbox website: laps, standings, tracks and live timing.

Everything is derived from a seeded :class:`random.Random`, so the same arguments always
build the same site (tests and benchmarks can rely on exact counts). The generators are
seeded on purpose (made-up data, no security role).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

FIRST_NAMES = (
    "Ayrton",
    "Mika",
    "Kimi",
    "Lewis",
    "Fernando",
    "Sebastian",
    "Charles",
    "Lando",
    "Oscar",
    "Max",
    "Valtteri",
    "Esteban",
    "Pierre",
    "George",
    "Daniel",
    "Nico",
    "Carlos",
    "Sergio",
    "Alex",
    "Yuki",
    "Zhou",
    "Kevin",
    "Logan",
    "Lance",
)
LAST_NAMES = (
    "Rossi",
    "Silva",
    "Berg",
    "Moreau",
    "Kowalski",
    "Tanaka",
    "Novak",
    "Fischer",
    "Jansen",
    "Costa",
    "Laine",
    "Dubois",
    "Schmidt",
    "Okafor",
    "Ruiz",
    "Petrov",
)
COUNTRIES = ("IT", "BR", "FI", "GB", "ES", "DE", "MC", "NL", "FR", "JP", "AU", "PL")
CARS = (
    "Ferrari 488 GT3",
    "Porsche 911 GT3 R",
    "BMW M6 GT3",
    "Mercedes-AMG GT3",
    "Lamborghini Huracan GT3",
    "McLaren 650S GT3",
    "Audi R8 LMS",
)
TEAMS = ("Scuderia Sim", "Apex Racing", "Late Brakers", "Redline", "Slipstream", "Pit Lane Co")
TRACKS = (
    ("Spa-Francorchamps", "BE", 7.004, 19),
    ("Monza", "IT", 5.793, 11),
    ("Silverstone", "GB", 5.891, 18),
    ("Nurburgring GP", "DE", 5.148, 15),
    ("Imola", "IT", 4.909, 19),
    ("Brands Hatch", "GB", 3.908, 9),
    ("Mugello", "IT", 5.245, 15),
    ("Barcelona", "ES", 4.657, 14),
    ("Zandvoort", "NL", 4.259, 14),
    ("Laguna Seca", "US", 3.602, 11),
)
LEADERBOARD_TRACK = TRACKS[0][0]
BROKEN_LAP_INDEX = 4
"""The fifth lap of the leaderboard is published with a missing driver and malformed times."""


@dataclass(frozen=True, slots=True)
class Lap:
    lap_id: str
    position: int
    driver: str
    nationality: str
    car: str
    track: str
    lap_time_ms: int
    sectors_ms: tuple[int, int, int]
    set_on: date
    broken: bool = False


@dataclass(frozen=True, slots=True)
class Standing:
    position: int
    driver: str
    team: str
    points: int
    wins: int


@dataclass(frozen=True, slots=True)
class TimingRow:
    position: int
    car_number: int
    driver: str
    laps: int
    best_lap_ms: int
    gap: str


def driver_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def format_lap_time(ms: int) -> str:
    """``102345`` -> ``"1:42.345"``."""
    minutes, rest = divmod(ms, 60_000)
    return f"{minutes}:{rest // 1000:02d}.{rest % 1000:03d}"


def make_laps(count: int, *, seed: int = 7) -> list[Lap]:
    """``count`` leaderboard laps, fastest first; lap ids are ``L00001``... in that order."""
    rng = random.Random(seed)  # nosec B311
    times = sorted(rng.randint(137_000, 149_000) for _ in range(count))
    laps: list[Lap] = []
    for index, lap_ms in enumerate(times):
        s1 = lap_ms * rng.randint(30, 34) // 100
        s2 = lap_ms * rng.randint(40, 44) // 100
        laps.append(
            Lap(
                lap_id=f"L{index + 1:05d}",
                position=index + 1,
                driver=driver_name(rng),
                nationality=rng.choice(COUNTRIES),
                car=rng.choice(CARS),
                track=LEADERBOARD_TRACK,
                lap_time_ms=lap_ms,
                sectors_ms=(s1, s2, lap_ms - s1 - s2),
                set_on=date(2024, 3, 1) + timedelta(days=rng.randint(0, 240)),
                broken=index == BROKEN_LAP_INDEX,
            )
        )
    return laps


def make_standings(count: int, *, seed: int = 11) -> list[Standing]:
    rng = random.Random(seed)  # nosec B311
    points = sorted((rng.randint(0, 400) for _ in range(count)), reverse=True)
    names: list[str] = []
    while len(names) < count:
        name = driver_name(rng)
        if name not in names:
            names.append(name)
    return [
        Standing(
            position=i + 1,
            driver=names[i],
            team=rng.choice(TEAMS),
            points=p,
            wins=min(p // 60, rng.randint(0, 6)),
        )
        for i, p in enumerate(points)
    ]


def make_timing(count: int, *, seed: int = 13) -> list[TimingRow]:
    rng = random.Random(seed)  # nosec B311
    numbers = rng.sample(range(2, 99), count)
    rows: list[TimingRow] = []
    for i in range(count):
        gap = "" if i == 0 else f"+{rng.uniform(0.2, 4.0) * i:.3f}"
        rows.append(
            TimingRow(
                position=i + 1,
                car_number=numbers[i],
                driver=driver_name(rng),
                laps=24 if i < count - 2 else 23,
                best_lap_ms=rng.randint(138_000, 142_000),
                gap=gap if i < count - 2 else "+1 lap",
            )
        )
    return rows
