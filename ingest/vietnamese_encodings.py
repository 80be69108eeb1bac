"""The legacy Vietnamese 8-bit encodings TCVN3 (ABC) and VNI-Windows: decode, encode, and tell them apart.

Before Unicode, Vietnamese offices typed in fonts whose bytes meant Vietnamese letters: TCVN3 (TCVN 5712:1993,
the ".Vn" fonts of the ABC keyboard) gives each lower-case letter with its marks one byte; VNI-Windows (the
"VNI-" fonts) writes a base letter followed by one byte for its marks. Old spreadsheets and exports still
arrive in them. Neither says what it is, so `detect` decodes a sample both ways and keeps the reading whose
words are Vietnamese syllables; when neither reading convinces, it says so instead of guessing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

TCVN3 = "tcvn3"
VNI = "vni"

# TCVN3 (VN3): lower-case letters, and the upper-case letters with a vowel mark but no tone, in 0xA1-0xFE.
_TCVN3_CORE = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}
# Upper case with a tone had no code in VN3 (an "H" font drew the lower-case codes as capitals). TCVN 5712's
# fuller table (VN1) put most of them in 0x80-0xFF where VN3 left gaps, and some tools wrote those; they are
# read and written here too. VN1's capitals in the C0 control range (Ú, Ụ, Ừ, …) are not: in a CSV those bytes
# are control characters, and reading them as letters would turn a broken file into plausible text.
_TCVN3_VN1 = {
    0x80: "À", 0x81: "Ả", 0x82: "Ã", 0x83: "Á", 0x84: "Ạ", 0x85: "Ặ", 0x86: "Ậ", 0x87: "È",
    0x88: "Ẻ", 0x89: "Ẽ", 0x8A: "É", 0x8B: "Ẹ", 0x8C: "Ệ", 0x8D: "Ì", 0x8E: "Ỉ", 0x8F: "Ĩ",
    0x90: "Í", 0x91: "Ị", 0x92: "Ò", 0x93: "Ỏ", 0x94: "Õ", 0x95: "Ó", 0x96: "Ọ", 0x97: "Ộ",
    0x98: "Ờ", 0x99: "Ở", 0x9A: "Ỡ", 0x9B: "Ớ", 0x9C: "Ợ", 0x9D: "Ù", 0x9E: "Ủ", 0x9F: "Ũ",
    0xAF: "Ằ", 0xB0: "\u0300", 0xB1: "\u0309", 0xB2: "\u0303", 0xB3: "\u0301", 0xB4: "\u0323",
    0xBA: "Ẳ", 0xBF: "Ẵ", 0xC0: "Ắ", 0xC1: "Ầ", 0xC2: "Ẩ", 0xC3: "Ẫ", 0xC4: "Ấ", 0xC5: "Ề",
    0xCD: "Ể", 0xD9: "Ễ", 0xDA: "Ế", 0xDB: "Ồ", 0xE0: "Ổ", 0xF0: "Ỗ", 0xFF: "Ố",
}
_TCVN3_DECODE = {**{b: chr(b) for b in range(0x80)}, 0xA0: "\u00a0", **_TCVN3_VN1, **_TCVN3_CORE}
# Decoding never fails: a byte with no meaning reads as the Latin-1 character, which no syllable contains.
_TCVN3_TABLE = "".join(_TCVN3_DECODE.get(b, chr(b)) for b in range(256))
_TCVN3_ENCODE = {text: bytes([b]) for b, text in sorted(_TCVN3_DECODE.items(), reverse=True)
                 if b >= 0x80 and len(text) == 1 and not unicodedata.combining(text)}

# VNI-Windows: a base letter, then a byte for its marks (the lower-case mark bytes follow lower-case letters,
# the upper-case ones capitals). Some letters are a single byte of their own.
_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_CIRCUMFLEX, _BREVE = "\u0302", "\u0306"
_VNI_MARKS = {  # lower-case byte, upper-case byte → the marks it adds to the letter before it
    (0xF9, 0xD9): _ACUTE, (0xF8, 0xD8): _GRAVE, (0xFB, 0xDB): _HOOK, (0xF5, 0xD5): _TILDE, (0xEF, 0xCF): _DOT,
    (0xE2, 0xC2): _CIRCUMFLEX, (0xE1, 0xC1): _CIRCUMFLEX + _ACUTE, (0xE0, 0xC0): _CIRCUMFLEX + _GRAVE,
    (0xE5, 0xC5): _CIRCUMFLEX + _HOOK, (0xE3, 0xC3): _CIRCUMFLEX + _TILDE, (0xE4, 0xC4): _CIRCUMFLEX + _DOT,
    (0xEA, 0xCA): _BREVE, (0xE9, 0xC9): _BREVE + _ACUTE, (0xE8, 0xC8): _BREVE + _GRAVE,
    (0xFA, 0xDA): _BREVE + _HOOK, (0xFC, 0xDC): _BREVE + _TILDE, (0xEB, 0xCB): _BREVE + _DOT,
}
_VNI_LETTERS = {  # lower-case byte, upper-case byte → letter
    (0xF4, 0xD4): "ơ", (0xF6, 0xD6): "ư", (0xF1, 0xD1): "đ", (0xED, 0xCD): "í", (0xEC, 0xCC): "ì",
    (0xE6, 0xC6): "ỉ", (0xF3, 0xD3): "ĩ", (0xF2, 0xD2): "ị", (0xEE, 0xCE): "ỵ",
}
_VNI_DECODE: dict[int, str] = {b: chr(b) for b in range(0x80)}
for (_lower, _upper), _marks in _VNI_MARKS.items():
    _VNI_DECODE[_lower] = _VNI_DECODE[_upper] = _marks
for (_lower, _upper), _letter in _VNI_LETTERS.items():
    _VNI_DECODE[_lower], _VNI_DECODE[_upper] = _letter, _letter.upper()
_VNI_TABLE = [_VNI_DECODE.get(b, chr(b)) for b in range(256)]


def _vni_encode_table() -> dict[str, bytes]:
    """Every composed letter VNI can write, found by decoding every base + mark byte it allows."""
    table: dict[str, bytes] = {}
    # The letters VNI writes as one byte (í, ị, ỵ, ơ, …) first: VNI fonts draw "i" + a mark byte too, but
    # typing in VNI produces the single byte.
    bases = [bytes([b]) for pair in _VNI_LETTERS for b in pair] + [bytes([ord(c)]) for c in "aeiouyAEIOUY"]
    for base in bases:
        table.setdefault(decode(base, VNI), base)
        upper = base.decode("latin-1").isupper()
        for lower_byte, upper_byte in _VNI_MARKS:
            raw = base + bytes([upper_byte if upper else lower_byte])
            text = decode(raw, VNI)
            if len(text) == 1:  # a real letter (a mark Unicode cannot compose onto that base is not one)
                table.setdefault(text, raw)
    return table


def decode(data: bytes, encoding: str) -> str:
    """Bytes in TCVN3 or VNI as Unicode NFC text. Never fails: bytes without meaning read as Latin-1."""
    if encoding == TCVN3:
        text = data.decode("latin-1").translate(_TCVN3_TABLE)
    elif encoding == VNI:
        text = "".join(_VNI_TABLE[b] for b in data)
    else:
        raise ValueError(f"unknown legacy encoding {encoding!r}; expected {TCVN3!r} or {VNI!r}")
    return unicodedata.normalize("NFC", text)


_VNI_ENCODE: dict[str, bytes] = {}


def encode(text: str, encoding: str) -> bytes:
    """Unicode text in TCVN3 or VNI, as a legacy export writes it. A character the encoding cannot hold raises
    ValueError (in TCVN3: Ú Ụ Ừ Ử Ữ Ứ Ự Ỳ Ỷ Ỹ Ý Ỵ, which only VN1's control-range codes had)."""
    if encoding == TCVN3:
        table = _TCVN3_ENCODE
    elif encoding == VNI:
        if not _VNI_ENCODE:
            _VNI_ENCODE.update(_vni_encode_table())
        table = _VNI_ENCODE
    else:
        raise ValueError(f"unknown legacy encoding {encoding!r}; expected {TCVN3!r} or {VNI!r}")
    out = bytearray()
    for position, char in enumerate(unicodedata.normalize("NFC", text)):
        if char < "\x80":
            out += char.encode("ascii")
        elif char in table:
            out += table[char]
        else:
            raise ValueError(f"{encoding} cannot encode {char!r} (position {position} of {text[:60]!r})")
    return bytes(out)


# A Vietnamese syllable: onset, vowel nucleus, coda. Nuclei that end in a glide take no coda. Tone marks are
# stripped before matching, and a syllable carries at most one.
_ONSETS = "ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x"
_CLOSED = "uyê|iê|yê|uô|ươ|oa|oă|oe|oo|uâ|uê|uy|ưu|a|ă|â|e|ê|i|o|ô|ơ|u|ư|y"
_OPEN = ("iêu|yêu|oai|oay|oeo|uây|uôi|ươi|ươu|uya|uyu|ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oi|ôi|ơi|ua|ui|ưa|ưi|ưu"
         "|uơ")
_CODAS = "ng|nh|ch|c|m|n|p|t"
_SYLLABLE = re.compile(rf"(?:{_ONSETS})?(?:(?:{_CLOSED})(?:{_CODAS})?|(?:{_OPEN}))")
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_WORD = re.compile(r"[^\s\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+")


def is_vietnamese_syllable(word: str) -> bool:
    """Whether `word` can be one written Vietnamese syllable (spelling, not vocabulary)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(1 for c in decomposed if c in _TONES)
    if tones > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    return bool(_SYLLABLE.fullmatch(bare)) or bare == "gi"


@dataclass(frozen=True)
class Guess:
    """What `detect` concluded about a sample that is not UTF-8."""

    encoding: str | None  # TCVN3, VNI, or None when neither is convincing
    scores: dict[str, float]  # share of the sample's non-ASCII words that read as Vietnamese, per encoding
    words: int  # non-ASCII words in the sample
    reason: str  # for a person: why this encoding, or why none


MIN_WORDS = 3
MIN_SCORE = 0.8
MIN_MARGIN = 0.3


def detect(sample: bytes, *, max_words: int = 2000) -> Guess:
    """Tell TCVN3 from VNI by their byte patterns: read each word that has a byte above 0x7F both ways and
    count the readings that are Vietnamese syllables. The better reading wins only if it is clearly good
    (≥ 80% of at least 3 words) and clearly better than the other (by 30 points); otherwise the encoding is
    undetermined, and the reason says why."""
    words = []
    for match in _WORD.finditer(sample.decode("latin-1")):
        token = match.group()
        if not token.isascii():
            words.append(token.encode("latin-1"))
            if len(words) >= max_words:
                break
    if len(words) < MIN_WORDS:
        return Guess(None, {}, len(words), f"only {len(words)} word(s) with bytes above 0x7F: too few to tell "
                                           "TCVN3 from VNI")
    scores = {}
    for encoding in (TCVN3, VNI):
        valid = sum(1 for w in words if all(is_vietnamese_syllable(p) for p in decode(w, encoding).split()))
        scores[encoding] = round(valid / len(words), 3)
    best, other = sorted(scores, key=lambda e: scores[e], reverse=True)
    shown = ", ".join(f"{e} {scores[e]:.0%}" for e in (TCVN3, VNI))
    if scores[best] >= MIN_SCORE and scores[best] - scores[other] >= MIN_MARGIN:
        return Guess(best, scores, len(words), f"{best}: {shown} of {len(words)} words read as Vietnamese")
    return Guess(None, scores, len(words), f"neither TCVN3 nor VNI reads as Vietnamese with confidence "
                                           f"({shown} of {len(words)} words)")
