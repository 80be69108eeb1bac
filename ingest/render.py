"""Records to COPY text, fast: each contract compiled into one function with cheap checks per field.

The contract's `validate()` decides what is valid. The compiled renderer accepts only what it can check
cheaply (ASCII or already-NFC text, plain ints, the portal's 14-digit timestamps, …) and hands anything else
to `validate()`, whose typed values it then renders. So it is fast on clean records and exactly as strict
as the contract on all others; tests/ingest/test_render.py holds both paths to the same answers."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ingest.contract import INTEGER_RANGES, VN_TZ, Contract, Field

NULL = "\\N"
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# The contract takes the years 1900-2100 (2101-2199 are not timestamps to it).
_STAMP = re.compile(r"(?:19\d\d|20\d\d|2100)(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])[0-5]\d[0-5]\d")


class _Slow(Exception):
    """A fast check failed: let the contract's own validation decide."""


def escape(text: str) -> str:
    return text.translate(_ESCAPES) if _NEEDS_ESCAPE.search(text) else text


@lru_cache(maxsize=100_000)
def _valid_day(yyyymmdd: str) -> bool:
    try:
        date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return True


def copy_text(value: Any) -> str:
    """A value the contract produced, in COPY's text format."""
    if value is None:
        return NULL
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, int | Decimal | date):
        return str(value)
    return escape(str(value))


Rendered = tuple[str, datetime, dict | None]  # (COPY values in column order, cursor value, extra fields)


def _field_source(i: int, f: Field) -> list[str]:
    """Straight-line checks for one field; any doubt raises _Slow. `v` holds the value, `c{i}` the output."""
    lines = [f"v = get({f.name!r})",
             "if v is None or v == '':",
             "    raise _Slow" if f.required else f"    c{i} = NULL",
             "else:"]
    body: list[str]
    if f.type == "text":
        body = ["if type(v) is not str: raise _Slow",
                "s = v.strip()",
                "if '\\x00' in s: raise _Slow",  # in any text: PostgreSQL would abort the COPY on it
                "if not s.isascii():",
                "    if not is_nfc('NFC', s): raise _Slow",
                "    s.encode('utf-8')"]
        if f.max_length is not None:
            body.append(f"if len(s) > {f.max_length}: raise _Slow")
        if f.regex is not None:
            body.append(f"if not regex_{i}(s): raise _Slow")
        if f.allowed is not None:
            body.append(f"if s not in allowed_{i}: raise _Slow")
        body.append(f"c{i} = s.translate(ESCAPES) if needs_escape(s) else s")
    elif f.type in INTEGER_RANGES:
        low, high = INTEGER_RANGES[f.type]
        body = [f"if type(v) is not int or not {low} <= v <= {high}: raise _Slow"]
        if f.allowed is not None:
            body.append(f"if v not in allowed_{i}: raise _Slow")
        if f.minimum is not None:
            body.append(f"if v < {f.minimum!r}: raise _Slow")
        body.append(f"c{i} = str(v)")
    elif f.type == "numeric":
        body = ["if type(v) is not int or not -10**1000 < v < 10**1000: raise _Slow"]
        if f.minimum is not None:
            body.append(f"if v < {f.minimum!r}: raise _Slow")
        body.append(f"c{i} = str(v)")
    elif f.type == "boolean":
        body = [f"if v is True or (type(v) is int and v == 1): c{i} = 't'",
                f"elif v is False or (type(v) is int and v == 0): c{i} = 'f'",
                "else: raise _Slow"]
    elif f.type == "timestamp":
        # PostgreSQL reads the portal's form itself given a 'T' and the offset; impossible days are checked
        # here because PostgreSQL would abort the whole COPY on one.
        body = ["if type(v) is not str or len(v) != 14 or not stamp(v) or (v[6:8] > '28' and not valid_day(v[:8])):",
                "    raise _Slow",
                f"c{i} = v[:8] + 'T' + v[8:] + '+07'"]
    else:  # date, json: rare enough to leave to the contract
        body = ["raise _Slow"]
    return lines + ["    " + line for line in body]


def compile_renderer(contract: Contract) -> Callable[[Any], Rendered]:
    """The contract as one generated function: record → (tab-separated values in column order, cursor, extra)."""
    fields = contract.fields
    known = frozenset(f.name for f in fields)
    cursor_index = [f.name for f in fields].index(contract.cursor)
    cursor_is_stamp = contract.field(contract.cursor).type == "timestamp"
    namespace: dict[str, Any] = {
        "_Slow": _Slow, "NULL": NULL, "ESCAPES": _ESCAPES, "needs_escape": _NEEDS_ESCAPE.search,
        "is_nfc": unicodedata.is_normalized, "stamp": _STAMP.fullmatch, "valid_day": _valid_day,
        "datetime": datetime, "VN_TZ": VN_TZ, "known": known, "field_count": len(fields),
    }
    for i, f in enumerate(fields):
        if f.regex is not None:
            namespace[f"regex_{i}"] = f.regex.fullmatch
        if f.allowed is not None:
            namespace[f"allowed_{i}"] = f.allowed
    source = ["def fast(record):", "    get = record.get"]
    for i, f in enumerate(fields):
        source += ["    " + line for line in _field_source(i, f)]
    cursor = f"record[{contract.cursor!r}]"
    if cursor_is_stamp:
        source += [f"    k = {cursor}",
                   "    cursor = datetime(int(k[:4]), int(k[4:6]), int(k[6:8]), int(k[8:10]), int(k[10:12]),"
                   " int(k[12:]), tzinfo=VN_TZ)"]
    else:
        source += ["    raise _Slow"]
    source += ["    extra = None",
               "    if len(record) != field_count or not known.issuperset(record):",
               "        extra = {k: v for k, v in record.items() if k not in known} or None",
               f"    return '\t'.join(({', '.join(f'c{i}' for i in range(len(fields)))},)), cursor, extra"]
    exec("\n".join(source), namespace)  # generated from the contract's own declarations
    fast = namespace["fast"]

    def slow(record: Any) -> Rendered:
        values, extra = contract.validate(record)  # raises Invalid with every reason
        return "\t".join(copy_text(v) for v in values), values[cursor_index], extra or None

    def render(record: Any) -> Rendered:
        if type(record) is not dict:
            return slow(record)
        try:
            return fast(record)
        except (_Slow, UnicodeEncodeError):
            return slow(record)

    render.source = "\n".join(source)  # type: ignore[attr-defined]  # for debugging and tests
    return render


def extra_text(extra: dict | None) -> str:
    return NULL if not extra else escape(json.dumps(extra, ensure_ascii=False, default=str))
