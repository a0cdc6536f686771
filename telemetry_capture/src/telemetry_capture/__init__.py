"""Assetto Corsa UDP capture daemon."""
