"""Clean pages, fast: a page of JSON records parsed by Arrow against the contract's types, checked with
vectorised compute, and encoded as PostgreSQL's binary COPY format — no Python work per record.

Only what Arrow can check exactly takes this path. A page Arrow cannot parse against the contract (a wrong
type, broken Unicode, a field added or missing) returns None and goes through the per-record path; a row that
fails any check, or merely looks unusual (a character that might not be NFC, a control character, whitespace
at either end), is handed back by index for the same. Either way the contract's own validation has the last
word: tests/ingest/test_fast_paths.py holds the paths to identical results, record by record and load by load.

Binary COPY, not text or CSV: PostgreSQL reads it ~20-35% faster (no parsing of timestamps and integers), and
building it here is cheaper too — a timestamp is a number computed from Arrow's parse, not a string to render.
Each row is built by one Arrow kernel (`binary_join_element_wise`) over per-field byte columns, so the page's
COPY stream is that kernel's output buffer."""

from __future__ import annotations

import io
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pjson

from ingest.contract import INTEGER_RANGES, VN_TZ, Contract

ARROW_TYPES = {"text": pa.string(), "smallint": pa.int64(), "integer": pa.int64(), "bigint": pa.int64(),
               "numeric": pa.int64(), "boolean": pa.int64(), "timestamp": pa.string()}
# The contract takes timestamps in the years 1900-2100; 14 digits compare as text as they do as numbers.
STAMP_RANGE = ("19000101000000", "21001231235959")
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" * 2
COPY_TRAILER = b"\xff\xff"
NULL_FIELD = b"\xff\xff\xff\xff"
# Microseconds between 1970-01-01 (Arrow) and 2000-01-01 (PostgreSQL), and the portal's UTC+7.
PG_EPOCH_SECONDS = 946_684_800
VN_OFFSET_SECONDS = 7 * 3600
BINARY_WIDTHS = {"smallint": ">i2", "integer": ">i4", "bigint": ">i8", "timestamp": ">i8"}


def suspicious_code_points() -> frozenset[int]:
    """Every code point that could make the contract change or refuse a text: control characters, any
    whitespace Python's `str.strip()` knows but the plain space, and every character that can make a string
    non-NFC (its NFC quick check is not Yes, it has a combining class, or it can compose with what precedes it).
    A text with none of them and no space at either end is NFC and stripped already: the contract keeps it as
    it is. Derived from Python's own Unicode tables, which the contract uses (~0.3 s: ingest/unicode_tables.py
    keeps the answer for this Python's Unicode version)."""
    suspicious: set[int] = set(range(0x00, 0x20)) | {0x7F}
    for code in range(0x80, sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue  # cannot occur in Arrow's (valid UTF-8) strings
        char = chr(code)
        if char.isspace() or unicodedata.combining(char) or not unicodedata.is_normalized("NFC", char):
            suspicious.add(code)
        decomposition = unicodedata.decomposition(char).split()
        if decomposition and not decomposition[0].startswith("<"):  # canonical: its parts may recompose
            suspicious.update(int(part, 16) for part in decomposition[1:])
    suspicious.update(range(0x1161, 0x1176))  # Hangul vowel and trailing jamo compose algorithmically
    suspicious.update(range(0x11A8, 0x11C3))
    return frozenset(suspicious)


@lru_cache(maxsize=1)
def _suspicious() -> frozenset[int]:
    from ingest import unicode_tables

    if unicodedata.unidata_version != unicode_tables.UNIDATA_VERSION:
        return suspicious_code_points()
    codes = set(range(0x00, 0x20)) | {0x7F}
    for low, high in unicode_tables.RANGES:
        codes.update(range(low, high + 1))
    return frozenset(codes)


def _char_class(codes: set[int] | frozenset[int]) -> str:
    ranges, ordered = [], sorted(codes)
    start = previous = ordered[0]
    for code in [*ordered[1:], -1]:
        if code != previous + 1:
            ranges.append(f"\\x{{{start:x}}}" if start == previous else f"\\x{{{start:x}}}-\\x{{{previous:x}}}")
            start = code
        previous = code
    return f"[{''.join(ranges)}]"


@lru_cache(maxsize=1)
def unusual_text() -> str:
    """RE2: a text value the contract might change or refuse (see _suspicious), or with a space at either end."""
    return f"{_char_class(_suspicious())}|^ | $"


@lru_cache(maxsize=1)
def unusual_char() -> str:
    """RE2: any suspicious character (see _suspicious)."""
    return _char_class(_suspicious())


def _plain(column: pa.Array, pattern: str) -> bool:
    """Whether no value of a text column holds a suspicious character: one scan of the column's bytes, its
    values end to end, instead of one per value."""
    n = len(column)
    if column.buffers()[2] is None:
        return True
    offsets = np.frombuffer(column.buffers()[1], np.int32, count=n + 1, offset=column.offset * 4)
    start, end = int(offsets[0]), int(offsets[-1])
    whole = pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(np.array([0, end - start], np.int32)),
                                                   column.buffers()[2][start:end]])
    return not pc.match_substring_regex(whole, pattern)[0].as_py()


