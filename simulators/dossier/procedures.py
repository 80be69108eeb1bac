"""Administrative procedures the dossier simulator draws from (real procedure names, codes in the national form)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Procedure:
    procedure_code: str  # national procedure database form, e.g. 1.001234
    name: str
    field: str
    level: str  # which agency level handles it
    service_level: str  # full_online / partial_online / none (Decree 42/2022)
    time_limit_working_days: int
    fee_vnd: int


# Names are real procedure names; the codes follow the national database's format but are synthetic.
PROCEDURES = (
    Procedure("1.001193", "Đăng ký khai sinh", "Hộ tịch", "commune", "full_online", 1, 0),
    Procedure("1.000894", "Đăng ký kết hôn", "Hộ tịch", "commune", "partial_online", 1, 0),
    Procedure("1.000656", "Đăng ký khai tử", "Hộ tịch", "commune", "full_online", 1, 0),
    Procedure("2.000908", "Chứng thực bản sao từ bản chính", "Chứng thực", "commune", "partial_online", 1, 2000),
    Procedure("2.000884", "Chứng thực chữ ký trong các giấy tờ, văn bản", "Chứng thực", "commune", "none", 1, 10000),
    Procedure("1.003622", "Xác nhận tình trạng hôn nhân", "Hộ tịch", "commune", "full_online", 3, 0),
    Procedure("1.001612", "Đăng ký thành lập hộ kinh doanh", "Thành lập và hoạt động của hộ kinh doanh",
              "district", "full_online", 3, 100000),
    Procedure("1.009994", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Hoạt động xây dựng", "district",
              "partial_online", 15, 75000),
    Procedure("1.004227", "Đăng ký biến động quyền sử dụng đất", "Đất đai", "district", "partial_online", 10, 0),
    Procedure("2.001711", "Cấp giấy chứng nhận đủ điều kiện an toàn thực phẩm", "An toàn thực phẩm", "district",
              "partial_online", 20, 700000),
    Procedure("1.001022", "Trợ cấp xã hội hằng tháng", "Bảo trợ xã hội", "district", "partial_online", 20, 0),
    Procedure("2.001610", "Đăng ký thành lập doanh nghiệp tư nhân", "Thành lập và hoạt động doanh nghiệp",
              "province", "full_online", 3, 50000),
    Procedure("1.005385", "Cấp phiếu lý lịch tư pháp", "Lý lịch tư pháp", "province", "full_online", 10, 200000),
    Procedure("1.000105", "Cấp giấy phép lao động cho người nước ngoài", "Việc làm", "province",
              "full_online", 5, 400000),
    Procedure("1.002804", "Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh", "Khám bệnh, chữa bệnh", "province",
              "partial_online", 20, 360000),
    Procedure("1.000748", "Cấp giấy phép kinh doanh vận tải bằng xe ô tô", "Đường bộ", "province",
              "full_online", 5, 0),
    Procedure("1.004493", "Cấp giấy phép môi trường", "Môi trường", "province", "partial_online", 20, 0),
    Procedure("1.001628", "Công nhận trường đạt chuẩn quốc gia", "Giáo dục và Đào tạo", "province", "none", 20, 0),
)


def for_level(level: str) -> tuple[Procedure, ...]:
    return tuple(p for p in PROCEDURES if p.level == level)
