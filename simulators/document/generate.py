"""Deterministic generation of a province's document traffic — outgoing documents (văn bản đi), their
registration by each receiver (văn bản đến) and the status messages of the national document axis — from
2016 to the simulated "now", across the 1 July 2025 reorganisation, calibrated to Long An's published figures."""

from __future__ import annotations

import bisect
import hashlib
import heapq
import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from simulators import people
from simulators.base import SimulationPlan
from simulators.document.vocabulary import (
    BUSINESS_NEW,
    BUSINESS_REPLACE,
    BUSINESS_REVOKE,
    BUSINESS_UPDATE,
    COMMUNE_TYPES,
    DOCUMENT_TYPES,
    DRAFTING_UNITS,
    LEVEL_NAMES,
    OTHER_REGISTER,
    REGISTERS,
    SIGNERS,
    STATUSES,
    URGENCIES,
    DocumentType,
    Role,
    abbreviation,
    agency_kind,
    subject,
)
from simulators.provinces import FIRST_DAY, REORGANISATION, Agency, agencies, agencies_on, province
from simulators.workdays import is_working_day, next_working_day

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S+07:00"  # ISO 8601, local time with its offset
DOCUMENTS_PER_DOSSIER = 0.4  # outgoing documents per dossier of the plan's scale

# Calibration (docs/sources.md, Long An's reports). Anchors are year → share by level of the issuing agency
# (receiving agency for work files); a year between two anchors is interpolated linearly, a year outside
# them holds the nearest anchor. Published: electronic exchange ~50% (2016), 93.0% (2019: 95.6 − 2.6),
# 95.6% (2020), 100% province and district and 99.99% commune (2024); e-signed 95.7% province and district,
# 78% commune (2020), 99.96% and 99.99% (2024); work files processed online 92% departments, 97% districts,
# 99% communes (2024). The per-level split of the overall 2016–2020 shares and every 2016 e-signing and
# work-file figure are assumptions, chosen so that the overall share with LEVEL_WEIGHT hits the published one.
ELECTRONIC = {
    "province": {2016: 0.55, 2019: 0.95, 2020: 0.97, 2024: 1.0},
    "district": {2016: 0.55, 2019: 0.95, 2020: 0.97, 2024: 1.0},
    "commune": {2016: 0.35, 2019: 0.87, 2020: 0.914, 2024: 0.9999},
}
SIGNED = {
    "province": {2016: 0.30, 2020: 0.957, 2024: 0.9996},
    "district": {2016: 0.30, 2020: 0.957, 2024: 0.9996},
    "commune": {2016: 0.05, 2020: 0.78, 2024: 0.9999},
}
ONLINE_WORK_FILES = {
    "province": {2016: 0.10, 2024: 0.92},
    "district": {2016: 0.05, 2024: 0.97},
    "commune": {2016: 0.02, 2024: 0.99},
}
# Who issues the documents: before the reorganisation, and after it (no district level).
LEVEL_WEIGHT = {"province": 0.50, "district": 0.25, "commune": 0.25}
LEVEL_WEIGHT_AFTER = {"province": 0.55, "commune": 0.45}
YEARLY_GROWTH = 0.03
REFUSED_SHARE = 0.003  # electronic deliveries refused by the receiver (status 02: not its business)
FOLLOW_UPS = ((BUSINESS_REVOKE, 0.004), (BUSINESS_UPDATE, 0.010), (BUSINESS_REPLACE, 0.005))
HANDLED_TYPES = frozenset({"QĐ", "CV", "TTr", "BC", "KH", "CĐ", "HD", "CT", "PA", "ĐA", "DA", "CTr"})
EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "truc-lien-thong.kho.simulator")
GOLDEN = (math.sqrt(5) - 1) / 2


def share(anchors: dict[int, float], year: int) -> float:
    """The calibrated share for a year: linear between anchors, constant outside them."""
    years = sorted(anchors)
    if year <= years[0]:
        return anchors[years[0]]
    if year >= years[-1]:
        return anchors[years[-1]]
    after = bisect.bisect_right(years, year)
    low, high = years[after - 1], years[after]
    return anchors[low] + (anchors[high] - anchors[low]) * (year - low) / (high - low)


def stamp(moment: datetime | None) -> str | None:
    return moment.strftime(TIMESTAMP_FORMAT) if moment else None


