"""Test controls: fault switches, partner-side updates, ground truth and counters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from sandbox.partner_api.data import Resource
from sandbox.partner_api.deps import State
from sandbox.partner_api.faults import Faults

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/faults")
def read_faults(state: State) -> Faults:
    return state.faults.faults


@router.put("/faults")
def set_faults(state: State, faults: Faults) -> Faults:
    state.faults.configure(faults)
    return faults


@router.post("/touch/{resource}")
def touch(state: State, resource: Resource, count: int = 10) -> dict[str, list[str]]:
    return {"updated": state.data.touch(resource, count=count)}


@router.get("/records/{resource}")
def all_records(state: State, resource: Resource) -> list[dict[str, Any]]:
    return state.data.all_records(resource)


@router.get("/stats")
def stats(state: State) -> dict[str, Any]:
    return {
        **state.stats.snapshot(),
        "tokens_issued": state.tokens.issued,
        "faults_injected": dict(state.faults.injected),
    }
