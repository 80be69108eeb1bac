"""The dossier system's sync API: paginated JSON with an `updated_since` cursor, faults on request."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from simulators.dossier.generate import TIMESTAMP_FORMAT
from simulators.dossier.store import DossierStore
from simulators.faults import Faults, stable_fraction
from simulators.http import JsonApiServer

DOSSIERS_PATH = "/api/v1/dossiers"
FAULTS_PATH = "/_sim/faults"
MAX_PAGE_SIZE = 5000
PORTAL_TZ = timezone(timedelta(hours=7))  # the portal speaks local time without an offset

MALFORMATIONS = ("bad_date", "missing_key", "wrong_type", "overlong_text", "bad_code")


def _encode_cursor(updated_at: str, code: str) -> str:
    return base64.urlsafe_b64encode(f"{updated_at}|{code}".encode()).decode()


def _decode_cursor(token: str) -> tuple[str, str]:
    try:
        updated_at, code = base64.urlsafe_b64decode(token.encode()).decode().split("|", 1)
    except Exception as exc:
        raise ValueError(f"invalid cursor {token!r}") from exc
    return updated_at, code


def _parse_since(value: str) -> str:
    """Accept the portal's yyyyMMddHHmmss or ISO 8601 (taken as local time); return the portal form."""
    if not value:
        return ""
    if len(value) == 14 and value.isdigit():
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"updated_since must be yyyyMMddHHmmss or ISO 8601, got {value!r}") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(PORTAL_TZ).replace(tzinfo=None)
    return moment.strftime(TIMESTAMP_FORMAT)


def apply_faults(record: dict, faults: Faults, seed: str) -> dict:
    code = str(record.get("MaHoSo"))
    if faults.inconsistent_rate and stable_fraction(seed, "inconsistent", code) < faults.inconsistent_rate:
        received = datetime.strptime(record["NgayTiepNhan"], TIMESTAMP_FORMAT)
        record["NgayKetThucXuLy"] = (received - timedelta(days=3)).strftime(TIMESTAMP_FORMAT)
    if faults.malformed_rate and stable_fraction(seed, "malformed", code) < faults.malformed_rate:
        kind = MALFORMATIONS[int(stable_fraction(seed, "kind", code) * len(MALFORMATIONS))]
        if kind == "bad_date":
            record["NgayTiepNhan"] = record["NgayTiepNhan"][:4] + "1345" + record["NgayTiepNhan"][8:]
        elif kind == "missing_key":
            del record["MaHoSo"]
        elif kind == "wrong_type":
            record["KenhThucHien"] = "trực tuyến"
        elif kind == "overlong_text":
            record["TenTTHC"] = record["TenTTHC"] * 200
        elif kind == "bad_code":
            record["MaCoQuanTiepNhan"] = "SỞ-TƯ-PHÁP"
    return record


class DossierSimulator:
    """Serves one store; `faults` may be changed while it runs (in process or by PUT /_sim/faults)."""

    def __init__(self, store: DossierStore, faults: Faults | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.store = store
        self.faults = faults or Faults()
        self.server = JsonApiServer(
            {("GET", DOSSIERS_PATH): self._dossiers, ("GET", "/health"): self._health,
             ("PUT", FAULTS_PATH): self._set_faults, ("GET", FAULTS_PATH): self._get_faults},
            host, port,
        )

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> str:
        return self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def _health(self, query: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        return 200, {}, b'{"status":"ok"}'

    def _get_faults(self, query: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        return 200, {}, json.dumps(self.faults.as_dict()).encode()

    def _set_faults(self, query: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        self.faults = Faults.from_dict(json.loads(body or b"{}"))
        return 200, {}, json.dumps(self.faults.as_dict()).encode()

    def _dossiers(self, query: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        since = _parse_since(query.get("updated_since", ""))
        page_size = int(query.get("page_size", 1000))
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        after = _decode_cursor(query["cursor"]) if query.get("cursor") else None
        rows = self.store.page(since, after, page_size)
        faults = self.faults
        bodies = []
        for _, _, text in rows:
            if faults.malformed_rate or faults.inconsistent_rate:
                text = json.dumps(apply_faults(json.loads(text), faults, "dossier"), ensure_ascii=False)
            bodies.append(text)
        next_url = None
        if len(rows) == page_size:
            params = {"updated_since": since, "page_size": page_size, "cursor": _encode_cursor(*rows[-1][:2])}
            next_url = f"{self.url}{DOSSIERS_PATH}?{urlencode(params)}"
        payload = '{"data":[' + ",".join(bodies) + '],"next":' + json.dumps(next_url) + "}"
        return 200, {}, payload.encode()
