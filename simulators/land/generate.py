"""Deterministic land registration dossiers (hồ sơ đăng ký đất đai), 2016 to the simulated "now", as rows of a
legacy table: receipt dates kept as 'dd/mm/yyyy' text, parcels in the real communes of their own day."""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from simulators import people
from simulators.provinces import REORGANISATION, Agency, agencies_on
from simulators.workdays import due_at, is_working_day

# The table's columns, in order (the legacy system's own names, Vietnamese without diacritics).
COLUMNS = ("id", "ma_ho_so", "loai_thu_tuc", "ma_co_quan_tiep_nhan", "ma_xa", "so_to_ban_do", "so_thua",
           "dien_tich", "muc_dich_su_dung", "ten_chu_su_dung", "ngay_tiep_nhan", "ngay_hen_tra",
           "ngay_tra_ket_qua", "trang_thai", "updated_at")
DATE_TEXT = "%d/%m/%Y"  # how the legacy system writes dates into its varchar columns

# (procedure, share of dossiers, time limit in working days). Limits approximate Decree 43/2014/NĐ-CP as
# amended (01/2017, 148/2020) and Decree 101/2024/NĐ-CP; a province may set shorter ones.
PROCEDURES = (
    ("Đăng ký lần đầu", 0.12, 20),
    ("Đăng ký biến động", 0.20, 10),
    ("Chuyển nhượng quyền sử dụng đất", 0.20, 10),
    ("Tặng cho quyền sử dụng đất", 0.08, 10),
    ("Thừa kế quyền sử dụng đất", 0.05, 10),
    ("Cấp đổi giấy chứng nhận", 0.10, 7),
    ("Cấp lại giấy chứng nhận", 0.03, 10),
    ("Đăng ký thế chấp", 0.13, 3),
    ("Xóa đăng ký thế chấp", 0.09, 3),
)
# Land-use codes (Circular 27/2018/TT-BTNMT, kept by Circular 08/2024/TT-BTNMT) with a plausible area range
# in m²; a residential plot often carries perennial-crop land with it (ONT+CLN).
LAND_USES = (
    ("ONT", 0.26, 80, 400), ("ONT+CLN", 0.10, 300, 2500), ("CLN", 0.16, 400, 6000), ("LUC", 0.20, 1000, 12000),
    ("LUK", 0.07, 800, 8000), ("HNK", 0.07, 300, 3000), ("NTS", 0.06, 500, 6000), ("TMD", 0.03, 150, 5000),
    ("SKC", 0.02, 1000, 20000), ("BHK", 0.03, 300, 3000),
)
URBAN_USES = (("ODT", 0.7, 40, 250), ("TMD", 0.2, 60, 1500), ("CLN", 0.1, 300, 3000))

# Status codes of the legacy table (trạng thái hồ sơ).
RECEIVED, IN_PROGRESS, SUPPLEMENT, TAX_DUE, RESULT_READY, RETURNED, REFUSED = 1, 2, 3, 4, 5, 6, 7
STATUSES = {RECEIVED: "Mới tiếp nhận", IN_PROGRESS: "Đang xử lý", SUPPLEMENT: "Chờ bổ sung",
            TAX_DUE: "Chờ thực hiện nghĩa vụ tài chính", RESULT_READY: "Đã có kết quả",
            RETURNED: "Đã trả kết quả", REFUSED: "Trả lại hồ sơ (không đủ điều kiện)"}
LATE_SHARE = {2016: 0.06, 2017: 0.05, 2018: 0.04, 2019: 0.03, 2020: 0.02, 2021: 0.02}  # later years: 0.5%
YEARLY_GROWTH = 0.05
SHARE_OF_SCALE = 0.1  # land dossiers per dossier of the plan's scale


@dataclass(frozen=True)
class LandSimConfig:
    province: str = "long-an"
    rows: int = 5_000
    start: date = date(2016, 1, 1)
    as_of: datetime = datetime(2026, 11, 1)
    seed: int = 20250701

    def key(self) -> str:
        return f"{self.province}-{self.rows}-{self.start:%Y%m%d}-{self.as_of:%Y%m%d%H%M}-{self.seed}"


def date_text(day: date | datetime | None) -> str | None:
    return day.strftime(DATE_TEXT) if day else None


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _pick(rng: random.Random, items: tuple, cumulative: list[float]) -> tuple:
    return items[min(bisect.bisect_left(cumulative, rng.random() * cumulative[-1]), len(items) - 1)]