@dataclass
class ColumnarPage:
    copy: bytes  # accepted rows as one binary COPY stream: the contract's columns, _extra (null), then `last`
    accepted: int
    max_cursor: datetime | None
    leftovers: list[int]  # positions of records the per-record path must decide
    seqs: np.ndarray  # each accepted row's seq (its position in the load)
    row_ends: np.ndarray  # where each row ends in `copy`: its last field is the 8 bytes before
    last: int | None = None  # what the last column holds, if not the seqs

    def with_seqs(self) -> bytes:
        """The same stream with each row's seq as its last column (for the batch table)."""
        if self.last is None:
            return self.copy
        stream = np.frombuffer(self.copy, np.uint8).copy()
        positions = (self.row_ends[:, None] - 8 + np.arange(8)).ravel()
        stream[positions] = self.seqs.astype(">i8").view(np.uint8)
        return stream.tobytes()


def supports(contract: Contract) -> bool:
    return all(f.type in ARROW_TYPES for f in contract.fields) and contract.field(contract.cursor).type == "timestamp"


def _bytes_column(block: np.ndarray, valid: np.ndarray | None) -> pa.Array:
    """A binary column from fixed-width rows of bytes (n × w: a 4-byte length, then the value); a row that is
    not valid keeps only a length of -1 (NULL)."""
    n, width = block.shape
    if valid is None or valid.all():
        data = block.reshape(-1)
        offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    else:
        block[~valid, :4] = 0xFF
        keep = np.ones(block.shape, dtype=bool)
        keep[~valid, 4:] = False
        data = block[keep]
        offsets = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.where(valid, width, 4), out=offsets[1:])
    return pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _fixed(values: np.ndarray, dtype: str, valid: np.ndarray | None) -> pa.Array:
    n = len(values)
    width = np.dtype(dtype).itemsize
    block = np.empty((n, 4 + width), dtype=np.uint8)
    block[:, :4] = np.frombuffer(width.to_bytes(4, "big"), np.uint8)
    block[:, 4:] = values.astype(dtype).view(np.uint8).reshape(n, width)
    return _bytes_column(block, valid)


def _numeric(values: np.ndarray, valid: np.ndarray | None) -> pa.Array:
    """PostgreSQL's binary numeric for integers: 5 base-10000 digits (enough for any int64 but its minimum),
    weight 4, scale 0. PostgreSQL strips the leading and trailing zero digits itself."""
    n = len(values)
    negative = values < 0
    magnitude = np.abs(values).astype(np.uint64)
    block = np.empty((n, 4 + 8 + 10), dtype=np.uint8)
    block[:, :4] = np.frombuffer((18).to_bytes(4, "big"), np.uint8)
    block[:, 4:12] = np.frombuffer(np.array([5, 4, 0, 0], dtype=">u2").tobytes(), np.uint8)
    block[negative, 8:10] = np.frombuffer(np.array([0x4000], dtype=">u2").tobytes(), np.uint8)
    digits = np.empty((n, 5), dtype=">u2")
    for i in range(4, -1, -1):
        digits[:, i] = magnitude % 10000
        magnitude //= 10000
    block[:, 12:] = digits.view(np.uint8).reshape(n, 10)
    return _bytes_column(block, valid)


