"""Clean pages, fast: a page of JSON records parsed by Arrow against the contract's types, checked with
vectorised compute, and written as CSV for COPY — no Python work per record.

Only what Arrow can check exactly takes this path. A page Arrow cannot parse against the contract (a wrong
type, broken Unicode, a field added or missing) returns None and goes through the per-record path; a row that
fails any check is handed back by index for the same. Either way the contract's own validation has the last
word, and tests/ingest/test_columnar.py holds both paths to identical results."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.json as pjson

from ingest.contract import INTEGER_RANGES, VN_TZ, Contract

ARROW_TYPES = {"text": pa.string(), "smallint": pa.int64(), "integer": pa.int64(), "bigint": pa.int64(),
               "numeric": pa.int64(), "boolean": pa.int64(), "timestamp": pa.string()}
PORTAL_STAMP = r"^(19|20|21)\d{12}$"
CONTROL = r"[\x00-\x1f\x7f]"  # also keeps Python's and Arrow's idea of strippable whitespace the same
CSV_OPTIONS = pcsv.WriteOptions(include_header=False, quoting_style="needed")


@dataclass
class ColumnarPage:
    csv: bytes  # accepted rows: the contract's columns, then _extra (empty) and _seq
    accepted: int
    max_cursor: datetime | None
    leftovers: list[int]  # positions of records the per-record path must decide


def supports(contract: Contract) -> bool:
    return all(f.type in ARROW_TYPES for f in contract.fields) and contract.field(contract.cursor).type == "timestamp"


def compile_columnar(contract: Contract) -> Callable[[list[Any], int], ColumnarPage | None] | None:
    """A page reader for the contract, or None if the contract has types this path does not handle."""
    if not supports(contract):
        return None
    schema = pa.schema([(f.name, ARROW_TYPES[f.type]) for f in contract.fields])
    parse_options = pjson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
    read_options = pjson.ReadOptions(use_threads=False, block_size=1 << 24)

    def read(page: list[Any], first_seq: int) -> ColumnarPage | None:
        n = len(page)
        if not n or not all(type(r) is not dict for r in page):
            return None
        body = b"\n".join(page)  # msgspec.Raw and bytes both lend their buffer: no copy per record
        try:
            table = pjson.read_json(io.BytesIO(body), read_options=read_options, parse_options=parse_options)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        if table.num_rows != n or table.num_columns != len(contract.fields):
            return None  # a field the contract does not know: drift goes the per-record way
        ok = pa.array([True] * n)
        columns = []
        for f in contract.fields:
            column = table[f.name].combine_chunks()
            if column.null_count == n:
                # Absent from every record, or null in all: only the per-record path can tell a field the source
                # dropped (drift) from one that is empty.
                return None
            present = pc.is_valid(column)
            if f.type == "text":
                empty = pc.fill_null(pc.equal(column, ""), False)
                present = pc.and_(present, pc.invert(empty))
                checks = [pc.equal(column, pc.utf8_normalize(column, form="NFC")),
                          pc.invert(pc.match_substring_regex(column, CONTROL)),
                          pc.equal(column, pc.utf8_trim_whitespace(column))]
                if f.max_length is not None:
                    checks.append(pc.less_equal(pc.utf8_length(column), f.max_length))
                if f.pattern is not None:
                    checks.append(pc.match_substring_regex(column, f"^(?:{f.pattern})$"))
                if f.allowed is not None:
                    checks.append(pc.is_in(column, pa.array(sorted(f.allowed), pa.string())))
                rendered = pc.if_else(present, column, pa.scalar(None, pa.string()))
            elif f.type == "timestamp":
                checks = [pc.match_substring_regex(column, PORTAL_STAMP),
                          pc.is_valid(pc.strptime(column, format="%Y%m%d%H%M%S", unit="s", error_is_null=True))]
                rendered = pc.binary_join_element_wise(pc.utf8_slice_codeunits(column, 0, 8),
                                                       pc.utf8_slice_codeunits(column, 8, 14), "T")
                rendered = pc.binary_join_element_wise(rendered, pa.scalar("+07"), "")
            elif f.type == "boolean":
                checks = [pc.is_in(column, pa.array([0, 1], pa.int64()))]
                rendered = pc.if_else(pc.equal(column, 1), pa.scalar("t"), pa.scalar("f"))
            else:  # integers, and numerics that arrived as integers
                low, high = INTEGER_RANGES.get(f.type, (-(2**63), 2**63 - 1))
                checks = [pc.greater_equal(column, low), pc.less_equal(column, high)]
                if f.allowed is not None:
                    checks.append(pc.is_in(column, pa.array(sorted(f.allowed), pa.int64())))
                if f.minimum is not None:
                    checks.append(pc.greater_equal(column, f.minimum))
                rendered = column
            valid = checks[0]
            for check in checks[1:]:
                valid = pc.and_kleene(valid, check)
            # Absent: fine unless required. Present: every check must hold.
            field_ok = pc.if_else(present, pc.fill_null(valid, False), pa.scalar(not f.required))
            ok = pc.and_(ok, field_ok)
            columns.append(pc.if_else(present, rendered, pa.scalar(None, rendered.type)))
        ok = pc.fill_null(ok, False)
        accepted_mask = ok
        flags = ok.to_numpy(zero_copy_only=False)
        leftovers = np.flatnonzero(~flags).tolist()
        accepted = int(flags.sum())
        out = pa.table([*columns, pa.nulls(n, pa.string()), pa.array(range(first_seq, first_seq + n), pa.int64())],
                       names=[*contract.columns, "_extra", "_seq"]).filter(accepted_mask)
        max_cursor = None
        if accepted:
            stamps = pc.strptime(table[contract.cursor].combine_chunks().filter(accepted_mask),
                                 format="%Y%m%d%H%M%S", unit="s")
            max_cursor = pc.max(stamps).as_py().replace(tzinfo=VN_TZ)
        buffer = io.BytesIO()
        pcsv.write_csv(out, buffer, CSV_OPTIONS)
        return ColumnarPage(buffer.getvalue(), accepted, max_cursor, leftovers)

    return read
