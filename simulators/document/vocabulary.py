"""What a province's documents are made of: types and their abbreviations (Decree 30/2020/NĐ-CP), agency
abbreviations, signers' positions and competences, urgencies, exchange statuses and subjects (trích yếu)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DocumentType:
    code: str  # the abbreviation the symbol carries (QĐ in 125/QĐ-UBND); CV and TCG are Kho's codes
    name: str
    weight: float  # share of a province's outgoing documents (simulated; công văn dominate)
    pages: tuple[int, int]


# The 29 administrative document types of Decree 30/2020/NĐ-CP art. 7 with their abbreviations (Appendix III).
# A công văn carries no type abbreviation in its symbol (125/UBND-VP) and a thư công none at all; the type
# codes CV and TCG are the ones document systems commonly use (practice). Nghị quyết (cá biệt) are passed
# by People's Councils and thư công are not numbered: the simulated agencies issue neither.
DOCUMENT_TYPES = (
    DocumentType("NQ", "Nghị quyết", 0.0, (2, 6)),
    DocumentType("QĐ", "Quyết định", 0.17, (2, 12)),
    DocumentType("CT", "Chỉ thị", 0.006, (2, 5)),
    DocumentType("QC", "Quy chế", 0.004, (4, 15)),
    DocumentType("QyĐ", "Quy định", 0.004, (4, 15)),
    DocumentType("TC", "Thông cáo", 0.001, (1, 2)),
    DocumentType("TB", "Thông báo", 0.06, (1, 4)),
    DocumentType("HD", "Hướng dẫn", 0.015, (2, 10)),
    DocumentType("CTr", "Chương trình", 0.008, (3, 12)),
    DocumentType("KH", "Kế hoạch", 0.07, (3, 20)),
    DocumentType("PA", "Phương án", 0.006, (3, 15)),
    DocumentType("ĐA", "Đề án", 0.003, (10, 40)),
    DocumentType("DA", "Dự án", 0.002, (10, 60)),
    DocumentType("BC", "Báo cáo", 0.09, (2, 25)),
    DocumentType("BB", "Biên bản", 0.008, (1, 5)),
    DocumentType("TTr", "Tờ trình", 0.04, (2, 8)),
    DocumentType("HĐ", "Hợp đồng", 0.003, (2, 10)),
    DocumentType("CV", "Công văn", 0.43, (1, 4)),
    DocumentType("CĐ", "Công điện", 0.004, (1, 3)),
    DocumentType("BGN", "Bản ghi nhớ", 0.001, (2, 6)),
    DocumentType("BTT", "Bản thỏa thuận", 0.001, (2, 6)),
    DocumentType("GUQ", "Giấy ủy quyền", 0.003, (1, 1)),
    DocumentType("GM", "Giấy mời", 0.05, (1, 2)),
    DocumentType("GGT", "Giấy giới thiệu", 0.008, (1, 1)),
    DocumentType("GNP", "Giấy nghỉ phép", 0.003, (1, 1)),
    DocumentType("PG", "Phiếu gửi", 0.002, (1, 1)),
    DocumentType("PC", "Phiếu chuyển", 0.002, (1, 1)),
    DocumentType("PB", "Phiếu báo", 0.001, (1, 1)),
    DocumentType("TCG", "Thư công", 0.0, (1, 2)),
)
TYPE_CODES = frozenset(t.code for t in DOCUMENT_TYPES)
COMMUNE_TYPES = frozenset({"QĐ", "TB", "KH", "BC", "TTr", "CV", "GM", "GGT", "BB"})  # what a commune issues
# Each series restarts on 1 January. Quyết định and công văn keep their own registers (sổ); the other types
# share one (practice): so 125/QĐ-UBND and 125/UBND-VP both exist, and (agency, year, number, symbol) is the key.
REGISTERS = {"QĐ": "QĐ", "CV": "CV"}
OTHER_REGISTER = "KHAC"

URGENCIES = (("Thường", 0.88), ("Khẩn", 0.09), ("Thượng khẩn", 0.02), ("Hỏa tốc", 0.01))
# "Hoả tốc" is the same word in the old accent placement, which some systems still send.
URGENCY_SPELLINGS = frozenset({"Thường", "Khẩn", "Thượng khẩn", "Hỏa tốc", "Hoả tốc"})
COMPETENCES = frozenset({"TM.", "KT.", "TL.", "TUQ.", "Q."})  # thay mặt, ký thay, thừa lệnh, thừa ủy quyền, quyền

# Exchange statuses on the national document axis (practice) and business types (edXML BusinessDocType).
STATUSES = {"01": "Đã đến", "02": "Từ chối tiếp nhận", "03": "Đã tiếp nhận", "04": "Đã phân công",
            "05": "Đang xử lý", "06": "Hoàn thành", "13": "Yêu cầu thu hồi", "15": "Đồng ý thu hồi",
            "16": "Từ chối thu hồi"}
BUSINESS_NEW, BUSINESS_REVOKE, BUSINESS_UPDATE, BUSINESS_REPLACE = 0, 1, 2, 3

LEVEL_NAMES = {"province": "Cấp Tỉnh", "district": "Cấp Huyện", "commune": "Cấp Xã"}

# Short names of provincial agencies in document symbols (…/QĐ-STP, …/STP-VP), matched on the name's start.
AGENCY_ABBREVIATIONS = (
    ("Ủy ban nhân dân", "UBND"),
    ("Văn phòng Ủy ban nhân dân tỉnh", "VPUBND"),
    ("Sở Nội vụ", "SNV"),
    ("Sở Tư pháp", "STP"),
    ("Sở Kế hoạch và Đầu tư", "SKHĐT"),
    ("Sở Tài chính", "STC"),
    ("Sở Công Thương", "SCT"),
    ("Sở Nông nghiệp và Phát triển nông thôn", "SNN"),
    ("Sở Nông nghiệp và Môi trường", "SNNMT"),
    ("Sở Giao thông vận tải", "SGTVT"),
    ("Sở Xây dựng", "SXD"),
    ("Sở Tài nguyên và Môi trường", "STNMT"),
    ("Sở Thông tin và Truyền thông", "STTTT"),
    ("Sở Lao động - Thương binh và Xã hội", "SLĐTBXH"),
    ("Sở Văn hóa, Thể thao và Du lịch", "SVHTTDL"),
    ("Sở Khoa học và Công nghệ", "SKHCN"),
    ("Sở Giáo dục và Đào tạo", "SGDĐT"),
    ("Sở Y tế", "SYT"),
    ("Sở Ngoại vụ", "SNgV"),
    ("Thanh tra tỉnh", "TTT"),
    ("Ban Quản lý Khu kinh tế", "BQLKKT"),
)
# The drafting unit a công văn's symbol names after the agency (125/UBND-VP), by kind of agency.
DRAFTING_UNITS = {
    "province_committee": ("VP", "KTTC", "KTN", "VHXH", "NC", "THKSTTHC"),
    "district_committee": ("VP", "TCKH", "TNMT", "NV", "KT", "VHTT"),
    "commune_committee": ("VP", "ĐC", "TP", ""),  # a commune often writes 125/UBND alone
    "agency": ("VP", "NV", "KHTC", "TTr", "QLCL"),
}


def abbreviation(name: str) -> str:
    for prefix, short in AGENCY_ABBREVIATIONS:
        if name.startswith(prefix):
            return short
    raise ValueError(f"no symbol abbreviation for agency {name!r}")


def agency_kind(name: str) -> str:
    if name.startswith("Ủy ban nhân dân"):
        return "committee"
    if name.startswith("Văn phòng"):
        return "office"
    if name.startswith("Thanh tra"):
        return "inspectorate"
    if name.startswith("Ban Quản lý"):
        return "board"
    return "department"


@dataclass(frozen=True)
class Role:
    position: str
    competence: str | None  # None: the head signs in their own name
    holders: int  # how many people hold the position at once


# Who signs, by kind of agency: the head, a deputy (ký thay), and who signs by order (thừa lệnh), if anyone.
SIGNERS = {
    "committee": (Role("Chủ tịch", "TM.", 1), Role("Phó Chủ tịch", "KT.", 3), Role("Chánh Văn phòng", "TL.", 1)),
    "commune_committee": (Role("Chủ tịch", "TM.", 1), Role("Phó Chủ tịch", "KT.", 2), None),
    "office": (Role("Chánh Văn phòng", None, 1), Role("Phó Chánh Văn phòng", "KT.", 3), None),
    "department": (Role("Giám đốc", None, 1), Role("Phó Giám đốc", "KT.", 3), Role("Chánh Văn phòng", "TL.", 1)),
    "inspectorate": (Role("Chánh Thanh tra", None, 1), Role("Phó Chánh Thanh tra", "KT.", 2),
                     Role("Chánh Văn phòng", "TL.", 1)),
    "board": (Role("Trưởng ban", None, 1), Role("Phó Trưởng ban", "KT.", 2), Role("Chánh Văn phòng", "TL.", 1)),
}


@dataclass(frozen=True)
class Topic:
    text: str
    first: date = date(2000, 1, 1)
    last: date = date(2100, 1, 1)


TOPICS = (
    Topic("cải cách hành chính"),
    Topic("chuyển đổi số"),
    Topic("công tác văn thư, lưu trữ"),
    Topic("phòng, chống thiên tai và tìm kiếm cứu nạn"),
    Topic("xây dựng nông thôn mới"),
    Topic("giải ngân vốn đầu tư công"),
    Topic("quản lý trật tự xây dựng"),
    Topic("bảo đảm an toàn thực phẩm"),
    Topic("bảo vệ môi trường"),
    Topic("phòng cháy, chữa cháy"),
    Topic("phổ biến, giáo dục pháp luật"),
    Topic("quản lý đất đai"),
    Topic("phòng, chống hạn hán, xâm nhập mặn"),
    Topic("bảo đảm trật tự, an toàn giao thông"),
    Topic("giảm nghèo bền vững"),
    Topic("tiếp công dân, giải quyết khiếu nại, tố cáo"),
    Topic("thu, chi ngân sách nhà nước"),
    Topic("chăm lo Tết Nguyên đán cho hộ nghèo, gia đình chính sách"),
    Topic("tuyển sinh đầu cấp"),
    Topic("phòng, chống dịch COVID-19", date(2020, 2, 1), date(2022, 12, 31)),
    Topic("tiêm vắc xin phòng COVID-19", date(2021, 3, 1), date(2022, 12, 31)),
    Topic("triển khai Nghị định số 30/2020/NĐ-CP về công tác văn thư", date(2020, 3, 5), date(2021, 12, 31)),
    Topic("thực hiện Đề án 06 về phát triển ứng dụng dữ liệu dân cư", date(2022, 1, 6)),
    Topic("sắp xếp đơn vị hành chính cấp xã", date(2025, 1, 1), date(2025, 9, 30)),
    Topic("vận hành chính quyền địa phương hai cấp", date(2025, 6, 1)),
)
PROCEDURE_FIELDS = ("hộ tịch", "chứng thực", "đất đai", "xây dựng", "thành lập và hoạt động doanh nghiệp",
                    "giáo dục và đào tạo", "khám bệnh, chữa bệnh", "lao động", "người có công", "giao thông")
PERIODS = ("quý I năm", "6 tháng đầu năm", "9 tháng năm", "năm")

TEMPLATES = {
    "QĐ": ("Về việc phê duyệt Kế hoạch {topic} năm {year}", "Về việc thành lập Tổ công tác {topic}",
           "Về việc công bố danh mục thủ tục hành chính lĩnh vực {field}",
           "Về việc khen thưởng tập thể, cá nhân có thành tích trong {topic}",
           "Về việc phân bổ kinh phí thực hiện {topic} năm {year}"),
    "CV": ("V/v triển khai {topic}", "V/v báo cáo tình hình {topic}", "V/v góp ý dự thảo văn bản về {topic}",
           "V/v tăng cường {topic}", "V/v cung cấp thông tin phục vụ {topic}"),
    "KH": ("Triển khai {topic} năm {year}", "Thực hiện {topic} giai đoạn {year}-{next_year}"),
    "BC": ("Kết quả thực hiện {topic} {period} {year}", "Tình hình {topic} {period} {year}"),
    "TB": ("Kết luận của Chủ tịch Ủy ban nhân dân tại cuộc họp về {topic}", "Về việc tổ chức {topic}"),
    "GM": ("Dự họp về {topic}", "Dự hội nghị sơ kết {topic} {period} {year}"),
    "TTr": ("Về việc đề nghị phê duyệt Kế hoạch {topic} năm {year}", "Đề nghị bổ sung kinh phí {topic}"),
    "CT": ("Về việc tăng cường {topic}",),
    "HD": ("Thực hiện {topic} năm {year}",),
    "CĐ": ("Về việc chủ động ứng phó, {topic}",),
}
GENERIC_TEMPLATES = ("Về {topic}", "Về việc thực hiện {topic} năm {year}")


def subject(rng: random.Random, type_code: str, day: date) -> str:
    """A trích yếu in the register's own wording, about a topic of its time."""
    topics = [t for t in TOPICS if t.first <= day <= t.last]
    template = rng.choice(TEMPLATES.get(type_code, GENERIC_TEMPLATES))
    return template.format(topic=rng.choice(topics).text, year=day.year, next_year=day.year + 2,
                           field=rng.choice(PROCEDURE_FIELDS), period=rng.choice(PERIODS))
