"""Vietnam's administrative units before and after the 1 July 2025 reorganisation, derived from the real reference
data in reference_data/admin_units/ (NSO lists and crosswalk via sunshine-tech/VietnamProvinces, GPL-3.0; the
independent dvhcvn mapping, MIT) into two dbt seeds, with a report of every defect found on the way.

    python -m kho.reference     # rewrites the seeds and docs/admin_units_report.md

Nothing here is typed by hand: a unit, a link or a correction comes from a file, and every judgement (a split
resolved, a code corrected, a link taken from dvhcvn) is written into the crosswalk's `rule` column and the
report. The split rule is documented in docs/admin_units.md.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DIR = ROOT / "reference_data" / "admin_units"
NSO_DIR = REFERENCE_DIR / "sunshine-tech_VietnamProvinces"
DVHCVN_DIR = REFERENCE_DIR / "dvhcvn_20250701"
PRE_2025_LIST = NSO_DIR / "Xa_2025-01-04_pre2025.csv"
NSO_CROSSWALK = NSO_DIR / "BangChuyendoiDVHCmoi_cu_khong_merge.csv"
NEW_PROVINCES = NSO_DIR / "Cap-tinh_2025.csv"
NEW_UNITS = NSO_DIR / "nested-divisions.json"
DVHCVN_SPLITS = DVHCVN_DIR / "splits.json"
DVHCVN_MERGES = DVHCVN_DIR / "merges.json"
DVHCVN_PROVINCES = DVHCVN_DIR / "915_CTK-CSCL_province_codes.csv"

SEED_DIR = ROOT / "dbt_project" / "seeds" / "reference"
UNITS_SEED = SEED_DIR / "admin_units.csv"
CROSSWALK_SEED = SEED_DIR / "admin_unit_crosswalk.csv"
REPORT = ROOT / "docs" / "admin_units_report.md"

# The lists do not say when a pre-reform unit began. Kho's calendar (kho.calendar) starts on 2015-01-01 and its
# data in 2016, so every unit of the 2025-01-04 list is taken as valid from then (flagged valid_from_is_assumed).
ASSUMED_START = date(2015, 1, 1)
# Units the NSO crosswalk names as old but the 2025-01-04 list lacks were created after that list was taken.
INTERIM_START = date(2025, 1, 5)
LAST_OLD_DAY = date(2025, 6, 30)
REORGANISATION = date(2025, 7, 1)

UNIT_COLUMNS = ("unit_code", "unit_name", "unit_type", "level", "parent_unit_code", "province_code", "valid_from",
                "valid_to", "valid_from_is_assumed")
# Levels, provinces and the number of candidates are left out: admin_units has them, and every seed cell costs
# dbt's loader time in every full build.
CROSSWALK_COLUMNS = ("old_unit_code", "old_unit_name", "new_unit_code", "new_unit_name", "source", "nso_note",
                     "is_partial", "is_split", "is_primary", "rule", "in_dvhcvn", "nso_old_code")

# Order matters: "thành phố" is tried after "thị xã"/"thị trấn" only because prefixes do not overlap.
TYPES = {"province": ("tỉnh", "thành phố"),
         "district": ("huyện", "quận", "thị xã", "thành phố"),
         "commune": ("xã", "phường", "thị trấn", "đặc khu")}

# The split rule, in the order its criteria are tried; the first that singles out one candidate decides.
SPLIT_RULES = ("whole_population", "keeps_old_code", "same_name", "dvhcvn_full", "lowest_new_code")


def clean(text: str) -> str:
    # The NSO export carries stray spaces and newlines inside cells.
    return unicodedata.normalize("NFC", " ".join(text.split()))


_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def name_key(name: str) -> str:
    """A name without its tone marks and case: 'Hoà' and 'Hòa' (old and new tone placement), 'Thị Trấn' and
    'Thị trấn', "M'Drắk" and "M’Drắk" are one name; 'Sà Phìn' and 'Xà Phìn' are not."""
    letters = unicodedata.normalize("NFD", clean(name).casefold().replace("\u2019", "'"))
    return unicodedata.normalize("NFC", "".join(ch for ch in letters if ch not in _TONES))


def unit_type(name: str, level: str) -> str:
    lowered = clean(name).lower()
    for kind in sorted(TYPES[level], key=len, reverse=True):
        if lowered.startswith(kind + " "):
            # A district-level city is another kind of unit than a centrally-run one ("thành phố thuộc tỉnh" in the
            # 2015 Law on Local Government); Thủ Đức, the one city under a city, is filed the same way.
            return "thành phố thuộc tỉnh" if level == "district" and kind == "thành phố" else kind
    # Cap-tinh lists provinces without "Tỉnh"; a bare name is a province.
    if level == "province":
        return "tỉnh"
    raise ValueError(f"no {level} type in {name!r}")


def bare_name(name: str, level: str) -> str:
    """The name without its type word: 'Phường Ba Đình' → 'Ba Đình'."""
    text = clean(name)
    kind = unit_type(text, level)
    word = kind.split(" thuộc ")[0]
    return text[len(word) + 1:] if text.lower().startswith(word + " ") else text


def code_in_parentheses(text: str) -> str:
    match = re.search(r"\((\d+)\)\s*$", clean(text))
    return match.group(1) if match else ""


# --- Reading the sources ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str
    parent: str
    province: str
    valid_from: date
    valid_to: date | None
    valid_from_is_assumed: bool = False

    @property
    def kind(self) -> str:
        return unit_type(self.name, self.level)


@dataclass(frozen=True)
class NsoRow:
    line: int
    new_province: str
    new_code: str
    new_name: str
    old_code: str
    old_name: str
    note: str
    old_district: str
    old_district_name: str
    old_province: str


@dataclass
class Finding:
    category: str
    detail: str


@dataclass
class Derived:
    units: list[Unit]
    crosswalk: list[dict[str, str]]
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def read_pre_2025() -> tuple[dict[str, Unit], dict[str, Unit], dict[str, Unit]]:
    """Provinces, districts and communes of the NSO list of 2025-01-04, keyed by code."""
    provinces: dict[str, Unit] = {}
    districts: dict[str, Unit] = {}
    communes: dict[str, Unit] = {}
    with PRE_2025_LIST.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            p_code, d_code, c_code = clean(row["Mã TP"]), clean(row["Mã QH"]), clean(row["Mã PX"])
            provinces.setdefault(p_code, Unit(p_code, clean(row["Tỉnh Thành Phố"]), "province", "", p_code,
                                              ASSUMED_START, LAST_OLD_DAY, True))
            districts.setdefault(d_code, Unit(d_code, clean(row["Quận Huyện"]), "district", p_code, p_code,
                                              ASSUMED_START, LAST_OLD_DAY, True))
            if c_code:  # five island districts have no commune
                communes[c_code] = Unit(c_code, clean(row["Phường Xã"]), "commune", d_code, p_code, ASSUMED_START,
                                        LAST_OLD_DAY, True)
    return provinces, districts, communes


def read_nso_crosswalk() -> tuple[list[NsoRow], list[str]]:
    """The mapping rows of NSO's crosswalk and the headings between them (province titles)."""
    rows: list[NsoRow] = []
    headings: list[str] = []
    with NSO_CROSSWALK.open(encoding="utf-8", newline="") as handle:
        for line, raw in enumerate(csv.reader(handle), start=1):
            if line <= 2:
                continue
            cells = [clean(c) for c in raw] + [""] * (9 - len(raw))
            if not cells[2] and not cells[4]:
                headings.append(cells[0])
                continue
            rows.append(NsoRow(line, code_in_parentheses(cells[0]), cells[2], cells[1], cells[4], cells[3],
                               cells[5], code_in_parentheses(cells[6]), cells[6], code_in_parentheses(cells[7])))
    return rows, headings


