"""The procedure catalogue (thủ tục hành chính) and when each procedure went online, calibrated to the
province's published counts of online services."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import date
from functools import cache


@dataclass(frozen=True)
class BaseProcedure:
    name: str
    field: str
    level: str  # which agency level handles it before 1 July 2025
    time_limit_working_days: int
    fee_vnd: int
    department: str = ""  # for provincial procedures: the department (Sở) that receives it


# Real procedure names and fields; the national codes Kho serves for them are synthetic, in the real format.
BASE_PROCEDURES = (
    BaseProcedure("Đăng ký khai sinh", "Hộ tịch", "commune", 1, 0),
    BaseProcedure("Đăng ký kết hôn", "Hộ tịch", "commune", 1, 0),
    BaseProcedure("Đăng ký khai tử", "Hộ tịch", "commune", 1, 0),
    BaseProcedure("Xác nhận tình trạng hôn nhân", "Hộ tịch", "commune", 3, 0),
    BaseProcedure("Chứng thực bản sao từ bản chính", "Chứng thực", "commune", 1, 2000),
    BaseProcedure("Chứng thực chữ ký trong các giấy tờ, văn bản", "Chứng thực", "commune", 1, 10000),
    BaseProcedure("Đăng ký thường trú", "Đăng ký, quản lý cư trú", "commune", 7, 0),
    BaseProcedure("Xác nhận hộ gia đình nghèo, cận nghèo", "Bảo trợ xã hội", "commune", 7, 0),
    BaseProcedure("Đăng ký thành lập hộ kinh doanh", "Thành lập và hoạt động của hộ kinh doanh", "district", 3, 100000),
    BaseProcedure("Cấp giấy phép xây dựng nhà ở riêng lẻ", "Hoạt động xây dựng", "district", 15, 75000),
    BaseProcedure("Đăng ký biến động quyền sử dụng đất", "Đất đai", "district", 10, 0),
    BaseProcedure("Cấp giấy chứng nhận đủ điều kiện an toàn thực phẩm", "An toàn thực phẩm", "district", 20, 700000),
    BaseProcedure("Trợ cấp xã hội hằng tháng", "Bảo trợ xã hội", "district", 20, 0),
    BaseProcedure("Cấp bản sao trích lục hộ tịch", "Hộ tịch", "district", 1, 8000),
    BaseProcedure("Cấp giấy phép kinh doanh bán lẻ sản phẩm rượu", "Lưu thông hàng hóa trong nước", "district",
                  10, 1100000),
    BaseProcedure("Đăng ký thành lập doanh nghiệp tư nhân", "Thành lập và hoạt động doanh nghiệp", "province", 3,
                  50000, "Sở Kế hoạch và Đầu tư"),
    BaseProcedure("Đăng ký thành lập công ty TNHH một thành viên", "Thành lập và hoạt động doanh nghiệp", "province",
                  3, 50000, "Sở Kế hoạch và Đầu tư"),
    BaseProcedure("Cấp phiếu lý lịch tư pháp", "Lý lịch tư pháp", "province", 10, 200000, "Sở Tư pháp"),
    BaseProcedure("Cấp giấy phép lao động cho người nước ngoài", "Việc làm", "province", 5, 400000,
                  "Sở Lao động - Thương binh và Xã hội"),
    BaseProcedure("Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh", "Khám bệnh, chữa bệnh", "province", 20, 360000,
                  "Sở Y tế"),
    BaseProcedure("Cấp giấy phép kinh doanh vận tải bằng xe ô tô", "Đường bộ", "province", 5, 0,
                  "Sở Giao thông vận tải"),
    BaseProcedure("Cấp đổi giấy phép lái xe", "Đường bộ", "province", 5, 135000, "Sở Giao thông vận tải"),
    BaseProcedure("Cấp giấy phép môi trường", "Môi trường", "province", 20, 0, "Sở Tài nguyên và Môi trường"),
    BaseProcedure("Cấp giấy phép khai thác nước dưới đất", "Tài nguyên nước", "province", 25, 0,
                  "Sở Tài nguyên và Môi trường"),
    BaseProcedure("Công nhận trường đạt chuẩn quốc gia", "Giáo dục và Đào tạo", "province", 20, 0,
                  "Sở Giáo dục và Đào tạo"),
    BaseProcedure("Cấp giấy phép xây dựng công trình", "Hoạt động xây dựng", "province", 20, 150000, "Sở Xây dựng"),
    BaseProcedure("Cấp giấy chứng nhận đủ điều kiện kinh doanh thuốc", "Dược phẩm", "province", 20, 3000000,
                  "Sở Y tế"),
    BaseProcedure("Cấp giấy phép tổ chức biểu diễn nghệ thuật", "Nghệ thuật biểu diễn", "province", 5, 0,
                  "Sở Văn hóa, Thể thao và Du lịch"),
    BaseProcedure("Cấp giấy phép hoạt động in", "Xuất bản, In và Phát hành", "province", 5, 0,
                  "Sở Thông tin và Truyền thông"),
    BaseProcedure("Cấp giấy chứng nhận đăng ký hoạt động khoa học và công nghệ", "Hoạt động khoa học và công nghệ",
                  "province", 15, 0, "Sở Khoa học và Công nghệ"),
)

# Which department received a provincial procedure after the 2025 mergers.
DEPARTMENT_SUCCESSORS = {
    "Sở Kế hoạch và Đầu tư": "Sở Tài chính",
    "Sở Lao động - Thương binh và Xã hội": "Sở Nội vụ",
    "Sở Giao thông vận tải": "Sở Xây dựng",
    "Sở Tài nguyên và Môi trường": "Sở Nông nghiệp và Môi trường",
    "Sở Thông tin và Truyền thông": "Sở Khoa học và Công nghệ",
}

CATALOGUE_SIZE = 1758  # services on Long An's portal in 2024
# (day, online services of any level, of which full online). Long An: 7 at level 3 and none at level 4 in
# 2016; 644 level 3 + 312 level 4 in 2020; 857 full and 693 partial of 1,758 in 2024. Straight lines between.
ONLINE_SERVICES = (
    (date(2016, 1, 1), 7, 0),
    (date(2020, 12, 31), 956, 312),
    (date(2024, 12, 31), 1550, 857),
    (date(2026, 12, 31), 1600, 930),
)
FULL, PARTIAL, NONE = "TOAN_TRINH", "MOT_PHAN", "KHONG"


def online_services_on(day: date) -> tuple[float, float]:
    """(online of any level, full online) on `day`, on the calibration curve."""
    points = ONLINE_SERVICES
    if day <= points[0][0]:
        return points[0][1], points[0][2]
    for (d0, t0, f0), (d1, t1, f1) in itertools.pairwise(points):
        if day <= d1:
            share = (day - d0).days / (d1 - d0).days
            return t0 + share * (t1 - t0), f0 + share * (f1 - f0)
    return points[-1][1], points[-1][2]


def _first_day_reaching(rank: int, which: int, last: date) -> date | None:
    """The first day the curve (0: any online, 1: full) exceeds `rank`, by bisection over days."""
    lo, hi = date(2015, 12, 31), last
    if online_services_on(hi)[which] <= rank:
        return None
    while (hi - lo).days > 1:
        mid = lo + (hi - lo) / 2
        if online_services_on(mid)[which] > rank:
            hi = mid
        else:
            lo = mid
    return max(hi, date(2016, 1, 1))


@dataclass(frozen=True)
class Procedure:
    procedure_code: str
    name: str
    field: str
    level: str
    time_limit_working_days: int
    fee_vnd: int
    department: str
    online_from: date | None  # partial online from this day
    full_from: date | None  # full online from this day

    def service_level_on(self, day: date) -> str:
        if self.full_from and day >= self.full_from:
            return FULL
        if self.online_from and day >= self.online_from:
            return PARTIAL
        return NONE


@cache
def catalogue(seed: int, last_day: date = date(2026, 12, 31)) -> tuple[Procedure, ...]:
    """The province's procedures: real names spread over levels, each with the day it went online."""
    rng = random.Random(seed)
    codes: set[str] = set()
    procedures = []
    ranks = list(range(CATALOGUE_SIZE))
    rng.shuffle(ranks)
    for i in range(CATALOGUE_SIZE):
        base = BASE_PROCEDURES[i % len(BASE_PROCEDURES)]
        while (code := f"{rng.choice((1, 2))}.{rng.randint(0, 13000):06d}") in codes:
            pass
        codes.add(code)
        rank = ranks[i]
        online_from = _first_day_reaching(rank, 0, last_day)
        full_from = _first_day_reaching(rank, 1, last_day) if online_from else None
        procedures.append(Procedure(code, base.name, base.field, base.level, base.time_limit_working_days,
                                    base.fee_vnd, base.department, online_from,
                                    max(full_from, online_from) if full_from else None))
    return tuple(procedures)


def level_history(procedure: Procedure) -> list[dict]:
    """The service-level history as the portal lists it: [{MucDo, TuNgay}], oldest first."""
    history = [{"MucDo": NONE, "TuNgay": "20160101"}]
    for level, since in ((PARTIAL, procedure.online_from), (FULL, procedure.full_from)):
        if since:
            entry = {"MucDo": level, "TuNgay": since.strftime("%Y%m%d")}
            if history[-1]["TuNgay"] == entry["TuNgay"]:
                history[-1] = entry  # a level that held for no day at all is not listed
            else:
                history.append(entry)
    return history


def by_level(procedures: tuple[Procedure, ...]) -> dict[str, list[Procedure]]:
    grouped: dict[str, list[Procedure]] = {}
    for procedure in procedures:
        grouped.setdefault(procedure.level, []).append(procedure)
    return grouped
