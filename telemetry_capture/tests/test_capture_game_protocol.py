"""Remote Telemetry decoders against the real samples and their expected decodes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from capture_helpers import expected
from telemetry_capture.game_protocol import (
    RT_CAR_INFO_DTYPE,
    decode_handshake_response,
    decode_handshaker,
    decode_rt_car_info,
    decode_rt_lap,
    encode_handshake_response,
    encode_handshaker,
    encode_rt_car_info,
    encode_rt_lap,
)
from telemetry_capture.wire import ProtocolError, decode_fixed_string

CAMEL = {
    "speed_kmh": "speed_Kmh",
    "speed_mph": "speed_Mph",
    "speed_ms": "speed_Ms",
    "acc_g_vertical": "accG_vertical",
    "acc_g_horizontal": "accG_horizontal",
    "acc_g_frontal": "accG_frontal",
    "engine_rpm": "engineRPM",
    "camber_rad": "camberRAD",
    "dy": "Dy",
    "mz": "Mz",
    "slip_angle_contact_patch": "slipAngle_ContactPatch",
}


def _camel(name: str) -> str:
    if name in CAMEL:
        return CAMEL[name]
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def _assert_same(ours: dict, theirs: dict) -> None:
    for name, value in ours.items():
        key = _camel(name)
        if key not in theirs:
            continue
        want = theirs[key]
        if isinstance(value, list | float):
            assert value == pytest.approx(want, rel=1e-6, abs=1e-30), name
        elif isinstance(value, bool):
            assert int(value) == want, name
        else:
            assert value == want, name


def test_rtcarinfo_samples_match_expected_decodes(samples: Path) -> None:
    for folder, file in (("acgearup_ps4", "rtcarinfo_328.bin"), ("rfactorlcd_2014", "ac-1.log")):
        raw = (samples / folder / file).read_bytes()
        ours = decode_rt_car_info(raw)
        theirs = expected(samples / folder)[file]
        _assert_same(ours, theirs)
        assert ours["identifier"] == "a" and ours["size"] == 328


def test_gear_and_lap_fields_of_the_2014_capture(samples: Path) -> None:
    ours = decode_rt_car_info((samples / "rfactorlcd_2014" / "ac-1.log").read_bytes())
    assert ours["gear"] == 3  # 2nd gear (0 = R, 1 = N)
    assert (ours["lap_count"], ours["last_lap"], ours["best_lap"]) == (2, 185188, 185188)
    assert ours["car_coordinates"] == pytest.approx(
        [-152.8198699951172, 54.39593505859375, -241.08851623535156]
    )


def test_handshake_responses_modern_and_legacy(samples: Path) -> None:
    modern = decode_handshake_response(
        (samples / "acgearup_ps4" / "handshake_response_408.bin").read_bytes()
    )
    want = expected(samples / "acgearup_ps4")["handshake_response_408.bin"]
    assert (modern["car_name"], modern["driver_name"]) == (want["carName"], want["driverName"])
    assert (modern["track_name"], modern["track_config"]) == (
        want["trackName"],
        want["trackConfig"],
    )
    assert (modern["identifier"], modern["version"], modern["layout"]) == (4242, 1, "modern")
    legacy = decode_handshake_response((samples / "rfactorlcd_2014" / "ac-hand.log").read_bytes())
    want = expected(samples / "rfactorlcd_2014")["ac-hand.log"]
    assert legacy == {
        "car_name": want["carName"],
        "driver_name": want["driverName"],
        "identifier": want["identifier"],
        "version": want["version"],
        "track_name": want["trackName"],
        "track_config": want["trackConfig"],
        "layout": "legacy",
    }


@pytest.mark.parametrize(
    "file",
    [
        "rtlap_212_lap0_124603ms.bin",
        "rtlap_212_lap0_70908ms.bin",
        "rtlap_212_lap12_50935ms.bin",
        "rtlap_212_lap7_49258ms.bin",
    ],
)
def test_rtlap_samples_modern(samples: Path, file: str) -> None:
    ours = decode_rt_lap((samples / "acgearup_ps4" / file).read_bytes())
    want = expected(samples / "acgearup_ps4")[file]
    assert ours["car_identifier_number"] == want["carIdentifierNumber"]
    assert (ours["lap"], ours["time"]) == (want["lap"], want["time"])
    assert (ours["driver_name"], ours["car_name"]) == (want["driverName"], want["carName"])


def test_rtlap_legacy_164(samples: Path) -> None:
    ours = decode_rt_lap((samples / "rfactorlcd_2014" / "ac-2.log").read_bytes())
    want = expected(samples / "rfactorlcd_2014")["ac-2.log"]
    assert (ours["lap"], ours["time"], ours["driver_name"], ours["car_name"]) == (
        want["lap"],
        want["time"],
        want["driverName"],
        want["carName"],
    )
    assert ours["layout"] == "legacy"


def test_percent_rule_on_koscielniak_strings(samples: Path) -> None:
    """The PC capture's names keep garbage after '%'; cutting at '%' recovers them."""
    decoded = json.loads(
        (samples / "koscielniak_pc" / "handshaker_response_decoded.json").read_text()
    )
    names = {
        k: decode_fixed_string(v.encode("utf-16-le", "surrogatepass"), wide=True)
        for k, v in decoded.items()
        if isinstance(v, str)
    }
    assert names == {
        "carName": "bmw_m3_e30_gra",
        "driverName": "pankoscielniak",
        "trackName": "ks_monza66",
        "trackConfig": "ks_monza66",
    }