def _seed_of(*parts: object) -> int:
    return int.from_bytes(hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest(), "big")


@dataclass(frozen=True)
class DocumentSimConfig:
    province: str = "long-an"
    documents: int = 8_000
    start: date = date(2016, 1, 1)
    as_of: datetime = datetime(2026, 11, 1)  # the simulated "now"; nothing happens after it
    seed: int = 20250701

    @classmethod
    def from_plan(cls, plan: SimulationPlan) -> DocumentSimConfig:
        """The document system of a plan: 0.4 outgoing documents per dossier of its scale."""
        return cls(plan.province, max(1, round(DOCUMENTS_PER_DOSSIER * plan.scale)), plan.start, plan.as_of,
                   plan.seed)

    def key(self) -> str:
        return f"{self.province}-{self.documents}-{self.start:%Y%m%d}-{self.as_of:%Y%m%d%H%M}-{self.seed}"


class _Draws:
    """Low-discrepancy draws per stratum (what, level, year): the n-th is frac(offset + n·φ). Any run of draws
    in a stratum then falls under a share p in a proportion within about log(n)/n of p, so even a small
    simulation reproduces the published shares, which independent random draws would not."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.state: dict[tuple, tuple[float, int]] = {}

    def next(self, *stratum: object) -> float:
        offset, n = self.state.get(stratum) or (_seed_of(self.seed, *stratum) / 2**64, 0)
        self.state[stratum] = (offset, n + 1)
        return (offset + n * GOLDEN) % 1.0


class _Period:
    """The agencies of one period (before or after 1 July 2025), arranged for choosing issuers and recipients."""

    def __init__(self, slug: str, first_day: date) -> None:
        found = agencies_on(slug, first_day)
        prov = province(slug)
        self.province_name = prov.name if first_day < REORGANISATION else prov.successor_name
        self.by_code = {a.agency_code: a for a in found}
        provincial = [a for a in found if a.level == "province"]
        self.committee = next(a for a in provincial if a.parent_code is None)
        self.departments = [a for a in provincial if a is not self.committee]
        self.districts = [a for a in found if a.level == "district"]
        self.communes = [a for a in found if a.level == "commune"]
        self.children: dict[str, list[Agency]] = {}
        for commune in self.communes:
            self.children.setdefault(commune.parent_code or "", []).append(commune)
        weights = LEVEL_WEIGHT if self.districts else LEVEL_WEIGHT_AFTER
        self.levels = list(weights)
        self.level_cumulative = list(_cumulative([weights[level] for level in self.levels]))
        # The People's Committee and its office issue more than any one department.
        self.issuers = {
            "province": (provincial, list(_cumulative(
                [3.0 if a is self.committee else 2.0 if agency_kind(a.name) == "office" else 1.0
                 for a in provincial]))),
            "district": (self.districts, list(_cumulative([1.0] * len(self.districts)))),
            "commune": (self.communes, list(_cumulative([1.0] * len(self.communes)))),
        }

    def issuer(self, rng: random.Random) -> Agency:
        level = self.levels[bisect.bisect_left(self.level_cumulative, rng.random() * self.level_cumulative[-1])]
        candidates, cumulative = self.issuers[level]
        return candidates[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])]

    def recipients(self, rng: random.Random, issuer: Agency, type_code: str) -> list[Agency]:
        """Who a document goes to: reports and submissions go up, the rest across and down."""
        upward = type_code in ("BC", "TTr")
        below = self.districts or self.communes  # the level under the province
        picks: list[Agency] = []
        if issuer.level == "province":
            if upward and issuer is not self.committee:
                picks.append(self.committee)
            picks += rng.sample(self.departments, rng.randint(0 if picks else 1, 2))
            if not upward:
                picks += rng.sample(below, min(len(below), rng.choice((0, 0, 1, 2, 3))))
        elif issuer.level == "district":
            if upward:
                picks.append(self.committee if rng.random() < 0.6 else rng.choice(self.departments))
            else:
                children = self.children.get(issuer.agency_code, [])
                picks += rng.sample(children, min(len(children), rng.randint(1, 4)))
                if rng.random() < 0.3:
                    picks.append(rng.choice(self.departments))
        else:
            picks.append(self.by_code.get(issuer.parent_code or "", self.committee))
            if rng.random() < 0.3:
                picks.append(rng.choice(self.departments))
        chosen = list({a.agency_code: a for a in picks if a is not issuer}.values())
        return chosen or [self.committee if issuer is not self.committee else self.departments[0]]


def _cumulative(weights: list[float]) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


@dataclass
class Delivery:
    """One recipient's side of a document: its arrival, registration and handling."""

    receiver: Agency
    electronic: bool
    arrived: datetime
    refused_at: datetime | None = None  # status 02
    registered: datetime | None = None  # vào sổ: the arrival number (số đến) is given then
    assigned: datetime | None = None
    started: datetime | None = None
    done: datetime | None = None
    online: bool = False  # its work file (hồ sơ công việc) is processed online
    answer: tuple[str, datetime] | None = None  # to a recall: 15 accepted / 16 refused, and when