def _text(column: pa.Array, present: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """(4-byte lengths, the UTF-8 bytes) for a text column; absent values are NULL."""
    n = len(column)
    lengths = pc.binary_length(column).to_numpy(zero_copy_only=False)
    lengths = np.where(present, np.nan_to_num(lengths, nan=0), -1).astype(">i4")
    heads = pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(np.arange(0, 4 * (n + 1), 4, dtype=np.int32)),
                                                   pa.py_buffer(lengths.view(np.uint8))])
    values = pc.fill_null(pc.if_else(pa.array(present), column, pa.scalar(None, pa.string())), "")
    return heads, values.cast(pa.binary())


def _same_day(stamps: pa.Array, parsed: pa.Array) -> pa.Array:
    """Whether the day of the month written in each 14-digit stamp is the parsed one: Arrow's strptime rolls an
    impossible day over (2024-02-30 becomes 2024-03-01), which the contract refuses."""
    n = len(stamps)
    offsets = np.frombuffer(stamps.buffers()[1], np.int32, count=n + 1, offset=stamps.offset * 4)[:-1]
    data = stamps.buffers()[2]
    if data is None or not len(data):
        return pa.array(np.zeros(n, dtype=bool))
    digits = np.frombuffer(data, np.uint8)
    tens = digits[np.minimum(offsets + 6, len(digits) - 1)].astype(np.int64) - 48
    ones = digits[np.minimum(offsets + 7, len(digits) - 1)].astype(np.int64) - 48
    day = pc.fill_null(pc.day(parsed), -1).to_numpy(zero_copy_only=False)
    return pa.array(tens * 10 + ones == day)  # meaningful where the stamp is 14 digits; the other checks do the rest