def receipt_days(start: date, end: date) -> tuple[list[date], list[float]]:
    """Working days from start to end with cumulative weights growing each year (more dossiers later)."""
    days, weights = [], []
    current = start
    while current <= end:
        if is_working_day(current):
            days.append(current)
            weights.append(1 + YEARLY_GROWTH * (current.year - start.year))
        current += timedelta(days=1)
    return days, _cumulative(weights)


class _Communes:
    """The communes of each period and who receives their land dossiers: before 1 July 2025 the district's
    one-stop desk (the land registration office's branch sits there), from then on the commune itself."""

    def __init__(self, slug: str) -> None:
        self.periods: dict[bool, list[tuple[Agency, str]]] = {}
        before = REORGANISATION - timedelta(days=1)
        for after, day in ((False, before), (True, REORGANISATION)):
            communes = agencies_on(slug, day, "commune")
            self.periods[after] = [(c, c.agency_code if after else (c.parent_code or c.agency_code))
                                   for c in communes]

    def pick(self, rng: random.Random, day: date) -> tuple[Agency, str]:
        return rng.choice(self.periods[day >= REORGANISATION])


def generate(config: LandSimConfig) -> Iterator[tuple]:
    """Yield rows (in COLUMNS order) in order of receipt; the same config always yields the same rows."""
    rng = random.Random(config.seed)
    communes = _Communes(config.province)
    days, cumulative = receipt_days(config.start, config.as_of.date() - timedelta(days=1))
    if not days:
        raise ValueError("the simulated period holds no working day")
    procedure_cumulative = _cumulative([p[1] for p in PROCEDURES])
    use_cumulative = _cumulative([u[1] for u in LAND_USES])
    urban_cumulative = _cumulative([u[1] for u in URBAN_USES])
    sequence: dict[str, int] = {}
    current_day: date | None = None
    for i in range(config.rows):
        day = days[min(bisect.bisect_left(cumulative, (i + 0.5) / config.rows * cumulative[-1]), len(days) - 1)]
        if day != current_day:
            sequence.clear()  # dossier numbers restart every day; memory stays flat
            current_day = day
        commune, receiver = communes.pick(rng, day)
        n = sequence[receiver] = sequence.get(receiver, 0) + 1
        procedure, _, limit = _pick(rng, PROCEDURES, procedure_cumulative)
        urban = commune.name.startswith(("Ủy ban nhân dân Phường", "Ủy ban nhân dân Thị trấn"))
        use, _, low, high = (_pick(rng, URBAN_USES, urban_cumulative) if urban and rng.random() < 0.8
                             else _pick(rng, LAND_USES, use_cumulative))
        received_at = datetime.combine(day, time(7, 30)) + timedelta(minutes=rng.randint(0, 9 * 60))
        due = due_at(received_at, limit, paper=True)
        status, returned, updated_at = _outcome(rng, config, received_at, due)
        owner = people.person_name(rng) if rng.random() < 0.94 else people.enterprise_name(rng)
        yield (
            i + 1,
            f"{receiver}-{day:%y%m%d}-{n:04d}",
            procedure,
            receiver,
            commune.admin_unit_code,
            rng.randint(1, 60),
            rng.randint(1, 1800),
            Decimal(f"{rng.uniform(low, high):.1f}"),
            use,
            owner,
            date_text(day),
            date_text(due),
            date_text(returned),
            status,
            updated_at,
        )


def _outcome(rng: random.Random, config: LandSimConfig, received_at: datetime,
             due: datetime) -> tuple[int, datetime | None, datetime]:
    """(status, day the result was returned, last update) as of the simulated "now"."""
    if rng.random() < 0.015:
        refused_at = received_at + timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 6))
        if refused_at <= config.as_of:
            return REFUSED, refused_at, refused_at
    if rng.random() < LATE_SHARE.get(received_at.year, 0.005):
        finished = due + timedelta(days=rng.randint(1, 15), hours=rng.randint(-6, 0))
    else:
        span = max((due - received_at).total_seconds(), 3600)
        finished = received_at + timedelta(seconds=int(rng.uniform(0.2, 1.0) * span))
    returned = finished + timedelta(hours=rng.randint(1, 72))
    if finished > config.as_of:
        status = rng.choice((RECEIVED, IN_PROGRESS, IN_PROGRESS, IN_PROGRESS, SUPPLEMENT, TAX_DUE))
        touched = received_at + timedelta(hours=rng.randint(0, 48))
        return status, None, min(touched, config.as_of)
    if returned > config.as_of:
        return RESULT_READY, None, finished
    return RETURNED, returned, returned
