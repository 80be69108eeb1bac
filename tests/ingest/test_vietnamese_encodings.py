"""TCVN3 and VNI: known strings both ways, every letter round-trips, and the detector never guesses wildly."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.vietnamese_encodings import TCVN3, VNI, decode, detect, encode, is_vietnamese_syllable

KNOWN = {
    # text: (TCVN3 bytes, VNI bytes), as the ABC and VNI keyboards typed them
    "Trạm Y tế xã Mỹ Yên": (b"Tr\xb9m Y t\xd5 x\xb7 M\xfc Y\xaan", b"Tra\xefm Y te\xe1 xa\xf5 My\xf5 Ye\xe2n"),
    "Bệnh viện Đa khoa Long An": (b"B\xd6nh vi\xd6n \xa7a khoa Long An", b"Be\xe4nh vie\xe4n \xd1a khoa Long An"),
    "Trường Trung học cơ sở": (b"Tr\xad\xeang Trung h\xe4c c\xac s\xeb",
                               b"Tr\xf6\xf4\xf8ng Trung ho\xefc c\xf4 s\xf4\xfb"),
    "Thị trấn Bến Lức": (b"Th\xde tr\xcan B\xd5n L\xf8c", b"Th\xf2 tra\xe1n Be\xe1n L\xf6\xf9c"),
}

VIETNAMESE_LETTERS = sorted(
    {unicodedata.normalize("NFC", base + tone) for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
     for tone in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")} | {"đ", "Đ"}
)
# TCVN3 (VN3) has no code for these capitals; TCVN 5712 VN1 had them only among the control characters.
NOT_IN_TCVN3 = set("ÚÝỤỨỪỬỮỰỲỴỶỸ")


@pytest.mark.parametrize("text", KNOWN)
def test_known_strings_both_ways(text: str) -> None:
    tcvn3, vni = KNOWN[text]
    assert encode(text, TCVN3) == tcvn3 and decode(tcvn3, TCVN3) == text
    assert encode(text, VNI) == vni and decode(vni, VNI) == text
    assert detect(tcvn3 + b" " + tcvn3).encoding == TCVN3
    assert detect(vni + b" " + vni).encoding == VNI


def test_decoding_gives_nfc() -> None:
    assert unicodedata.is_normalized("NFC", decode(b"Nguye\xe3n", VNI))  # e + circumflex-tilde byte → ễ
    assert decode(b"Nguye\xe3n", VNI) == "Nguyễn"


@pytest.mark.parametrize("encoding", [TCVN3, VNI])
def test_every_vietnamese_letter_round_trips(encoding: str) -> None:
    for letter in VIETNAMESE_LETTERS:
        if encoding == TCVN3 and letter in NOT_IN_TCVN3:
            with pytest.raises(ValueError, match="cannot encode"):
                encode(letter, encoding)
            continue
        assert decode(encode(letter, encoding), encoding) == letter, letter


def test_a_longer_text_is_detected_for_both() -> None:
    text = "Số lượt khám, Số lượt nội trú, Giới tính, Nhóm tuổi, Trung tâm Y tế huyện Cần Giuộc, Phường Tân Khánh"
    assert detect(encode(text, TCVN3)).encoding == TCVN3
    assert detect(encode(text, VNI)).encoding == VNI


def _cp1258(text: str) -> bytes:
    """Windows-1258 writes ô, ơ, ư, … whole and the tone as a combining mark after them."""
    out = b""
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in parts if c in "\u0300\u0301\u0303\u0309\u0323")
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out += (base + tones).encode("cp1258")
    return out


def test_undetermined_when_neither_convinces() -> None:
    assert detect(b"plain ASCII, nothing to go by").encoding is None
    guess = detect(_cp1258("Số lượt khám Nhóm tuổi Giới tính"))  # Windows-1258: neither of the two
    assert guess.encoding is None and "neither" in guess.reason
    assert detect(bytes(range(256)) * 4).encoding is None


def test_syllables() -> None:
    for word in ("nghiêng", "khuya", "giữa", "gì", "trường", "quốc", "oẳn", "xoong"):
        assert is_vietnamese_syllable(word), word
    for word in ("traùm", "taõm", "aự", "bkz", "tiếngg"):
        assert not is_vietnamese_syllable(word), word


@given(st.binary(max_size=4000))
@settings(max_examples=300, deadline=None)
def test_detect_and_decode_never_crash_on_arbitrary_bytes(data: bytes) -> None:
    guess = detect(data)
    assert guess.encoding in (None, TCVN3, VNI) and guess.reason
    for encoding in (TCVN3, VNI):
        assert isinstance(decode(data, encoding), str)


_ENCODABLE = st.text(alphabet=st.sampled_from([*VIETNAMESE_LETTERS, *"bcdghklmnpqrstvx ,.-0123456789"]),
                     max_size=200)


@given(_ENCODABLE)
@settings(max_examples=300, deadline=None)
def test_round_trip_property(text: str) -> None:
    assert decode(encode(text, VNI), VNI) == text
    if not set(text) & NOT_IN_TCVN3:
        assert decode(encode(text, TCVN3), TCVN3) == text