@dataclass
class Document:
    record: dict
    issuer: Agency
    sent_at: datetime
    deliveries: list[Delivery]
    follow_up: tuple[int, datetime] | None  # business type (revoke / update / replace) and when it was sent


def _working_time(moment: datetime) -> datetime:
    """The same moment if within office hours, else 07:30 on the next working day."""
    if moment.time() <= time(17, 0) and is_working_day(moment.date()):
        return max(moment, datetime.combine(moment.date(), time(7, 30)))
    return datetime.combine(next_working_day(moment.date()), time(7, 30))


class DocumentGenerator:
    """The document stream of one simulated province. Everything comes from one seeded sequence, so each pass
    over it (outgoing, incoming, events) sees the same documents; memory stays flat whatever the count."""

    def __init__(self, config: DocumentSimConfig) -> None:
        self.config = config
        self.periods = {FIRST_DAY: _Period(config.province, FIRST_DAY),
                        REORGANISATION: _Period(config.province, REORGANISATION)}
        self.types = [t for t in DOCUMENT_TYPES if t.weight > 0]
        self.type_cumulative = list(_cumulative([t.weight for t in self.types]))
        self.commune_types = [t for t in self.types if t.code in COMMUNE_TYPES]
        self.commune_type_cumulative = list(_cumulative([t.weight for t in self.commune_types]))
        self.urgency_cumulative = list(_cumulative([w for _, w in URGENCIES]))

    def _days(self) -> tuple[list[date], list[float]]:
        days, cumulative, total = [], [], 0.0
        current, last = self.config.start, self.config.as_of.date() - timedelta(days=1)
        while current <= last:
            if is_working_day(current):
                total += 1 + YEARLY_GROWTH * (current.year - 2016)
                days.append(current)
                cumulative.append(total)
            current += timedelta(days=1)
        if not days:
            raise ValueError("the simulated period holds no working day")
        return days, cumulative

    def documents(self) -> Iterator[Document]:
        """Every outgoing document in the order it was sent; the same config always yields the same ones."""
        rng = random.Random(self.config.seed)
        draws = _Draws(self.config.seed)
        numbers: dict[tuple, tuple[int, int]] = {}
        signers: dict[tuple, str] = {}
        days, cumulative = self._days()
        total, count = cumulative[-1], self.config.documents
        i = 0
        while i < count:
            day = days[min(bisect.bisect_left(cumulative, (i + 0.5) / count * total), len(days) - 1)]
            same_day = 1
            while i + same_day < count and days[min(bisect.bisect_left(
                    cumulative, (i + same_day + 0.5) / count * total), len(days) - 1)] == day:
                same_day += 1
            minutes = sorted(rng.randint(0, 570) for _ in range(same_day))
            for minute in minutes:
                sent_at = datetime.combine(day, time(7, 30)) + timedelta(minutes=minute, seconds=rng.randint(0, 59))
                yield self._document(rng, draws, numbers, signers, sent_at)
            i += same_day

    def _document(self, rng: random.Random, draws: _Draws, numbers: dict, signers: dict,
                  sent_at: datetime) -> Document:
        day, as_of = sent_at.date(), self.config.as_of
        period = self.periods[REORGANISATION if day >= REORGANISATION else FIRST_DAY]
        issuer = period.issuer(rng)
        doc_type = self._type(rng, issuer)
        number, symbol = self._number(rng, numbers, issuer, doc_type, day)
        doc_id = f"{issuer.agency_code},{day:%Y/%m/%d},{number:02d}/{symbol}"
        role = self._role(rng, issuer, doc_type)
        u = draws.next("exchange", issuer.level, day.year)
        # One draw for both: a document signed digitally is also one sent over the axis (shares are nested).
        electronic = u < share(ELECTRONIC[issuer.level], day.year)
        signed = u < share(SIGNED[issuer.level], day.year)
        recipients = period.recipients(rng, issuer, doc_type.code)
        urgency = URGENCIES[bisect.bisect_left(self.urgency_cumulative, rng.random() * self.urgency_cumulative[-1])][0]
        if doc_type.code == "CĐ":
            urgency = rng.choice(("Thượng khẩn", "Hỏa tốc"))
        deliveries = [d for d in (self._delivery(rng, draws, receiver, electronic, sent_at, doc_type)
                                  for receiver in recipients) if d is not None]
        follow_up = None
        if electronic:
            roll = rng.random()
            for business, chance in FOLLOW_UPS:
                if roll < chance:
                    follow_up = (business, sent_at + timedelta(minutes=rng.randint(60, 5 * 24 * 60)))
                    break
                roll -= chance
        if follow_up and follow_up[0] == BUSINESS_REVOKE:
            for delivery in deliveries:
                if delivery.registered is not None:
                    code = "15" if rng.random() < 0.9 else "16"
                    delivery.answer = (code, follow_up[1] + timedelta(minutes=rng.randint(30, 480)))
        updated_at = follow_up[1] if follow_up and follow_up[1] <= as_of else sent_at
        record = {
            "MaVanBan": doc_id,
            "MaDinhDanhNoiBanHanh": issuer.agency_code,
            "TenCoQuanBanHanh": issuer.name,
            "CapBanHanh": LEVEL_NAMES[issuer.level],
            "SoVanBan": number,
            "KyHieu": symbol,
            "SoKyHieu": f"{number:02d}/{symbol}",
            "MaLoaiVanBan": doc_type.code,
            "TenLoaiVanBan": doc_type.name,
            "TrichYeu": subject(rng, doc_type.code, day),
            "NgayBanHanh": day.isoformat(),
            "NoiBanHanh": self._place(issuer, period),
            "NguoiKy": self._signer(signers, issuer, role, rng.randrange(role.holders), day),
            "ChucVuNguoiKy": role.position,
            "ThamQuyenKy": role.competence,
            "NoiNhan": [{"MaDinhDanh": a.agency_code, "TenCoQuan": a.name} for a in recipients],
            "DoKhan": urgency,
            "KySo": signed,
            "GuiDienTu": electronic,
            "SoTrang": rng.randint(*doc_type.pages),
            "NgayCapNhat": stamp(updated_at),
        }
        return Document(record, issuer, sent_at, deliveries, follow_up)

    def _type(self, rng: random.Random, issuer: Agency) -> DocumentType:
        types, cumulative = ((self.commune_types, self.commune_type_cumulative) if issuer.level == "commune"
                             else (self.types, self.type_cumulative))
        return types[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])]

    def _number(self, rng: random.Random, numbers: dict, issuer: Agency, doc_type: DocumentType,
                day: date) -> tuple[int, str]:
        """The next number of the issuer's register this year (restarting on 1 January), and the symbol."""
        register = REGISTERS.get(doc_type.code, OTHER_REGISTER)
        series = (issuer.agency_code, issuer.valid_from, register)
        year, last = numbers.get(series, (day.year, 0))
        number = last + 1 if year == day.year else 1
        numbers[series] = (day.year, number)
        short = abbreviation(issuer.name)
        if doc_type.code != "CV":
            return number, f"{doc_type.code}-{short}"
        kind = agency_kind(issuer.name)
        units = DRAFTING_UNITS[f"{issuer.level}_committee" if kind == "committee" else "agency"]
        unit = rng.choice(units)
        return number, f"{short}-{unit}" if unit else short

    @staticmethod
    def _role(rng: random.Random, issuer: Agency, doc_type: DocumentType) -> Role:
        kind = agency_kind(issuer.name)
        if kind == "committee" and issuer.level == "commune":
            kind = "commune_committee"
        head, deputy, by_order = SIGNERS[kind]
        roll = rng.random()
        if by_order is not None and doc_type.code in ("CV", "GM", "TB", "GGT", "PG", "PC", "PB") and roll < 0.15:
            return by_order
        return head if roll > 0.65 else deputy

    def _signer(self, signers: dict, issuer: Agency, role: Role, slot: int, day: date) -> str:
        # People's Committees' terms: 2016–2021, 2021–2026; the same people sign throughout a term.
        term = 0 if day < date(2021, 7, 1) else 1 if day < date(2026, 7, 1) else 2
        key = (issuer.agency_code, issuer.valid_from, role.position, slot, term)
        if key not in signers:
            signers[key] = people.person_name(random.Random(_seed_of(self.config.seed, *key)))
        return signers[key]

    @staticmethod
    def _place(issuer: Agency, period: _Period) -> str:
        """Địa danh (Decree 30/2020 App. I): the name of the unit where the issuer sits, without its kind."""
        if issuer.level == "province":
            return period.province_name
        unit = issuer.name.removeprefix("Ủy ban nhân dân ")
        for kind in ("Thành phố ", "Thị xã ", "Thị trấn ", "Huyện ", "Phường ", "Xã "):
            if unit.startswith(kind):
                rest = unit[len(kind):]
                return unit if rest.isdigit() else rest  # "Phường 7" keeps its kind
        return unit

    def _delivery(self, rng: random.Random, draws: _Draws, receiver: Agency, electronic: bool,
                  sent_at: datetime, doc_type: DocumentType) -> Delivery | None:
        if electronic:
            arrived = sent_at + timedelta(minutes=rng.randint(1, 30))
        else:  # on paper, by the postal service or a courier
            day = sent_at.date()
            for _ in range(rng.randint(1, 3)):
                day = next_working_day(day)
            arrived = datetime.combine(day, time(8, 0)) + timedelta(minutes=rng.randint(0, 480))
        delivery = Delivery(receiver, electronic, arrived)
        if electronic and rng.random() < REFUSED_SHARE:
            delivery.refused_at = arrived + timedelta(minutes=rng.randint(10, 240))
            return delivery
        registered = _working_time(arrived + timedelta(minutes=rng.randint(10, 240) if electronic
                                                       else rng.randint(5, 120)))
        if receiver.valid_to is not None and registered.date() > receiver.valid_to:
            return None  # the receiver was dissolved before it could register the document
        delivery.registered = registered
        if doc_type.code in HANDLED_TYPES:
            delivery.assigned = _working_time(registered + timedelta(minutes=rng.randint(30, 24 * 60)))
            delivery.started = _working_time(delivery.assigned + timedelta(minutes=rng.randint(0, 2 * 24 * 60)))
            delivery.done = _working_time(delivery.started + timedelta(minutes=rng.randint(60, 10 * 24 * 60)))
        else:
            delivery.done = _working_time(registered + timedelta(minutes=rng.randint(30, 8 * 60)))
        if receiver.valid_to is not None:
            end = datetime.combine(receiver.valid_to, time(23, 59))
            for step in ("assigned", "started", "done"):
                if getattr(delivery, step) and getattr(delivery, step) > end:
                    setattr(delivery, step, None)
        delivery.online = draws.next("work", receiver.level, registered.year) < share(
            ONLINE_WORK_FILES[receiver.level], registered.year)
        return delivery


