"""Record contracts: what each source entity must send, checked in Python before anything reaches COPY."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

VN_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
# QCVN 102:2016 (13 chars, V1V2V3.Z1Z2.Y1Y2.MX1X2) or the longer Decision 20/2020 form.
AGENCY_CODE = r"(?:[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}|[A-Z][0-9]{2}(?:\.[0-9A-Z]+){1,10})"
AGENCY_CODE_RE = re.compile(rf"^{AGENCY_CODE}$")

ASCII_INTEGER = re.compile(r"\s*-?[0-9]+\s*")

PG_TYPES = {"text": "text", "smallint": "smallint", "integer": "integer", "bigint": "bigint",
            "numeric": "numeric", "boolean": "boolean", "timestamp": "timestamptz", "date": "date", "json": "jsonb"}


def snake_case(name: str) -> str:
    """MaHoSo → ma_ho_so, MaTTHC → ma_tthc: the raw column that lands a source field as sent."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


class Invalid(ValueError):
    """One field broke the contract; the message is the reason a person reads in the quarantine."""


@dataclass(frozen=True)
class Field:
    name: str  # as the source sends it
    type: str  # a key of PG_TYPES
    required: bool = False
    max_length: int | None = None
    pattern: str | None = None
    allowed: frozenset | None = None
    minimum: float | None = None
    column: str = ""  # raw column; defaults to snake_case(name)
    personal: bool = False  # personal data (Law 91/2025/QH15): never leaves staging unmasked
    regex: re.Pattern | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.type not in PG_TYPES:
            raise ValueError(f"field {self.name}: unknown type {self.type!r}")
        if not self.column:
            object.__setattr__(self, "column", snake_case(self.name))
        object.__setattr__(self, "regex", re.compile(self.pattern) if self.pattern else None)


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid(f"expected text, got {type(value).__name__} {value!r:.60}")
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Invalid(f"invalid Unicode (lone surrogate at position {exc.start})") from None
    if "\x00" in text:
        raise Invalid("contains a NUL character")
    return unicodedata.normalize("NFC", text).strip()