def read_new_units() -> tuple[dict[str, Unit], dict[str, Unit]]:
    """The 34 provinces and 3,321 communes in force from 1 July 2025."""
    provinces: dict[str, Unit] = {}
    communes: dict[str, Unit] = {}
    for province in json.loads(NEW_UNITS.read_text(encoding="utf-8")):
        p_code = f"{province['code']:02d}"
        provinces[p_code] = Unit(p_code, clean(province["name"]), "province", "", p_code, REORGANISATION, None)
        for ward in province["wards"]:
            c_code = f"{ward['code']:05d}"
            communes[c_code] = Unit(c_code, clean(ward["name"]), "commune", p_code, p_code, REORGANISATION, None)
    return provinces, communes


def read_dvhcvn() -> tuple[dict[str, set[str]], dict[tuple[str, str], str], dict[str, set[str]], dict[str, str]]:
    """dvhcvn's old → new commune pairs (splits.json), the full/partial type of each pair (merges.json), its
    old → new province map, and its old districts mapped to a new unit (the island districts)."""
    splits: dict[str, set[str]] = defaultdict(set)
    districts: dict[str, str] = {}
    for province in json.loads(DVHCVN_SPLITS.read_text(encoding="utf-8"))["data"]:
        for commune in province["level3s"]:
            splits[commune["level3_id"]].update(s["new_id"] for s in commune["splits"])
        for district in province.get("level2s", []):
            districts[district["level2_id"]] = district["splits"][0]["new_id"]
    types: dict[tuple[str, str], str] = {}
    provinces: dict[str, set[str]] = defaultdict(set)
    for province in json.loads(DVHCVN_MERGES.read_text(encoding="utf-8"))["data"]:
        for old in province["merges"]:
            provinces[old["old_id"]].add(province["level1_id"])
        for commune in province["level2s"]:
            for old in commune["merges"]:
                types[(old["old_id"], commune["level2_id"])] = old["type"]
    return dict(splits), types, dict(provinces), districts


