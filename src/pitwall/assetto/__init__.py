"""Assetto Corsa: demo recording and the lake side of the telemetry captures."""
