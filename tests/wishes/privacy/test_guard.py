"""The privacy guard finds every kind of identifier, however it is written."""

import pytest
from django.utils import translation

from tests.factories import ChildFactory, SchoolFactory
from wishes.privacy.guard import (
    PUBLIC_TEXT,
    PrivacyRefusal,
    address_places,
    check_text,
    find_identifiers,
    highlight,
    is_clean,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def child():
    return ChildFactory(
        real_name="陈晓东",
        alias="小陈同学",
        guardian_name="李美华",
        guardian_phone="13812345678",
        school=SchoolFactory(name="锦绣实验小学"),
        class_name="三(2)班",
        address="浦东新区锦绣苑12号楼301室",
        private_words="陈小红\n东东、Dongdong",
    )


def kinds(text: str, child) -> list[str]:
    return [hit.kind for hit in find_identifiers(text, child=child)]


@pytest.mark.parametrize(
    "text, kind",
    [
        ("我叫陈晓东，想要一个天文望远镜。", "name"),
        ("我叫 陈 晓 东。", "name"),
        ("我叫陳曉東。", "name"),  # traditional characters
        ("晓东想要一套书。", "name"),  # the given name alone
        ("My name is Chen Xiaodong.", "name"),  # pinyin of the name
        ("妈妈李美华说谢谢。", "family"),
        ("和姐姐陈小红一起读书。", "private"),  # a sibling recorded by staff
        ("大家叫我东东。", "private"),  # a nickname
        ("I am DONGDONG.", "private"),  # a recorded pinyin word, any case
        ("我在锦绣实验小学读书。", "school"),
        ("我在锦绣实验上学。", "school"),  # the school without 小学
        ("我在三（2）班。", "class"),  # other brackets than recorded
        ("我家住在锦绣苑。", "address"),  # the estate alone
        ("我家在浦东新区锦绣苑12号楼301室。", "address"),
        ("请打 138 1234 5678。", "phone"),
        ("请打一三八一二三四五六七八。", "phone"),  # Chinese numerals
        ("请打１３８１２３４５６７８。", "phone"),  # full-width digits
    ],
)
def test_each_identifier_of_the_child_is_found(text, kind, child):
    assert kind in kinds(text, child)


@pytest.mark.parametrize(
    "text, kind",
    [
        ("我的身份证是310115201601011234。", "id"),
        ("我的微信是 abc123", "handle"),
        ("加我QQ：12345678", "handle"),
        ("WeChat: star_boy", "handle"),
        ("写信到 family@example.com", "mail"),
        ("打电话 13987654321", "phone"),
        ("座机 021-58881234", "phone"),
    ],
)
def test_what_reaches_any_family_is_found_without_a_child(text, kind):
    assert kind in kinds(text, None)


@pytest.mark.parametrize(
    "text",
    [
        "想要一个天文望远镜，我喜欢看星星。",
        "小陈同学想要一套科普书。",  # the alias names nobody
        "我是三年级的学生，喜欢画画。",
        "花木圆梦，谢谢叔叔阿姨！",
    ],
)
def test_text_that_names_nobody_passes(text, child):
    assert is_clean(text, child=child)


def test_a_one_character_given_name_is_not_looked_for_alone():
    # 王明: "明" alone is in every other sentence; the full name is still found.
    child = ChildFactory(real_name="王明", guardian_name="王大")
    assert is_clean("明天是我的生日，我想要明亮的台灯。", child=child)
    assert not is_clean("我叫王明。", child=child)


def test_hits_point_at_the_words_in_the_original_text(child):
    text = "我叫陈 晓东，住锦绣苑"
    hits = find_identifiers(text, child=child)
    assert [text[h.start : h.end] for h in hits] == ["陈 晓东", "锦绣苑"]
    assert [h.text for h in hits] == ["陈 晓东", "锦绣苑"]


def test_highlight_marks_the_words_and_escapes_the_rest(child):
    text = "<b>陈晓东</b>"
    marked = highlight(text, find_identifiers(text, child=child))
    assert marked == "&lt;b&gt;<mark>陈晓东</mark>&lt;/b&gt;"


def test_check_text_refuses_with_the_words_and_their_kinds(child):
    with translation.override("en"), pytest.raises(PrivacyRefusal) as refusal:
        check_text("我叫陈晓东，电话13812345678", child=child, what=PUBLIC_TEXT)
    message = str(refusal.value)
    assert message.startswith("The public text contains the child's name、a phone number")
    assert "陈晓东" in message and "13812345678" in message
    assert "<mark>陈晓东</mark>" in refusal.value.as_html()


def test_the_refusal_is_in_chinese_by_default(child):
    with pytest.raises(PrivacyRefusal) as refusal:
        check_text("我叫陈晓东", child=child, what=PUBLIC_TEXT)
    assert "公开文字" in str(refusal.value)
    assert "孩子的姓名" in str(refusal.value)


def test_check_text_lets_a_clean_text_through(child):
    check_text("想要一个天文望远镜。", child=child, what=PUBLIC_TEXT)


def test_address_places_are_the_named_places_without_the_district():
    assert "锦绣苑" in address_places("浦东新区锦绣苑12号楼")
    assert "花木路" in address_places("花木路100弄1号")
    assert address_places("12号楼301室") == []
