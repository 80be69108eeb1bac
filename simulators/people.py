"""Synthetic Vietnamese personal data: plausible, deterministic, and never a real person's."""

from __future__ import annotations

import random

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Võ", "Phan", "Trương", "Bùi", "Đặng", "Đỗ",
            "Ngô", "Hồ", "Dương", "Lý", "Đinh", "Châu", "Lâm", "Tạ")
MIDDLE_NAMES = ("Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Quốc", "Hoàng", "Thị Thu", "Đức", "Kim", "Bảo")
GIVEN_NAMES = ("An", "Bình", "Châu", "Dũng", "Duyên", "Giang", "Hà", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương",
               "Khánh", "Lan", "Linh", "Lộc", "Mai", "Nam", "Nga", "Nhung", "Phúc", "Phương", "Quân", "Sơn",
               "Tâm", "Thảo", "Thành", "Thủy", "Trang", "Trí", "Trinh", "Tú", "Tuấn", "Uyên", "Vân", "Vy", "Yến")
ENTERPRISE_KINDS = ("Công ty TNHH", "Công ty Cổ phần", "Doanh nghiệp tư nhân", "Hợp tác xã")
ENTERPRISE_WORDS = ("Phát Đạt", "Thành Công", "Mekong", "Nông sản Xanh", "Hưng Thịnh", "Tân Phú", "Việt Long",
                    "Sông Vàm", "Thuận Phát", "Bến Lức")


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"


def enterprise_name(rng: random.Random) -> str:
    return f"{rng.choice(ENTERPRISE_KINDS)} {rng.choice(ENTERPRISE_WORDS)}"


def citizen_id(rng: random.Random, province_code: str, birth_year: int) -> str:
    """12-digit citizen ID: 3-digit province of birth, sex/century digit, 2-digit year, 6 random digits."""
    century_digit = (0 if birth_year < 2000 else 2) + rng.randint(0, 1)
    return f"0{province_code}{century_digit}{birth_year % 100:02d}{rng.randint(0, 999_999):06d}"
