"""Aliases carry nothing of the child: neutral by default, refused when they hold the name."""

import pytest
from django.urls import reverse

from tests.factories import ChildFactory, RegionFactory
from tests.security.conftest import admin_form_data
from wishes.models import Child
from wishes.privacy.aliases import NEUTRAL_WORDS, neutral_alias

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["王小美", "李星", "张禾木", "欧阳晨曦"])
def test_a_neutral_alias_shares_no_character_with_the_name(name):
    alias = neutral_alias(real_name=name)
    assert alias.startswith("小") and alias.endswith("同学")
    word = alias[1:-2]
    assert word in NEUTRAL_WORDS
    assert word not in name
    # Never 小 + surname + 同学.
    assert alias != f"小{name[0]}同学"


def test_the_same_name_gets_the_same_alias():
    assert neutral_alias(real_name="王小美") == neutral_alias(real_name="王小美")


def _add_page_data(client, school) -> dict:
    data = admin_form_data(client.get(reverse("admin:wishes_child_add")))
    region = RegionFactory(name="花木街道")
    data.update(
        real_name="王小美",
        alias="",
        gender="girl",
        birth_year="2016",
        grade="3",
        school=str(school.pk),
        home_region=str(region.pk),
        guardian_name="李芳",
        guardian_phone="13812345678",
        hardship_category="low_income",
        public_location="region",
    )
    return data


def test_a_child_added_without_an_alias_gets_a_neutral_one(client_for, school):
    client = client_for("staff")
    data = _add_page_data(client, school)

    response = client.post(reverse("admin:wishes_child_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    child = Child.objects.get(real_name="王小美")
    assert child.alias == neutral_alias(real_name="王小美")


def test_an_alias_holding_the_given_name_is_refused(client_for, school):
    client = client_for("staff")
    data = _add_page_data(client, school)
    data["alias"] = "小美同学"

    response = client.post(reverse("admin:wishes_child_add"), data)

    assert response.status_code == 200
    assert "<mark>小美</mark>" in response.content.decode()
    assert not Child.objects.filter(real_name="王小美").exists()


def test_an_existing_alias_is_checked_when_the_child_is_saved(client_for):
    child = ChildFactory(real_name="王小美", alias="小王同学")
    client = client_for("staff")
    url = reverse("admin:wishes_child_change", args=[child.pk])
    data = admin_form_data(client.get(url))
    data["alias"] = "王小美"

    response = client.post(url, data)

    assert response.status_code == 200
    child.refresh_from_db()
    assert child.alias == "小王同学"