# --- Deriving the seeds -----------------------------------------------------------------------------------

def _whole_population(note: str) -> bool:
    """The note says the old commune's people (or all that was left of it) went to this new commune."""
    lowered = note.lower()
    return ("toàn bộ dân số" in lowered or "toàn bộ diện tích" in lowered or lowered.startswith("phần còn lại")
            or lowered.startswith("đổi tên"))


def _is_partial(note: str) -> bool:
    return "một phần" in note.lower()


def _choose_primary(old: Unit, candidates: list[dict[str, str]], dvhcvn_types: dict[tuple[str, str], str],
                    notes: dict[str, str]) -> tuple[str, str]:
    """(new code, rule) for an old commune whose parts went to several new communes."""
    codes = sorted(c["new_unit_code"] for c in candidates)
    names = {c["new_unit_code"]: c["new_unit_name"] for c in candidates}
    tests = {
        "whole_population": lambda code: _whole_population(notes.get(code, "")),
        "keeps_old_code": lambda code: code == old.code,
        "same_name": lambda code: name_key(bare_name(names[code], "commune")) == name_key(bare_name(old.name,
                                                                                                       "commune")),
        "dvhcvn_full": lambda code: dvhcvn_types.get((old.code, code)) == "full",
    }
    for rule, test in tests.items():
        chosen = [code for code in codes if test(code)]
        if len(chosen) == 1:
            return chosen[0], rule
    return codes[0], "lowest_new_code"