def outgoing_records(config: DocumentSimConfig) -> Iterator[dict]:
    for document in DocumentGenerator(config).documents():
        yield document.record


def incoming_records(config: DocumentSimConfig) -> Iterator[dict]:
    """Each receiver's register of incoming documents. The arrival number (số đến) follows the order of
    registration and restarts on 1 January; registrations are put in order with a small heap (a document is
    registered within days of being sent), so memory stays flat."""
    as_of = config.as_of
    waiting: list[tuple[datetime, int, Document, Delivery]] = []
    numbers: dict[tuple, tuple[int, int]] = {}
    seq = 0

    def register(item: tuple[datetime, int, Document, Delivery]) -> dict:
        registered, _, document, delivery = item
        receiver = delivery.receiver
        series = (receiver.agency_code, receiver.valid_from)
        year, last = numbers.get(series, (registered.year, 0))
        number = last + 1 if year == registered.year else 1
        numbers[series] = (registered.year, number)
        done = delivery.done if delivery.done and delivery.done <= as_of else None
        return {
            "MaVanBanDen": f"{receiver.agency_code},{registered:%Y/%m/%d},{number}",
            "MaDinhDanhNoiNhan": receiver.agency_code,
            "SoDen": number,
            "NgayDen": stamp(registered),
            "MaVanBan": document.record["MaVanBan"],
            "MaDinhDanhNoiGui": document.issuer.agency_code,
            "SoKyHieu": document.record["SoKyHieu"],
            "NhanDienTu": delivery.electronic,
            "XuLyTrenMoiTruongMang": delivery.online,
            "NgayHoanThanh": stamp(done),
            "NgayCapNhat": stamp(done or registered),
        }

    for document in DocumentGenerator(config).documents():
        while waiting and waiting[0][0] <= document.sent_at:
            yield register(heapq.heappop(waiting))
        for delivery in document.deliveries:
            if delivery.registered is not None and delivery.registered <= as_of:
                heapq.heappush(waiting, (delivery.registered, seq, document, delivery))
                seq += 1
    while waiting:
        yield register(heapq.heappop(waiting))


