"""Timestamps as stored: ISO 8601 UTC text, sortable as strings."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    """Now in UTC as ISO text, the one format every timestamp column uses."""
    return datetime.now(UTC).isoformat(timespec="seconds")