def derive() -> Derived:
    findings: list[Finding] = []

    def find(category: str, detail: str) -> None:
        findings.append(Finding(category, detail))

    old_provinces, old_districts, old_communes = read_pre_2025()
    nso_rows, headings = read_nso_crosswalk()
    new_provinces, new_communes = read_new_units()
    dv_splits, dv_types, dv_provinces, dv_districts = read_dvhcvn()

    # -- The new provinces: three lists must agree.
    with NEW_PROVINCES.open(encoding="utf-8", newline="") as handle:
        cap_tinh = {clean(r[0]): clean(r[1]) for r in csv.reader(handle) if r}
    with DVHCVN_PROVINCES.open(encoding="utf-8", newline="") as handle:
        letter_915 = {clean(r["Mã số"]): clean(r["Tên 34 tỉnh sau sáp nhập"]) for r in csv.DictReader(handle)}
    for source, listed in (("Cap-tinh_2025.csv", cap_tinh), ("915/CTK-CSCL", letter_915)):
        if set(listed) != set(new_provinces):
            find("new provinces", f"{source} codes differ from nested-divisions.json: "
                                  f"{sorted(set(listed) ^ set(new_provinces))}")
        for code, name in sorted(listed.items()):
            if code in new_provinces and name_key(bare_name(name, "province")) != name_key(
                    bare_name(new_provinces[code].name, "province")):
                find("name mismatch", f"province {code}: {source} '{name}' vs nested-divisions "
                                      f"'{new_provinces[code].name}'")

    # -- NSO rows: codes in neither list, headings, duplicates.
    island_rows = [r for r in nso_rows if not r.old_code]
    commune_rows = [r for r in nso_rows if r.old_code]
    pair_count = Counter((r.old_code, r.new_code) for r in commune_rows)
    for (old_code, new_code), n in sorted(pair_count.items()):
        if n > 1:
            find("duplicate", f"NSO pair {old_code} → {new_code} appears {n} times")
    new_spelling = 0
    for r in nso_rows:
        if r.new_code in new_communes and r.new_name != new_communes[r.new_code].name:
            new_spelling += name_key(r.new_name) == name_key(new_communes[r.new_code].name)
        if r.new_code not in new_communes:
            find("code missing", f"NSO line {r.line}: new code {r.new_code} ({r.new_name}) is not among the "
                                 f"3,321 new communes")
        elif name_key(r.new_name) != name_key(new_communes[r.new_code].name):
            find("name mismatch", f"NSO line {r.line}: new {r.new_code} '{r.new_name}' vs list "
                                  f"'{new_communes[r.new_code].name}'")
        if r.new_province and r.new_code in new_communes and r.new_province != new_communes[r.new_code].province:
            find("province mismatch", f"NSO line {r.line}: new commune {r.new_code} filed under province "
                                      f"{r.new_province}, list says {new_communes[r.new_code].province}")
    unlisted_headings = [h for h in headings if code_in_parentheses(h)]
    for heading in unlisted_headings:
        find("stray row", f"NSO row with a province name and no codes: '{heading}'")

    # -- Old codes: typos corrected by name, interim units, names that differ.
    old_codes_in_nso = {r.old_code for r in commune_rows}
    by_district_name: dict[tuple[str, str], list[Unit]] = defaultdict(list)
    for unit in old_communes.values():
        by_district_name[(unit.parent, name_key(unit.name))].append(unit)
    corrected: dict[int, str] = {}
    interim: dict[str, NsoRow] = {}
    spelling = 0
    for r in commune_rows:
        listed = old_communes.get(r.old_code)
        if listed and name_key(listed.name) == name_key(r.old_name):
            spelling += listed.name != r.old_name
            continue
        # A code that names another commune (or none) while a commune of this name in the same district is
        # missing from the crosswalk: a mistyped code, if dvhcvn maps the listed commune the same way.
        matches = [u for u in by_district_name.get((r.old_district, name_key(r.old_name)), [])
                   if u.code not in old_codes_in_nso]
        if len(matches) == 1 and r.new_code in dv_splits.get(matches[0].code, set()):
            corrected[r.line] = matches[0].code
            find("code corrected", f"NSO line {r.line}: old '{r.old_name}' coded {r.old_code}"
                                   f"{' (' + listed.name + ' in the list)' if listed else ''}; the list's "
                                   f"'{matches[0].name}' of district {r.old_district} is {matches[0].code}, "
                                   f"absent from the crosswalk, and dvhcvn maps it to {r.new_code}: "
                                   f"{matches[0].code} used")
        elif listed:
            find("name mismatch", f"NSO line {r.line}: old {r.old_code} '{r.old_name}' vs list '{listed.name}' "
                                  f"(code kept: no unlisted commune of that name in district {r.old_district})")
        else:
            interim.setdefault(r.old_code, r)
    for code, r in sorted(interim.items()):
        in_dv = "also in dvhcvn's list of 2025-03-01" if code in dv_splits else "not in dvhcvn either"
        find("code missing", f"old {code} '{r.old_name}' ({r.old_district_name}) is in the NSO crosswalk but not in "
                             f"the 2025-01-04 list ({in_dv}): a unit formed in 2025 before the reorganisation; "
                             f"kept as an interim unit valid from {INTERIM_START} (assumed)")
    if spelling:
        find("name spelling", f"{spelling} NSO rows spell an old commune's name differently from the list only by "
                              f"tone marks, case or apostrophe (Hoà/Hòa, Thị Trấn/Thị trấn); treated as the same name")
    if new_spelling:
        find("name spelling", f"{new_spelling} NSO rows spell a new commune's name differently from the list of "
                              f"3,321 only by tone marks, case or apostrophe (M'Drắk/M’Drắk); the list's name is used")

    # -- The crosswalk rows, before the split rule.
    links: dict[tuple[str, str], dict[str, str]] = {}
    notes: dict[tuple[str, str], str] = {}
    for r in commune_rows:
        old_code = corrected.get(r.line, r.old_code)
        old = old_communes.get(old_code)
        new = new_communes.get(r.new_code)
        if new is None:
            continue  # reported above; a link to no unit cannot be kept
        key = (old_code, r.new_code)
        notes[key] = r.note
        if key in links:
            continue
        links[key] = {
            "old_unit_code": old_code, "old_unit_name": old.name if old else r.old_name, "old_level": "commune",
            "old_province_code": old.province if old else r.old_province,
            "new_unit_code": r.new_code, "new_unit_name": new.name, "new_level": "commune",
            "new_province_code": new.province, "source": "nso", "nso_note": r.note,
            "is_partial": str(_is_partial(r.note)).lower(),
            "in_dvhcvn": str(r.new_code in dv_splits.get(old_code, set())).lower(),
            "nso_old_code": r.old_code,
        }
        if old and r.old_province and r.old_province != old.province:
            find("province mismatch", f"NSO line {r.line}: old commune {old_code} '{old.name}' filed under old "
                                      f"province {r.old_province}, the list puts it in {old.province}")
        if old and r.old_district and r.old_district != old.parent and old_code not in corrected.values():
            find("district mismatch", f"NSO line {r.line}: old commune {old_code} filed under district "
                                      f"{r.old_district}, the list puts it in {old.parent}")
    districts_with_communes = {u.parent for u in old_communes.values()}
    for r in island_rows:
        district = old_districts.get(r.old_district)
        if r.old_district in districts_with_communes:
            # Not a unit: e.g. "Khu vực bãi bồi ven biển do huyện Kim Sơn quản lý", land a district managed directly.
            find("not a unit", f"NSO line {r.line}: old side '{r.old_name}' ({r.old_district_name}) has no code and "
                               f"is not a unit; its district has communes of its own, so no link is kept")
            continue
        if district and r.old_province and r.old_province != district.province:
            find("province mismatch", f"NSO line {r.line}: old district {r.old_district} '{district.name}' filed "
                                      f"under old province {r.old_province}, the list puts it in {district.province}")
        if r.old_district in old_districts and r.new_code in new_communes:
            new = new_communes[r.new_code]
            links[(r.old_district, r.new_code)] = {
                "old_unit_code": r.old_district, "old_unit_name": old_districts[r.old_district].name,
                "old_level": "district", "old_province_code": old_districts[r.old_district].province,
                "new_unit_code": r.new_code, "new_unit_name": new.name, "new_level": "commune",
                "new_province_code": new.province, "source": "nso", "nso_note": r.note, "is_partial": "false",
                "in_dvhcvn": str(dv_districts.get(r.old_district) == r.new_code).lower(), "nso_old_code": "",
            }
        else:
            find("code missing", f"NSO line {r.line}: island row '{r.old_name or r.old_district_name}' names "
                                 f"no old district of the list")

    # -- NSO against dvhcvn.
    nso_pairs = {(k[0], k[1]) for k, v in links.items() if v["old_level"] == "commune"}
    dv_pairs = {(old, new) for old, news in dv_splits.items() for new in news}
    only_dv = sorted(dv_pairs - nso_pairs)
    only_nso = sorted(nso_pairs - dv_pairs)
    for old, new in only_nso:
        find("NSO vs dvhcvn", f"{old} → {new} only in NSO")
    added_from_dv = 0
    nso_old = {k[0] for k in nso_pairs}
    for old_code, new_code in only_dv:
        old = old_communes.get(old_code)
        new = new_communes.get(new_code)
        if old_code in nso_old or old is None or new is None:
            # NSO maps this old commune elsewhere: NSO is the official table and stays; dvhcvn's pair is reported.
            kept = f" (NSO maps {old_code} elsewhere; NSO kept)" if old_code in nso_old else ""
            find("NSO vs dvhcvn", f"{old_code} → {new_code} only in dvhcvn{kept}")
            continue
        # NSO forgot this listed commune altogether: dvhcvn's link is the only successor known.
        added_from_dv += 1
        links[(old_code, new_code)] = {
            "old_unit_code": old_code, "old_unit_name": old.name, "old_level": "commune",
            "old_province_code": old.province, "new_unit_code": new_code, "new_unit_name": new.name,
            "new_level": "commune", "new_province_code": new.province, "source": "dvhcvn", "nso_note": "",
            "is_partial": str(dv_types.get((old_code, new_code)) == "partial").lower(), "in_dvhcvn": "true",
            "nso_old_code": "",
        }
        find("code missing", f"old {old_code} '{old.name}' is missing from the NSO crosswalk; dvhcvn maps it to "
                             f"{new_code} '{new.name}', link taken from dvhcvn")
    mapped = {v["old_unit_code"] for v in links.values() if v["old_level"] == "commune"}
    orphans = sorted(set(old_communes) - mapped)
    unreached = sorted(set(new_communes) - {v["new_unit_code"] for v in links.values()})
    for code in unreached:
        find("code missing", f"new {code} '{new_communes[code].name}' has no old unit in the crosswalk")

    # -- The split rule.
    by_old: dict[str, list[dict[str, str]]] = defaultdict(list)
    for link in links.values():
        by_old[link["old_unit_code"]].append(link)
    rules = Counter()
    for old_code, candidates in by_old.items():
        split = len(candidates) > 1
        if split:
            old = old_communes.get(old_code) or Unit(old_code, candidates[0]["old_unit_name"], "commune", "", "",
                                                      INTERIM_START, LAST_OLD_DAY, True)
            primary, rule = _choose_primary(old, candidates, dv_types,
                                            {c["new_unit_code"]: notes.get((old_code, c["new_unit_code"]), "")
                                             for c in candidates})
            whole = [c["new_unit_code"] for c in candidates if c["nso_note"] in ("Nhập toàn bộ", "Giữ nguyên")]
            if len(whole) > 1:
                find("contradiction", f"old {old_code} '{old.name}' is 'Nhập toàn bộ' (merged whole) into "
                                      f"{len(whole)} new communes: {', '.join(sorted(whole))}")
            rules[rule] += 1
        for candidate in candidates:
            candidate["is_split"] = str(split).lower()
            candidate["candidates"] = str(len(candidates))
            candidate["is_primary"] = str(not split or candidate["new_unit_code"] == primary).lower()
            candidate["rule"] = rule if split else ("single_successor" if candidate["source"] == "nso"
                                                    else "dvhcvn_only_successor")

    # -- Listed communes in neither mapping ceased between 4 January and 1 July 2025. Where NSO's old side names,
    # in the same district, exactly one other unit with the same name (HCMC's Phường 14 of Bình Thạnh: 26935 in
    # January, 26929 for NSO), the commune went into that unit, and follows it to its successors.
    nso_old_by_name: dict[tuple[str, str], set[str]] = defaultdict(set)
    nso_old_name: dict[str, str] = {}
    for r in commune_rows:
        nso_old_by_name[(r.old_district, name_key(r.old_name))].add(corrected.get(r.line, r.old_code))
        nso_old_name.setdefault(corrected.get(r.line, r.old_code), r.old_name)
    without_successor = []
    for code in orphans:
        unit = old_communes[code]
        hosts = nso_old_by_name.get((unit.parent, name_key(unit.name)), set()) - {code}
        if len(hosts) != 1:
            without_successor.append(code)
            find("code missing", f"old {code} '{unit.name}' (district {unit.parent}) is in the 2025-01-04 list but "
                                 f"in neither mapping, and NSO names no other unit of that name in its district: it "
                                 f"ceased before the reorganisation (dvhcvn's 2025-03-01 list lacks it too); no "
                                 f"current unit")
            continue
        host = hosts.pop()
        for link in by_old[host]:
            links[(code, link["new_unit_code"])] = {
                **link, "old_unit_code": code, "old_unit_name": unit.name, "old_province_code": unit.province,
                "source": "derived", "nso_note": "", "in_dvhcvn": "false", "nso_old_code": host,
                "rule": "via_2025_unit"}
        find("code missing", f"old {code} '{unit.name}' (district {unit.parent}) is in the 2025-01-04 list but in "
                             f"neither mapping; NSO's old side has '{nso_old_name[host]}' {host} in the same "
                             f"district, a unit of 2025: linked to its successors (rule via_2025_unit)")

    # -- Provinces and districts: the province each old one went to.
    province_votes: dict[str, Counter[str]] = defaultdict(Counter)
    for link in links.values():
        province_votes[link["old_province_code"]][link["new_province_code"]] += 1
    crosswalk = list(links.values())
    for code, old in sorted(old_provinces.items()):
        votes = province_votes.get(code, Counter())
        target, _ = votes.most_common(1)[0]
        if len(votes) > 1:
            find("province mismatch", f"old province {code} '{old.name}': its communes went to provinces "
                                      f"{dict(sorted(votes.items()))}; {target} kept (most communes)")
        if dv_provinces.get(code) != {target}:
            find("NSO vs dvhcvn", f"old province {code}: NSO communes go to {target}, dvhcvn says "
                                  f"{sorted(dv_provinces.get(code, set()))}")
        crosswalk.append(_whole_link(old, new_provinces[target], "derived", "province_of_its_communes"))
    island = {link["old_unit_code"] for link in links.values() if link["old_level"] == "district"}
    district_votes: dict[str, Counter[str]] = defaultdict(Counter)
    for link in links.values():
        old = old_communes.get(link["old_unit_code"])
        if link["old_level"] == "commune" and old:
            district_votes[old.parent][link["new_province_code"]] += 1
    for code, old in sorted(old_districts.items()):
        if code in island:
            continue
        votes = district_votes.get(code) or Counter({crosswalk_province(crosswalk, old.province): 1})
        target, _ = votes.most_common(1)[0]
        if len(votes) > 1:
            find("district split", f"old district {code} '{old.name}': communes went to provinces "
                                   f"{dict(sorted(votes.items()))}; {target} kept (most communes)")
        crosswalk.append(_whole_link(old, new_provinces[target], "derived", "province_of_its_communes"))

    # -- Interim units and the dimension.
    units = [*old_provinces.values(), *old_districts.values(), *old_communes.values()]
    for code, r in sorted(interim.items()):
        district = old_districts.get(r.old_district)
        units.append(Unit(code, r.old_name, "commune", r.old_district,
                          district.province if district else r.old_province, INTERIM_START, LAST_OLD_DAY, True))
    unchanged = set()
    for code, new in new_provinces.items():
        old = old_provinces.get(code)
        # A province the reorganisation did not touch (same code, same name, merged with none) stays one version.
        if old and old.name == new.name and dv_provinces.get(code) == {code} and sum(
                1 for targets in dv_provinces.values() if code in targets) == 1:
            unchanged.add(code)
    units = [Unit(u.code, u.name, u.level, u.parent, u.province, u.valid_from, None, u.valid_from_is_assumed)
             if u.level == "province" and u.code in unchanged else u for u in units]
    units += [u for code, u in new_provinces.items() if code not in unchanged]
    units += list(new_communes.values())
    crosswalk = [link for link in crosswalk
                 if not (link["old_level"] == "province" and link["old_unit_code"] in unchanged)]
    units.sort(key=lambda u: (("province", "district", "commune").index(u.level), u.code, u.valid_from))
    crosswalk.sort(key=lambda c: (("province", "district", "commune").index(c["old_level"]), c["old_unit_code"],
                                  c["new_unit_code"]))
    counts = {
        "pre-2025 provinces": len(old_provinces), "pre-2025 districts": len(old_districts),
        "pre-2025 communes": len(old_communes), "interim communes (2025)": len(interim),
        "new provinces": len(new_provinces), "provinces unchanged": len(unchanged),
        "new communes": len(new_communes), "NSO mapping rows": len(nso_rows),
        "NSO commune pairs kept": sum(1 for c in crosswalk if c["source"] == "nso" and c["old_level"] == "commune"),
        "dvhcvn pairs": len(dv_pairs), "pairs in both": len(nso_pairs & dv_pairs),
        "pairs only in NSO": len(only_nso), "pairs only in dvhcvn": len(only_dv),
        "links taken from dvhcvn": added_from_dv, "codes corrected": len(corrected),
        "old communes split": sum(1 for v in by_old.values() if len(v) > 1),
        "old communes linked through a 2025 unit": len(orphans) - len(without_successor),
        "old communes without successor": len(without_successor),
        **{f"splits resolved by {rule}": rules[rule] for rule in SPLIT_RULES},
    }
    return Derived(units, crosswalk, findings, counts)