def _event(document: Document, delivery: Delivery, status: str, business: int, moment: datetime) -> dict:
    doc_id, receiver = document.record["MaVanBan"], delivery.receiver.agency_code
    return {
        "MaSuKien": str(uuid.uuid5(EVENT_NAMESPACE, f"{doc_id}|{receiver}|{business}|{status}")),
        "MaVanBan": doc_id,
        "MaDinhDanhNoiGui": document.issuer.agency_code,
        "MaDinhDanhNoiNhan": receiver,
        "MaTrangThai": status,
        "TenTrangThai": STATUSES[status],
        "LoaiNghiepVu": business,
        "ThoiGian": stamp(moment),
        "NgayCapNhat": stamp(moment),
    }


def document_events(document: Document, as_of: datetime) -> Iterator[dict]:
    """The status messages the axis carried for one document, per receiver, up to the simulated now."""
    for delivery in document.deliveries:
        if not delivery.electronic:
            continue
        steps = [("01", BUSINESS_NEW, delivery.arrived), ("02", BUSINESS_NEW, delivery.refused_at),
                 ("03", BUSINESS_NEW, delivery.registered), ("04", BUSINESS_NEW, delivery.assigned),
                 ("05", BUSINESS_NEW, delivery.started), ("06", BUSINESS_NEW, delivery.done)]
        if document.follow_up and delivery.registered is not None:
            business, at = document.follow_up
            if business == BUSINESS_REVOKE:
                steps.append(("13", business, at))
                if delivery.answer:
                    steps.append((delivery.answer[0], business, delivery.answer[1]))
            else:  # an updated or replacing version arrives and is registered again
                steps += [("01", business, at + timedelta(minutes=1)), ("03", business, at + timedelta(hours=2))]
        end = as_of
        if delivery.receiver.valid_to is not None:
            end = min(end, datetime.combine(delivery.receiver.valid_to, time(23, 59)))
        for status, business, moment in steps:
            if moment is not None and moment <= end:
                yield _event(document, delivery, status, business, moment)


