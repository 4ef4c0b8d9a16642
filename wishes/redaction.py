"""Masking what could name or locate a child in text the public will read.

Staff always see and may edit the result before a wish is published; this is the first
pass, so it errs on the side of masking too much.
"""

import re

from wishes.models import Child

MASK = "**"

_PATTERNS = [
    # Resident ID numbers: 18 characters (last may be X) or the old 15 digits.
    re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)|(?<!\d)\d{15}(?!\d)"),
    # Mobile numbers, landlines with area code, and any other long run of digits.
    re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"),
    re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)"),
    re.compile(r"(?<!\d)\d{7,}(?!\d)"),
    # Street addresses: "<name>路/街/大道 12弄 3号 501室" and housing estates.
    re.compile(
        r"[\u4e00-\u9fff]{1,8}(?:路|街|大道|公路|巷)"
        r"(?:\s*\d+\s*(?:弄|号|支弄|栋|幢|楼|单元|室))*"
    ),
    re.compile(r"\d+\s*(?:弄|号楼|号|栋|幢|单元|室)"),
    re.compile(r"[\u4e00-\u9fff]{1,8}(?:小区|新村|公寓|花园|家园|苑)"),
    # Class names such as 三(2)班 or 3年级2班.
    re.compile(
        r"[一二三四五六七八九\d]+\s*(?:年级)?\s*[（(]?\s*[一二三四五六七八九十\d]+\s*[)）]?\s*班"
    ),
]


def _name_variants(full_name: str) -> list[str]:
    """The full name and, for Chinese names, the given name without the surname."""
    name = full_name.strip()
    variants = [name]
    if len(name) >= 3:
        variants.append(name[1:])
    return [v for v in variants if len(v) >= 2]


def redact(text: str, *, names: list[str] = (), places: list[str] = ()) -> str:
    """Return `text` with the given names and places and anything like a number masked."""
    words = sorted(
        {w for name in names for w in _name_variants(name)}
        | {p.strip() for p in places if len(p.strip()) >= 2},
        key=len,
        reverse=True,
    )
    for word in words:
        text = text.replace(word, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    # Runs of masks read badly and hint at length.
    return re.sub(r"(?:\*\*\s*)+", MASK, text)


def redact_for_child(text: str, child: Child) -> str:
    """Mask the child's and guardian's names, school, class and address in `text`."""
    return redact(
        text,
        names=[child.real_name, child.guardian_name],
        places=[child.school.name, child.class_name, child.address],
    )