def crosswalk_province(crosswalk: list[dict[str, str]], old_province: str) -> str:
    return next(c["new_unit_code"] for c in crosswalk
                if c["old_level"] == "province" and c["old_unit_code"] == old_province)


def _whole_link(old: Unit, new: Unit, source: str, rule: str) -> dict[str, str]:
    return {"old_unit_code": old.code, "old_unit_name": old.name, "old_level": old.level,
            "old_province_code": old.province, "new_unit_code": new.code, "new_unit_name": new.name,
            "new_level": new.level, "new_province_code": new.province, "source": source, "nso_note": "",
            "is_partial": "false", "is_split": "false", "candidates": "1", "is_primary": "true", "rule": rule,
            "in_dvhcvn": "", "nso_old_code": ""}


# --- Writing ----------------------------------------------------------------------------------------------

def _csv(columns: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def units_csv(derived: Derived) -> str:
    return _csv(UNIT_COLUMNS, ((u.code, u.name, u.kind, u.level, u.parent, u.province, u.valid_from.isoformat(),
                                u.valid_to.isoformat() if u.valid_to else "", str(u.valid_from_is_assumed).lower())
                               for u in derived.units))


def crosswalk_csv(derived: Derived) -> str:
    return _csv(CROSSWALK_COLUMNS, ([c[k] for k in CROSSWALK_COLUMNS] for c in derived.crosswalk))


def _natural(text: str) -> list[object]:
    # "NSO line 426" before "NSO line 1005".
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def report_md(derived: Derived) -> str:
    lines = ["# Administrative units: what the reference data holds, and its defects", "",
             "Generated by `python -m kho.reference` from reference_data/admin_units/ (do not edit by hand). "
             "How the defects are handled: docs/admin_units.md.", "", "## Counts", "", "| | |", "|---|---:|"]
    lines += [f"| {name} | {value:,} |" for name, value in derived.counts.items()]
    by_category: dict[str, list[str]] = defaultdict(list)
    for finding in derived.findings:
        by_category[finding.category].append(finding.detail)
    lines += ["", "## Defects by kind", "", "| kind | findings |", "|---|---:|"]
    lines += [f"| {category} | {len(details):,} |" for category, details in sorted(by_category.items())]
    for category, details in sorted(by_category.items()):
        lines += ["", f"## {category} ({len(details):,})", ""]
        lines += [f"- {detail}" for detail in sorted(details, key=_natural)]
    return "\n".join(lines) + "\n"


def write(derived: Derived | None = None) -> list[Path]:
    derived = derived or derive()
    SEED_DIR.mkdir(parents=True, exist_ok=True)
    UNITS_SEED.write_text(units_csv(derived), encoding="utf-8")
    CROSSWALK_SEED.write_text(crosswalk_csv(derived), encoding="utf-8")
    REPORT.write_text(report_md(derived), encoding="utf-8")
    return [UNITS_SEED, CROSSWALK_SEED, REPORT]


if __name__ == "__main__":
    result = derive()
    for written in write(result):
        print(f"wrote {written}")
    for name, value in result.counts.items():
        print(f"{name}: {value:,}")
