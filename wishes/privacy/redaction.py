"""Masking what could name or locate a child in text the public will read.

Staff always see and may edit the result before a wish is published; this is the first
pass, so it errs on the side of masking too much. Public pages also run
`mask_contact_details` over the published text, so a phone number or ID number that slipped
through review is still never shown.
"""

import functools
import re
from collections.abc import Sequence

from wishes.models import Child

MASK = "**"

# Numbers and handles that reach a family: always masked, also when the public text is shown.
_CONTACT_PATTERNS = [
    # Resident ID numbers: 18 characters (last may be X) or the old 15 digits.
    re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)|(?<!\d)\d{15}(?!\d)"),
    # Mobile numbers, with or without +86 and separators.
    re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"),
    # Landlines with an area code, also written as (021)58881234.
    re.compile(r"[（(]0\d{2,3}[)）]\s*\d{7,8}(?!\d)|(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)"),
    # Any other long run of digits (local numbers, QQ numbers, account numbers).
    re.compile(r"(?<!\d)\d{7,}(?!\d)"),
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    # WeChat and QQ handles given after their name.
    re.compile(r"(?:微信号?|[Ww]e[Cc]hat|QQ号?|qq号?)\s*[:：]?\s*[A-Za-z0-9_-]{5,}"),
]

_ROAD = r"(?:路|街(?!道|坊|头)|大道|公路|巷)"
_NUMBER_PART = r"\s*\d+\s*(?:支弄|弄|号楼|号|栋|幢|楼|单元|室)"

# Street addresses, estates and classes: masked when staff prepare the public text.
_PLACE_PATTERNS = [
    # "<road> 12弄 3号 501室": a road name followed by a house or lane number.
    re.compile(rf"[\u4e00-\u9fff]{{1,5}}{_ROAD}(?:{_NUMBER_PART})+"),
    # A bare road name where the text says the family lives there.
    re.compile(rf"(?:(?<=住在)|(?<=家住)|(?<=家在)|(?<=住))[\u4e00-\u9fff]{{1,5}}?{_ROAD}"),
    re.compile(_NUMBER_PART.removeprefix(r"\s*")),
    # Housing estates: 锦绣苑, 联洋新村, 仁恒家园 …
    re.compile(r"[\u4e00-\u9fff]{2,4}(?:小区|新村|公寓|花园|家园|苑)"),
    # Class names such as 三(2)班, 三年级二班 or 3年级2班.
    re.compile(
        r"[一二三四五六七八九\d]+\s*(?:年级)?\s*[（(]?\s*[一二三四五六七八九十\d]+\s*[)）]?\s*班"
    ),
]


# What a draft says instead of each place pattern: roads and estates, a bare road, a house
# number, a class.
_PLACE_WORDS = ["附近的小区", "附近", "", "附近的小区", "班上"]

# Place patterns cannot see where a Chinese word starts, so a match may swallow the words
# before a place ("我家在花木路…"); those are given back so the sentence still reads.
_LEADING_WORDS = re.compile(r"^(?:我们|我)?(?:家住在|家住|家在|住在|住|在|到|去)")


def _mask_place(match: re.Match) -> str:
    kept = _LEADING_WORDS.match(match.group())
    return (kept.group() if kept else "") + MASK


def _name_variants(full_name: str) -> list[str]:
    """The full name and, for Chinese names, the given name without the surname."""
    name = full_name.strip()
    variants = [name]
    if len(name) >= 3:
        variants.append(name[1:])
    return [v for v in variants if len(v) >= 2]


def _collapse(text: str) -> str:
    # Runs of masks read badly and hint at length.
    return re.sub(r"(?:\*\*\s*)+", MASK, text)


def mask_contact_details(text: str) -> str:
    """Mask ID numbers, phone numbers, e-mail addresses and chat handles in `text`."""
    masked = text
    for pattern in _CONTACT_PATTERNS:
        masked = pattern.sub(MASK, masked)
    return text if masked == text else _collapse(masked)


def redact(text: str, *, names: Sequence[str] = (), places: Sequence[str] = ()) -> str:
    """Return `text` with the given names and places and anything like a number masked."""
    words = sorted(
        {w for name in names for w in _name_variants(name)}
        | {p.strip() for p in places if len(p.strip()) >= 2},
        key=len,
        reverse=True,
    )
    for word in words:
        text = text.replace(word, MASK)
    for pattern in _CONTACT_PATTERNS:
        text = pattern.sub(MASK, text)
    for pattern in _PLACE_PATTERNS:
        text = pattern.sub(_mask_place, text)
    return _collapse(text)


# What a draft says instead of each kind of identifier the guard found, so that the
# sentence still reads: 我叫小林同学, 在学校读书, 住在附近的小区.
_NATURAL = {
    "school": "学校",
    "class": "班上",
    "address": "附近的小区",
    "family": "家人",
    "private": "家人",
}
# A family member named after their kinship ("爸爸李大山") is just "爸爸".
_KINSHIP = re.compile(
    r"(?:爸爸|妈妈|爷爷|奶奶|外公|外婆|姥姥|姥爷|哥哥|姐姐|弟弟|妹妹|叔叔|阿姨|舅舅|姑姑|爸|妈)$"
)


def _natural_word(kind: str, before: str, previous_kind: str | None, alias: str) -> str:
    if kind == "name":
        return alias
    if kind in ("family", "private") and _KINSHIP.search(before):
        return ""
    if kind == "class" and previous_kind == "school":
        # "花木中心小学四(1)班" is one place: "学校".
        return ""
    return _NATURAL.get(kind, MASK)


def _natural_places(text: str) -> str:
    """Contact details masked and other places named generically, in text between hits."""
    for pattern in _CONTACT_PATTERNS:
        text = pattern.sub(MASK, text)
    for pattern, word in zip(_PLACE_PATTERNS, _PLACE_WORDS, strict=True):
        text = pattern.sub(functools.partial(_say_instead, word=word), text)
    return text


def _say_instead(match: re.Match, *, word: str) -> str:
    return _leading(match) + word


def _leading(match: re.Match) -> str:
    kept = _LEADING_WORDS.match(match.group())
    return kept.group() if kept else ""


def redact_for_child(text: str, child: Child) -> str:
    """A first draft of a text others will read: everything the privacy guard would refuse
    replaced by words that keep the sentence readable (我叫小林同学, 在学校读书, 住在附近的小区),
    other places named generically and numbers masked.

    Staff check and edit it before it goes out; the guard checks it again then.
    """
    from wishes.privacy.guard import find_identifiers

    parts: list[str] = []
    position = 0
    previous: tuple[str, int] | None = None
    for hit in find_identifiers(text, child=child):
        adjacent = previous is not None and previous[1] == hit.start
        previous_kind = previous[0] if previous is not None and adjacent else None
        parts.append(_natural_places(text[position : hit.start]))
        parts.append(_natural_word(hit.kind, "".join(parts), previous_kind, child.alias))
        position = hit.end
        previous = (hit.kind, hit.end)
    parts.append(_natural_places(text[position:]))
    return _collapse("".join(parts))
