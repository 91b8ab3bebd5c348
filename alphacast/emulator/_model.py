"""Small value types shared by the emulator's modules: column definitions, HTTP errors,
timestamps and the canonical form of dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

#: Column data types the emulator knows. Value columns default to ``Number``.
DATE, STRING, NUMBER = "Date", "String", "Number"


#: The largest id SQLite can hold (a signed 64-bit integer); a larger one names nothing.
MAX_ID = 2**63 - 1


class HttpError(Exception):
    """Raised by a route to answer with ``status`` and a JSON ``{"message": ...}``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class IngestError(Exception):
    """An upload that cannot be applied; its text becomes the process description."""


@dataclass(frozen=True)
class Column:
    """One column definition of a dataset. ``position`` names the SQLite column."""

    position: int
    source_name: str
    data_type: str
    is_entity: bool
    date_format: str | None = None

    @property
    def internal(self) -> str:
        return f"c{self.position}"

    @property
    def is_date(self) -> bool:
        return self.data_type == DATE

    @property
    def is_key(self) -> bool:
        return self.is_date or self.is_entity

    def as_json(self) -> dict[str, Any]:
        return {
            "sourceName": self.source_name,
            "dataType": self.data_type,
            "dateFormat": self.date_format,
            "isEntity": self.is_key,
        }


def key_columns(columns: list[Column]) -> list[Column]:
    """The unique key: the date column first, then the entity columns in order."""
    dates = [c for c in columns if c.is_date]
    return dates[:1] + [c for c in columns if c.is_entity and not c.is_date]


def value_columns(columns: list[Column]) -> list[Column]:
    return [c for c in columns if not c.is_key]


def now_iso() -> str:
    """The current UTC time as the service writes it (ISO 8601, milliseconds, ``Z``)."""
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


_MIDNIGHT = "T00:00:00"


def parse_date(text: str, date_format: str | None) -> str:
    """``text`` in the canonical, sortable form ``YYYY-MM-DDTHH:MM:SS``.

    ``date_format`` is a ``strftime`` pattern; without one (or when it does not
    match) ISO 8601 is tried. Raises ``ValueError`` when neither reads ``text``.
    """
    text = text.strip()
    if date_format and date_format != "%Y-%m-%d":
        try:
            return dt.datetime.strptime(text, date_format).isoformat(timespec="seconds")
        except ValueError:
            pass
    if len(text) == 10:
        return dt.date.fromisoformat(text).isoformat() + _MIDNIGHT
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=None).isoformat(timespec="seconds")


def render_date(canonical: str) -> str:
    """A stored date as downloads show it: the day alone when the time is midnight."""
    return canonical[:10] if canonical.endswith(_MIDNIGHT) else canonical


class DateParser:
    """``parse_date`` with a bounded cache: panel data repeats each date many times."""

    def __init__(self, date_format: str | None, limit: int = 50_000) -> None:
        self._format = date_format
        self._cache: dict[str, str] = {}
        self._limit = limit

    def __call__(self, text: str) -> str:
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        value = parse_date(text, self._format)
        if len(self._cache) >= self._limit:
            self._cache.clear()
        self._cache[text] = value
        return value


_FREQUENCIES = (
    (1, 1, "Daily"),
    (7, 7, "Weekly"),
    (28, 31, "Monthly"),
    (89, 92, "Quarterly"),
    (181, 184, "Semiannual"),
    (365, 366, "Yearly"),
)


def frequency_of(gaps: dict[int, int]) -> str | None:
    """The frequency name for the most common gap in days between successive dates."""
    if not gaps:
        return None
    common = max(gaps.items(), key=lambda item: (item[1], -item[0]))[0]
    for low, high, name in _FREQUENCIES:
        if low <= common <= high:
            return name
    return "Irregular"
