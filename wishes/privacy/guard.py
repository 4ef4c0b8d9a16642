"""The privacy guard: text about a child leaves the association only if it names nobody.

Every path that lets text about a child out (publishing a wish, editing the public text of
an open wish, approving a letter, the feed, wish cards, e-mail and SMS bodies) asks
`check_text` first. It looks for everything recorded that identifies the child: names (in
full, the given name alone, in pinyin), the guardian's, the private words staff recorded
(siblings, nicknames), the school, the class, the address and its estate, and the phone; and
for anything that reaches a family whatever the child: ID and phone numbers, e-mail
addresses, chat handles. Text is compared folded: traditional characters as simplified,
full-width as half-width, Chinese numerals as digits, spaces and separators left out, so
"王 小 美", "王小美" in traditional script and "一三八…" are all found.

A hit refuses the action with a `PrivacyRefusal`, a TransitionError whose message names
the kinds found and whose `as_html()` shows the text with the words marked.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import opencc
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pypinyin import lazy_pinyin

from huamu.errors import TransitionError
from wishes.models import Child, Wish

if TYPE_CHECKING:  # the stubs' name for "a str or a lazy translation"
    from django_stubs_ext import StrOrPromise

# What each kind of identifier is called in the refusal.
KIND_LABELS = {
    "name": gettext_lazy("the child's name"),
    "family": gettext_lazy("a family member's name"),
    "private": gettext_lazy("a private word recorded on the child"),
    "school": gettext_lazy("the school"),
    "class": gettext_lazy("the class"),
    "address": gettext_lazy("the address"),
    "phone": gettext_lazy("a phone number"),
    "id": gettext_lazy("an ID number"),
    "mail": gettext_lazy("an e-mail address"),
    "handle": gettext_lazy("a chat handle"),
}

# Left out when text is folded: a name written with spaces or dots is still the name.
_SEPARATORS = set(" \t\r\n\u3000·・.,，、-_—/|*'\"“”‘’()（）[]【】")
_CHINESE_DIGITS = dict(zip("〇零一二三四五六七八九", "00123456789", strict=True))
_DIGIT_TABLE = str.maketrans(_CHINESE_DIGITS)
# What ends the name of a place inside an address: estates and compounds (锦绣苑, 联洋新村,
# 仁恒家园) and roads (花木路, 锦绣东路).
_PLACE_END = re.compile(r"小区|新村|公寓|花园|家园|苑|村|里|坊|大道|公路|路|街|巷")
_SCHOOL_SUFFIX = re.compile(r"(?:小学|中学|初级中学|学校|分校|校区)$")
# Patterns over the digit-folded text (no spaces, Chinese numerals as digits).
_NUMBER_PATTERNS = [
    ("id", re.compile(r"(?<!\d)\d{17}[\dxX](?!\d)|(?<!\d)\d{15}(?!\d)")),
    ("phone", re.compile(r"(?<!\d)(?:\+?86)?1[3-9]\d{9}(?!\d)")),
    ("phone", re.compile(r"(?<!\d)0\d{2,3}\d{7,8}(?!\d)")),
    ("phone", re.compile(r"(?<!\d)\d{8}(?!\d)")),
]
# Patterns over the original text.
_TEXT_PATTERNS = [
    ("mail", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    (
        "handle",
        re.compile(
            r"(?:微信|weixin|wechat|vx|v信|QQ|扣扣|抖音|快手|小红书|微博)\s*(?:号|ID|id)?\s*"
            r"(?:是|为|:|：|=)?\s*[A-Za-z0-9][A-Za-z0-9_.-]{3,}",
            re.IGNORECASE,
        ),
    ),
]


@dataclass(frozen=True)
class Hit:
    """One identifier found in a text: its kind and where it stands in the original."""

    kind: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Folded:
    """A text folded for comparison, with the original position of each folded character."""

    text: str
    positions: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.positions[start], self.positions[end - 1] + 1


@cache
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _fold(text: str, *, digits: bool) -> Folded:
    """Simplified, half-width, lower-case, without separators; Chinese numerals as digits
    when `digits` (names keep them: 王一鸣)."""
    simplified = _to_simplified().convert(text)
    if len(simplified) != len(text):
        # OpenCC converts character by character here; if not, keep positions right.
        simplified = text
    normalised = unicodedata.normalize("NFKC", simplified).lower()
    if len(normalised) == len(simplified):
        # Character for character (nearly always): no need to follow positions one by one.
        if digits:
            normalised = normalised.translate(_DIGIT_TABLE)
        kept = [(i, c) for i, c in enumerate(normalised) if c not in _SEPARATORS]
        return Folded("".join(c for _, c in kept), tuple(i for i, _ in kept))
    chars: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(simplified):
        if char in _SEPARATORS:
            continue
        char = unicodedata.normalize("NFKC", char).lower()
        if digits:
            char = _CHINESE_DIGITS.get(char, char)
        for part in char:
            if part in _SEPARATORS:
                continue
            chars.append(part)
            positions.append(index)
    return Folded("".join(chars), tuple(positions))


@lru_cache(maxsize=8192)
def _fold_word(word: str) -> str:
    # The same names and places are looked for in text after text (a feed page, a batch).
    return _fold(word, digits=False).text


def _long_enough(word: str) -> bool:
    # One Chinese character, or two Latin letters, would be found in every text.
    if not word:
        return False
    if word.isascii():
        return len(word) >= 3
    return len(word) >= 2


@lru_cache(maxsize=8192)
def _name_words(name: str) -> tuple[str, ...]:
    """A name, its given name alone (for names of three characters and more) and its
    pinyin: 王小美, 小美, wangxiaomei, xiaomei."""
    name = name.strip()
    if not name:
        return ()
    words = [name]
    if len(name) >= 3 and not name.isascii():
        words.append(name[1:])
    if not name.isascii():
        syllables = lazy_pinyin(name)
        words.append("".join(syllables))
        if len(syllables) >= 3:
            words.append("".join(syllables[1:]))
    return tuple(words)


def split_words(text: str) -> list[str]:
    """The words of a free list: one a line, or separated by commas or 、."""
    return [word.strip() for word in re.split(r"[\n,，、;；]", text) if word.strip()]


def address_places(address: str) -> list[str]:
    """The named places inside an address: for 浦东新区锦绣苑12号楼, 锦绣苑 (and the longer
    区锦绣苑, 新区锦绣苑), since the text may name the estate without the district."""
    places = []
    for end in _PLACE_END.finditer(address):
        for length in (2, 3, 4):
            start = end.start() - length
            name = address[start : end.start()]
            if start < 0 or not re.fullmatch(r"[\u4e00-\u9fff]+", name):
                break
            places.append(name + end.group())
    return places


def _place_words(child: Child) -> list[tuple[str, str]]:
    words = [("school", child.school.name)]
    short = _SCHOOL_SUFFIX.sub("", child.school.name)
    # "花木" alone is the sub-district everybody names: keep only a longer short form.
    if short != child.school.name and len(short) >= 3:
        words.append(("school", short))
    if child.class_name:
        words.append(("class", child.class_name))
    if child.address:
        words.append(("address", child.address))
        words += [("address", place) for place in address_places(child.address)]
    return words


def identifiers_of(child: Child) -> list[tuple[str, str]]:
    """(kind, word) for everything recorded that identifies the child."""
    words = [("name", word) for word in _name_words(child.real_name)]
    words += [("family", word) for word in _name_words(child.guardian_name)]
    for word in split_words(child.private_words):
        words += [("private", variant) for variant in _name_words(word)]
    words += _place_words(child)
    if child.guardian_phone:
        words.append(("phone", re.sub(r"\D", "", child.guardian_phone)))
    return words


def _word_hits(folded: Folded, words: Iterable[tuple[str, str]]) -> list[Hit]:
    hits = []
    for kind, word in words:
        needle = _fold_word(word)
        if not _long_enough(needle):
            continue
        # A plain search, as re.finditer of the escaped word finds them (left to right, not
        # overlapping), without compiling a pattern per word: a batch has thousands of names.
        found = folded.text.find(needle)
        while found != -1:
            start, end = folded.span(found, found + len(needle))
            hits.append(Hit(kind, start, end, ""))
            found = folded.text.find(needle, found + len(needle))
    return hits


def find_identifiers(text: str, *, child: Child | None, contacts: bool = True) -> list[Hit]:
    """Every identifier in `text`, in the order they appear, overlapping ones merged.

    With `contacts` false only what is recorded on the child is looked for, not any phone,
    ID number, e-mail address or chat handle: for messages the association writes itself,
    which carry dates, codes and addresses of the association's own.
    """
    if not text:
        return []
    hits: list[Hit] = []
    folded_digits = _fold(text, digits=True)
    if child is not None:
        words = identifiers_of(child)
        hits += _word_hits(_fold(text, digits=False), [w for w in words if w[0] != "phone"])
        hits += _word_hits(folded_digits, [w for w in words if w[0] == "phone"])
    if not contacts:
        return _merged(text, hits)
    for kind, pattern in _NUMBER_PATTERNS:
        for match in pattern.finditer(folded_digits.text):
            start, end = folded_digits.span(match.start(), match.end())
            hits.append(Hit(kind, start, end, ""))
    for kind, pattern in _TEXT_PATTERNS:
        hits += [Hit(kind, m.start(), m.end(), "") for m in pattern.finditer(text)]
    return _merged(text, hits)


def _merged(text: str, hits: list[Hit]) -> list[Hit]:
    merged: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if merged and hit.start < merged[-1].end:
            last = merged[-1]
            end = max(last.end, hit.end)
            merged[-1] = Hit(last.kind, last.start, end, text[last.start : end])
        else:
            merged.append(Hit(hit.kind, hit.start, hit.end, text[hit.start : hit.end]))
    return merged


def highlight(text: str, hits: Sequence[Hit]) -> SafeString:
    """The text, escaped, with each hit in <mark>."""
    parts: list[str] = []
    position = 0
    for hit in hits:
        parts.append(escape(text[position : hit.start]))
        parts.append(format_html("<mark>{}</mark>", text[hit.start : hit.end]))
        position = hit.end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 (every part is escaped above)


class PrivacyRefusal(TransitionError):
    """A text would let a child's identity out; nothing was changed."""

    def __init__(self, message: str, *, text: str, hits: Sequence[Hit]) -> None:
        super().__init__(message)
        self.text = text
        self.hits = list(hits)

    def as_html(self) -> SafeString:
        """The message and the text with the words found marked, for an HTML page."""
        return format_html(
            '{} <span class="privacy-text">{}</span>', str(self), highlight(self.text, self.hits)
        )


