"""How an old office PC writes Vietnamese in TCVN3 (ABC) or VNI-Windows: the sender's side, written apart from
Kho's own converter (ingest/vietnamese_encodings.py) so that each checks the other."""

from __future__ import annotations

import unicodedata

GRAVE, HOOK, TILDE, ACUTE, DOT = "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"
TONES = (GRAVE, HOOK, TILDE, ACUTE, DOT)
CIRCUMFLEX, BREVE, HORN = "\u0302", "\u0306", "\u031b"

# TCVN3: each lower-case letter, bare then with grave, hook, tilde, acute, dot (the ABC keyboard's order).
_TCVN3_ROWS = {
    "a": (0x61, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9), "ă": (0xA8, 0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xA9, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB), "e": (0x65, 0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xAA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6), "i": (0x69, 0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (0x6F, 0xDF, 0xE1, 0xE2, 0xE3, 0xE4), "ô": (0xAB, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xAC, 0xEA, 0xEB, 0xEC, 0xED, 0xEE), "u": (0x75, 0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xAD, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9), "y": (0x79, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}
_TCVN3_CAPITALS = {"Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7, "đ": 0xAE}

# VNI: the byte after the base letter, lower case; a capital's is 0x20 lower.
_VNI_MARK = {
    ("", GRAVE): 0xF8, ("", HOOK): 0xFB, ("", TILDE): 0xF5, ("", ACUTE): 0xF9, ("", DOT): 0xEF,
    (CIRCUMFLEX, ""): 0xE2, (CIRCUMFLEX, GRAVE): 0xE0, (CIRCUMFLEX, HOOK): 0xE5, (CIRCUMFLEX, TILDE): 0xE3,
    (CIRCUMFLEX, ACUTE): 0xE1, (CIRCUMFLEX, DOT): 0xE4,
    (BREVE, ""): 0xEA, (BREVE, GRAVE): 0xE8, (BREVE, HOOK): 0xFA, (BREVE, TILDE): 0xFC, (BREVE, ACUTE): 0xE9,
    (BREVE, DOT): 0xEB,
}
_VNI_I = {"": 0x69, GRAVE: 0xEC, HOOK: 0xE6, TILDE: 0xF3, ACUTE: 0xED, DOT: 0xF2}  # i with a tone: one byte


def _parts(char: str) -> tuple[str, str, str]:
    """'ấ' → ('a', circumflex, acute); 'ớ' → ('o', horn, acute)."""
    decomposed = unicodedata.normalize("NFD", char)
    tone = next((c for c in decomposed if c in TONES), "")
    quality = next((c for c in decomposed if c in (CIRCUMFLEX, BREVE, HORN)), "")
    return decomposed[0], quality, tone


def to_tcvn3(text: str) -> bytes:
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        if char < "\x80":
            out.append(ord(char))
        elif char in _TCVN3_CAPITALS:
            out.append(_TCVN3_CAPITALS[char])
        else:
            base, quality, tone = _parts(char.lower())  # VN3 has no toned capitals: the "H" fonts drew these
            letter = unicodedata.normalize("NFC", base + quality)
            if letter == "đ":
                out.append(0xAE)
                continue
            if letter not in _TCVN3_ROWS:
                raise ValueError(f"TCVN3 cannot write {char!r}")
            out.append(_TCVN3_ROWS[letter][(0, *TONES).index(tone) if tone else 0])
    return bytes(out)


def to_vni(text: str) -> bytes:
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        if char < "\x80":
            out.append(ord(char))
            continue
        capital = char.isupper()
        shift = 0x20 if capital else 0
        if char in "đĐ":
            out.append(0xF1 - shift)
            continue
        base, quality, tone = _parts(char)
        lower = base.lower()
        if lower not in "aeiouy":
            raise ValueError(f"VNI cannot write {char!r}")
        if lower == "i":
            out.append(_VNI_I[tone] - (shift if tone else 0) if tone else ord(base))
        elif lower == "y" and tone == DOT:
            out.append(0xEE - shift)
        elif quality == HORN:
            out.append((0xF4 if lower == "o" else 0xF6) - shift)
            if tone:
                out.append(_VNI_MARK[("", tone)] - shift)
        else:
            out.append(ord(base))
            if quality or tone:
                out.append(_VNI_MARK[(quality, tone)] - shift)
    return bytes(out)