def event_records(config: DocumentSimConfig) -> Iterator[dict]:
    for document in DocumentGenerator(config).documents():
        yield from document_events(document, config.as_of)


def agency_records(config: DocumentSimConfig) -> Iterator[dict]:
    """The agency directory as the system holds it on the simulated day: every agency that has existed, its
    period of validity (an identifier may be reused by a later agency, so the record key carries the start)."""
    today = config.as_of.date()
    for agency in agencies(config.province):
        if agency.valid_from > today:
            continue
        ended = agency.valid_to if agency.valid_to is not None and agency.valid_to < today else None
        updated = (datetime.combine(ended, time(17, 0)) if ended
                   else datetime.combine(agency.valid_from, time(8, 0)))
        yield {
            "MaBanGhi": f"{agency.agency_code}-{agency.valid_from:%Y%m%d}",
            "MaDinhDanh": agency.agency_code,
            "TenCoQuan": agency.name,
            "CapCoQuan": LEVEL_NAMES[agency.level],
            "MaDinhDanhCapTren": agency.parent_code,
            "MaDonViHanhChinh": agency.admin_unit_code,
            "HieuLucTuNgay": agency.valid_from.isoformat(),
            "HieuLucDenNgay": ended.isoformat() if ended else None,
            "NgayCapNhat": stamp(updated),
        }