def kinds_found(hits: Sequence[Hit]) -> str:
    """The kinds of identifier found, named for the reader, in the order of the text."""
    kinds = list(dict.fromkeys(hit.kind for hit in hits))
    return "、".join(str(KIND_LABELS[kind]) for kind in kinds)


def check_text(
    text: str, *, child: Child | None, what: "StrOrPromise", contacts: bool = True
) -> None:
    """Refuse with PrivacyRefusal if `text` holds anything that identifies the child.

    `what` names the text for the message ("the public text", "the letter"); `contacts` as
    for `find_identifiers`.
    """
    hits = find_identifiers(text, child=child, contacts=contacts)
    if hits:
        raise PrivacyRefusal(
            _(
                "%(what)s contains %(kinds)s: %(words)s. Nothing was changed; take these "
                "words out or mask them first."
            )
            % {
                "what": what,
                "kinds": kinds_found(hits),
                "words": "、".join(dict.fromkeys(hit.text for hit in hits)),
            },
            text=text,
            hits=hits,
        )


def wishes_naming_their_child(texts: dict[int, str]) -> dict[int, list[Hit]]:
    """Of wish id → a text about it, the wishes whose text names the wish's child, with
    what was found; one query for the children."""
    children = {
        wish.pk: wish.child
        for wish in Wish.objects.filter(pk__in=list(texts)).select_related("child__school")
    }
    found = {}
    for wish_id, text in texts.items():
        hits = find_identifiers(text, child=children.get(wish_id))
        if hits:
            found[wish_id] = hits
    return found