def compile_columnar(contract: Contract) -> Callable[..., ColumnarPage | None] | None:
    """A page reader for the contract, or None if the contract has types this path does not handle. The reader
    takes the page and the seq of its first record; the last column of each row is that row's seq, or `last`
    (a load id) when given."""
    if not supports(contract):
        return None
    schema = pa.schema([(f.name, ARROW_TYPES[f.type]) for f in contract.fields])
    parse_options = pjson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
    read_options = pjson.ReadOptions(use_threads=False, block_size=1 << 24)
    unusual, unusual_anywhere = unusual_text(), unusual_char()
    field_count = np.frombuffer((len(contract.fields) + 2).to_bytes(2, "big"), np.uint8)
    patterns = {f.name: f"^(?:{f.pattern})$" for f in contract.fields if f.pattern}
    allowed = {f.name: pa.array(sorted(f.allowed), pa.string() if f.type == "text" else pa.int64())
               for f in contract.fields if f.allowed is not None}

    def read(page: list[Any], first_seq: int, last: int | None = None) -> ColumnarPage | None:
        n = len(page)
        if not n:
            return None
        try:
            body = b"\n".join(page)  # msgspec.Raw and bytes both lend their buffer: no copy per record
        except TypeError:
            return None  # records already decoded (dicts from a file or a database): the per-record path
        try:
            table = pjson.read_json(io.BytesIO(body), read_options=read_options, parse_options=parse_options)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        if table.num_rows != n or table.num_columns != len(contract.fields):
            return None  # a field the contract does not know: drift goes the per-record way
        ok = np.ones(n, dtype=bool)
        parts: list[pa.Array] = [pa.Array.from_buffers(
            pa.binary(), n, [None, pa.py_buffer(np.arange(0, 2 * (n + 1), 2, dtype=np.int32)),
                             pa.py_buffer(np.tile(field_count, n))])]
        cursor_seconds = None
        for f in contract.fields:
            column = table[f.name].combine_chunks()
            if column.null_count == n:
                # Absent from every record, or null in all: only the per-record path can tell a field the source
                # dropped (drift) from one that is empty.
                return None
            if f.type == "text":
                present = pc.and_(pc.is_valid(column), pc.not_equal(column, ""))
                # One scan of the column's bytes usually clears all its values at once; only when it finds
                # something is each value looked at.
                checks = [pc.invert(pc.or_(pc.starts_with(column, " "), pc.ends_with(column, " ")))
                          if _plain(column, unusual_anywhere) else pc.invert(pc.match_substring_regex(column, unusual))]
                if f.max_length is not None:
                    checks.append(pc.less_equal(pc.utf8_length(column), f.max_length))
                if f.pattern is not None:
                    checks.append(pc.match_substring_regex(column, patterns[f.name]))
                if f.name in allowed:
                    checks.append(pc.is_in(column, allowed[f.name]))
            elif f.type == "timestamp":
                present = pc.and_(pc.is_valid(column), pc.not_equal(column, ""))
                seconds = pc.strptime(column, format="%Y%m%d%H%M%S", unit="s", error_is_null=True)
                checks = [pc.equal(pc.binary_length(column), 14), pc.ascii_is_decimal(column), pc.is_valid(seconds),
                          pc.greater_equal(column, STAMP_RANGE[0]), pc.less_equal(column, STAMP_RANGE[1]),
                          _same_day(column, seconds)]
            elif f.type == "boolean":
                present = pc.is_valid(column)
                checks = [pc.is_in(column, pa.array([0, 1], pa.int64()))]
            else:  # integers, and numerics that arrived as integers
                present = pc.is_valid(column)
                low, high = INTEGER_RANGES.get(f.type, (-(2**63) + 1, 2**63 - 1))
                checks = [pc.greater_equal(column, low), pc.less_equal(column, high)]
                if f.name in allowed:
                    checks.append(pc.is_in(column, allowed[f.name]))
                if f.minimum is not None:
                    checks.append(pc.greater_equal(column, f.minimum))
            valid = checks[0]
            for check in checks[1:]:
                valid = pc.and_kleene(valid, check)
            present_np = present.to_numpy(zero_copy_only=False) if present.null_count == 0 else \
                pc.fill_null(present, False).to_numpy(zero_copy_only=False)
            valid_np = pc.fill_null(valid, False).to_numpy(zero_copy_only=False)
            # Absent: fine unless required. Present: every check must hold.
            ok &= np.where(present_np, valid_np, not f.required)
            usable = present_np & valid_np  # what is written; rows that fail are not written at all
            if f.type == "text":
                parts.extend(_text(column, usable))
            elif f.type == "timestamp":
                micros = (pc.fill_null(seconds.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
                          - (PG_EPOCH_SECONDS + VN_OFFSET_SECONDS)) * 1_000_000
                parts.append(_fixed(micros, ">i8", usable))
                if f.name == contract.cursor:
                    cursor_seconds = pc.fill_null(seconds.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
            else:
                numbers = pc.fill_null(column, 0).to_numpy(zero_copy_only=False)
                if f.type == "boolean":
                    parts.append(_fixed(numbers == 1, "u1", usable))
                elif f.type == "numeric":
                    parts.append(_numeric(numbers, usable))
                else:
                    parts.append(_fixed(numbers, BINARY_WIDTHS[f.type], usable))
        seq = np.arange(first_seq, first_seq + n, dtype=np.int64)
        tail = np.empty((n, 16), dtype=np.uint8)  # _extra NULL, then the seq or `last`
        tail[:, :4] = 0xFF
        tail[:, 4:8] = np.frombuffer((8).to_bytes(4, "big"), np.uint8)
        tail[:, 8:] = (seq if last is None else np.full(n, last, np.int64)).astype(">i8").view(np.uint8).reshape(n, 8)
        parts.append(_bytes_column(tail, None))
        leftovers = np.flatnonzero(~ok).tolist()
        accepted = n - len(leftovers)
        rows = pc.binary_join_element_wise(*parts, b"")
        if leftovers:
            rows = rows.filter(pa.array(ok))
        max_cursor = None
        if accepted:
            offsets = np.frombuffer(rows.buffers()[1], np.int32, count=len(rows) + 1, offset=rows.offset * 4)
            stream = b"".join((COPY_HEADER, memoryview(rows.buffers()[2])[offsets[0]:offsets[-1]], COPY_TRAILER))
            row_ends = offsets[1:].astype(np.int64) - offsets[0] + len(COPY_HEADER)
            latest = int(cursor_seconds[ok].max())
            max_cursor = datetime.fromtimestamp(latest - VN_OFFSET_SECONDS, VN_TZ)
        else:
            stream, row_ends = b"", np.zeros(0, np.int64)
        return ColumnarPage(stream, accepted, max_cursor, leftovers, seq[ok], row_ends, last)

    return read