INTEGER_RANGES = {"smallint": (-(2**15), 2**15 - 1), "integer": (-(2**31), 2**31 - 1),
                  "bigint": (-(2**63), 2**63 - 1)}


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise Invalid(f"expected an integer, got boolean {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and ASCII_INTEGER.fullmatch(value):  # not str.isdigit(): '²' is a digit to it
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise Invalid(f"expected an integer, got {type(value).__name__} {value!r:.60}")


def _ranged(kind: str) -> Callable[[Any], int]:
    low, high = INTEGER_RANGES[kind]

    def convert(value: Any) -> int:
        number = _integer(value)
        if not low <= number <= high:
            # Out of the column's range, PostgreSQL would abort the whole COPY.
            raise Invalid(f"{number} is out of range for a {kind} ({low}…{high})")
        return number

    return convert


def _numeric(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise Invalid(f"expected a number, got boolean {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise Invalid(f"expected a number, got {value!r:.60}") from None
    if not number.is_finite():
        raise Invalid(f"expected a finite number, got {value!r:.60}")
    if abs(number.adjusted()) > 1000:  # PostgreSQL's numeric would overflow and abort the COPY
        raise Invalid(f"{value!r:.60} is too large or too small a number")
    return number


def _boolean(value: Any) -> bool:
    if value in (True, 1, "1", "true", "True"):
        return True
    if value in (False, 0, "0", "false", "False"):
        return False
    raise Invalid(f"expected 0/1 or true/false, got {value!r:.60}")


def parse_timestamp(value: Any) -> datetime:
    """yyyyMMddHHmmss in local time (the portal's form) or ISO 8601; naive times are UTC+7."""
    if not isinstance(value, str):
        raise Invalid(f"expected a timestamp string, got {type(value).__name__} {value!r:.60}")
    try:
        if len(value) == 14 and value.isdigit():
            moment = datetime(int(value[0:4]), int(value[4:6]), int(value[6:8]), int(value[8:10]),
                              int(value[10:12]), int(value[12:14]))
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{value!r:.60} is not a timestamp (yyyyMMddHHmmss or ISO 8601)") from None
    if not 1900 <= moment.year <= 2100:
        raise Invalid(f"{value!r:.60} is outside the years 1900-2100")
    return moment.replace(tzinfo=VN_TZ) if moment.tzinfo is None else moment


def _date(value: Any) -> date:
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise Invalid(f"{value!r:.60} is not a date (YYYY-MM-DD)") from None
    return parse_timestamp(value).date()


def _without_value(reason: str) -> str:
    """A reason with the offending value taken out (for personal data): quoted text and numbers become '…'."""
    return re.sub(r"'[^']*'|\"[^\"]*\"|-?\d[\d.]*", "…", reason) + " (personal data: value not shown)"


def _show(value: Any) -> str:
    """A value as a person reads it in a quarantine reason: text quoted, numbers plain, long text cut."""
    return f"{value!r:.60}" if isinstance(value, str) else f"{value}"[:60]


def _json(value: Any) -> str:
    """Nested values (lists of recipients, attachments, …) land as jsonb, text normalised to NFC."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
    except (ValueError, UnicodeEncodeError) as exc:
        raise Invalid(f"not storable as JSON ({exc})") from None
    if "\\u0000" in text:
        raise Invalid("contains a NUL character")
    return unicodedata.normalize("NFC", text)


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "text": _text, "smallint": _ranged("smallint"), "integer": _ranged("integer"), "bigint": _ranged("bigint"),
    "numeric": _numeric,
    "boolean": _boolean, "timestamp": parse_timestamp, "date": _date, "json": _json,
}


@dataclass(frozen=True)
class Contract:
    """One source entity: its fields, business key and incremental cursor."""

    source: str
    entity: str
    key: str
    cursor: str
    fields: tuple[Field, ...]
    description: str = ""
    _by_name: dict[str, Field] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({f.name: f for f in self.fields})
        for name in (self.key, self.cursor):
            if name not in self._by_name:
                raise ValueError(f"{self.source}.{self.entity}: {name} is not a declared field")

    @property
    def table(self) -> str:
        return f"raw.{self.source}__{self.entity}"

    @property
    def columns(self) -> list[str]:
        return [f.column for f in self.fields]

    def field(self, name: str) -> Field:
        return self._by_name[name]

    def cursor_of(self, record: Any) -> Any:
        """The record's cursor value if it can be read at all, else None (for the quarantine's watermark rule)."""
        if isinstance(record, dict) and record.get(self.cursor) not in (None, ""):
            try:
                return CONVERTERS[self.field(self.cursor).type](record[self.cursor])
            except Invalid:
                return None
        return None

    def key_of(self, record: Any) -> str | None:
        """The record's business key as text, if it has one at all (for the quarantine)."""
        if isinstance(record, dict):
            value = record.get(self.key)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return str(value)[:200]
        return None

    def validate(self, record: Any) -> tuple[list[Any], dict[str, Any]]:
        """Return (values in column order, fields the contract does not know); raise Invalid with every reason."""
        if not isinstance(record, dict):
            raise Invalid(f"expected a JSON object, got {type(record).__name__}")
        values: list[Any] = []
        problems: list[str] = []
        for f in self.fields:
            raw = record.get(f.name)
            if raw is None or raw == "":
                if f.required:
                    problems.append(f"{f.name}: required field is missing" if f.name not in record
                                    else f"{f.name}: required field is empty")
                values.append(None)
                continue
            try:
                value = CONVERTERS[f.type](raw)
                if f.type == "text":
                    if f.max_length is not None and len(value) > f.max_length:
                        raise Invalid(f"{len(value)} characters, longer than the {f.max_length} allowed")
                    if f.regex is not None and not f.regex.fullmatch(value):
                        raise Invalid(f"{value!r:.60} does not match the expected format")
                if f.allowed is not None and value not in f.allowed:
                    raise Invalid(f"{_show(value)} is not one of {sorted(f.allowed)}")
                if f.minimum is not None and value < f.minimum:
                    raise Invalid(f"{_show(value)} is below the minimum {f.minimum:g}")
            except Invalid as exc:
                # A reason is read by people and printed by tools: personal data stays in the payload only.
                problems.append(f"{f.name}: {_without_value(str(exc))}" if f.personal else f"{f.name}: {exc}")
                values.append(None)
                continue
            values.append(value)
        if problems:
            raise Invalid("; ".join(problems))
        extra = {k: v for k, v in record.items() if k not in self._by_name}
        return values, extra

    def drift(self, seen_fields: Iterable[str]) -> dict[str, list[str]]:
        """Fields the source sent that the contract lacks, and declared fields it never sent."""
        seen = set(seen_fields)
        return {"added": sorted(seen - set(self._by_name)),
                "missing": sorted(f.name for f in self.fields if f.name not in seen)}
