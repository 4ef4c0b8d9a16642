"""Public aliases that carry nothing of the child: a neutral word, never the surname.

"小王同学" in a school with three children named 王 names one of them; an alias drawn from
a pool of everyday words (小星同学, 小禾同学) says nothing about the child. A word that shares a
character with the child's name is not drawn.
"""

import hashlib

# Everyday, gender-neutral words that are not common surnames.
NEUTRAL_WORDS = (
    "星", "禾", "树", "雨", "航", "晨", "溪", "竹", "帆", "橙",
    "苗", "果", "叶", "川", "云", "桐", "沐", "悦", "朵", "松",
    "木", "石", "泉", "舟", "鹿", "鸣", "岚", "霁", "萤", "麦",
)  # fmt: skip
ALIAS_PATTERN = "小{word}同学"


def neutral_alias(*, real_name: str) -> str:
    """A neutral alias sharing no character with `real_name`.

    The same name always gets the same alias, so that an import's preview shows the alias
    the import then records; the word is picked by a hash, which tells nothing of the name.
    """
    words = [word for word in NEUTRAL_WORDS if word not in real_name]
    digest = hashlib.sha256(real_name.encode()).digest()
    return ALIAS_PATTERN.format(word=words[int.from_bytes(digest[:4]) % len(words)])