def screen_for(children: Iterable[Child], *, ours: Iterable[str] = ()) -> Callable[[str], None]:
    """A check for a message the association sends to a sponsor about these children: it
    refuses (PrivacyRefusal) a message naming any of them, so the action that sends it
    changes nothing. Given to `huamu.mail.send_after_commit` as its `screen`.

    `ours` are passages the association wrote for every sponsor (a campaign's directions to
    its office), left out of the check: the office may well stand on a child's road.
    """
    children = list(children)
    passages = sorted((p for p in ours if p), key=len, reverse=True)

    def screen(text: str) -> None:
        for passage in passages:
            text = text.replace(passage, " ")
        for child in children:
            check_text(text, child=child, what=MESSAGE_TEXT, contacts=False)

    return screen


def is_clean(text: str, *, child: Child | None) -> bool:
    """Whether `text` holds nothing that identifies the child."""
    return not find_identifiers(text, child=child)


# What `check_text` calls the texts it is given.
PUBLIC_TEXT = gettext_lazy("The public text")
LETTER_TEXT = gettext_lazy("The letter's text")
ALIAS_TEXT = gettext_lazy("The alias")
MESSAGE_TEXT = gettext_lazy("The message to the sponsor")
REASON_TEXT = gettext_lazy("The reason")
COMMENT_TEXT = gettext_lazy("The comment")
