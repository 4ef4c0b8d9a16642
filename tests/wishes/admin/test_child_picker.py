"""The child picker names children so that staff attach a wish to the right one."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import ChildFactory, UserFactory, WishFactory
from wishes.models import AccessAction, AccessLog

pytestmark = pytest.mark.django_db


def autocomplete(client, term: str, model: str = "wish"):
    response = client.get(
        reverse("admin:autocomplete"),
        {"term": term, "app_label": "wishes", "model_name": model, "field_name": "child"},
    )
    return response


def test_staff_pick_children_by_real_name_school_and_grade(client_for, school):
    child = ChildFactory(real_name="王小美", alias="小星同学", school=school, grade=4)

    response = autocomplete(client_for("staff"), "王小美")

    texts = [row["text"] for row in json.loads(response.content)["results"]]
    assert texts == [f"王小美 · 花木中心小学 · 4年级（小星同学，#{child.pk}）"]


def test_the_consent_picker_names_them_the_same_way(client_for, school):
    ChildFactory(real_name="王小美", school=school)

    response = autocomplete(client_for("staff"), "王小美", model="consent")

    assert "花木中心小学" in json.loads(response.content)["results"][0]["text"]


def test_the_selected_child_on_a_wish_page_shows_the_real_name_to_staff(client_for):
    wish = WishFactory(child__real_name="王小美")

    html = client_for("staff").get(reverse("admin:wishes_wish_change", args=[wish.pk]))

    assert "王小美 · " in html.content.decode()


def test_staff_who_may_not_see_children_get_the_alias_only(client):
    wish = WishFactory(child__real_name="王小美", child__alias="小星同学")
    user = UserFactory(username="wishes_only", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_wish"]))
    client.force_login(user)

    page = client.get(reverse("admin:wishes_wish_change", args=[wish.pk])).content.decode()
    picker = autocomplete(client, "王小美")

    assert "王小美" not in page
    assert "小星同学" in page
    assert picker.status_code == 403


def test_the_pickers_real_names_are_a_logged_read(client_for):
    child = ChildFactory(real_name="王小美")
    before = AccessLog.objects.count()
    response = autocomplete(client_for("staff"), "王小美")
    assert "王小美" in json.loads(response.content)["results"][0]["text"]
    row = AccessLog.objects.latest("pk")
    assert AccessLog.objects.count() == before + 1
    assert row.action == AccessAction.LIST_CHILDREN
    assert list(row.children.values_list("pk", flat=True)) == [child.pk]