def test_koscielniak_rtcarinfo_round_trips_through_the_layout(samples: Path) -> None:
    """Re-encode the decoded PC packet (209 km/h, 6 = 5th gear) and decode it again."""
    src = json.loads((samples / "koscielniak_pc" / "rtcarinfo_decoded.json").read_text())
    lower = {k.lower(): v for k, v in src.items()}
    values: dict = {}
    for name in RT_CAR_INFO_DTYPE.names:
        key = _camel(name).replace("_", "").lower()
        if name in ("identifier", "size"):
            continue
        if f"{key}1" in lower:
            values[name] = [lower[f"{key}{i}"] for i in range(1, 5)]
        elif name == "car_coordinates":
            values[name] = [lower[f"carcoordinates{axis}"] for axis in "xyz"]
        else:
            values[name] = lower[key]
    ours = decode_rt_car_info(encode_rt_car_info(values))
    assert ours["gear"] == 6 and ours["lap_time"] == 12 and ours["best_lap"] == 77288
    assert ours["speed_kmh"] == pytest.approx(209.45108032226562)
    # wheel angular speed is rad/s: omega * loaded radius ~ car speed in m/s
    assert ours["wheel_angular_speed"][0] * ours["tyre_loaded_radius"][0] == pytest.approx(
        ours["speed_ms"], rel=0.05
    )
    assert math.isclose(ours["car_position_normalized"], 0.0010370276868343353, rel_tol=1e-6)


def test_encoders_round_trip() -> None:
    response = encode_handshake_response(
        car_name="ks_ferrari_488_gt3",
        driver_name="Zoë",
        track_name="ks_vallelunga",
        track_config="ks_vallelunga",
        filler=b"\xff\xfe",
    )
    assert len(response) == 408
    assert decode_handshake_response(response)["driver_name"] == "Zoë"
    lap = encode_rt_lap(car_identifier_number=3, lap=9, driver_name="A", car_name="B", time=61234)
    assert len(lap) == 212
    assert decode_rt_lap(lap) == {
        "car_identifier_number": 3,
        "lap": 9,
        "driver_name": "A",
        "car_name": "B",
        "time": 61234,
        "layout": "modern",
    }
    for op in range(4):
        assert decode_handshaker(encode_handshaker(op))["operation_id"] == op
    packet = encode_rt_car_info(
        {"gear": 4, "car_coordinates": [1.0, 2.0, 3.0], "load": [1, 2, 3, 4]}
    )
    assert len(packet) == 328 and packet[0] == ord("a")
    assert decode_rt_car_info(packet)["load"] == [1.0, 2.0, 3.0, 4.0]


def test_struct_layout_matches_the_reference_format() -> None:
    import struct

    assert struct.calcsize("<c3xi3f6B2x3f4i5fif56f2f3f") == 328 == RT_CAR_INFO_DTYPE.itemsize
    packet = encode_rt_car_info({"speed_kmh": 123.5, "gear": 5, "car_slope": 0.25})
    fields = struct.unpack("<c3xi3f6B2x3f4i5fif56f2f3f", packet)
    assert fields[2] == 123.5 and fields[23] == 5  # c, i, 3f, 6B, 3f, 4i, 5f, then gear
    assert np.frombuffer(packet, RT_CAR_INFO_DTYPE)["car_slope"][0] == 0.25


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"b" + bytes(327), "identifier"),
        (b"a" + bytes(3) + (329).to_bytes(4, "little") + bytes(320), "size field"),
        (bytes(100), "328"),
    ],
)
def test_bad_rtcarinfo_is_rejected_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        decode_rt_car_info(data)
