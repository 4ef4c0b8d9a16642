"""Erasure at the guardian's request in the back office: only with the dedicated
permission, always with a reason, and an anonymised child is read-only afterwards."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import constants
from django.urls import reverse

from tests.factories import ConsentFactory, UserFactory, WishFactory
from tests.wishes.admin.test_actions import (
    CHANGE_FORM_ACTION,
    notes,
    run_action,
    submit_action_form,
)
from wishes.audit import history_of
from wishes.models import Child, ChildState, Consent, Wish, WishStatus
from wishes.staff_group import STAFF_GROUP

pytestmark = pytest.mark.django_db

REASON = "监护人3月3日来电要求删除，李老师记录"


@pytest.fixture
def eraser(db):
    """Staff entrusted with erasure: the staff group plus wishes.erase_child."""
    user = UserFactory(username="eraser", is_staff=True)
    user.groups.add(Group.objects.get(name=STAFF_GROUP))
    user.user_permissions.add(Permission.objects.get(codename="erase_child"))
    return user


@pytest.fixture
def eraser_client(client, eraser):
    client.force_login(eraser)
    return client


@pytest.fixture
def child(db):
    wish = WishFactory(child__real_name="甄秘名ERQ1", child__guardian_phone="13987650888")
    ConsentFactory(child=wish.child, given_by="秘签字ERQ2")
    return wish.child


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def test_the_staff_group_does_not_hold_the_erase_permission(staff):
    assert not staff.has_perm("wishes.erase_child")
    assert (
        not Group.objects.get(name=STAFF_GROUP).permissions.filter(codename="erase_child").exists()
    )


def test_staff_without_the_permission_cannot_erase(client_for, child):
    staff_client = client_for("staff")
    page = staff_client.get(reverse("admin:wishes_child_changelist"))
    # Erasing is the list's only action: without it the list offers none.
    assert page.context["action_form"] is None
    assert 'value="erase"' not in staff_client.get(change_url(child)).content.decode()

    response = submit_action_form(staff_client, Child, "erase", [child], reason=REASON)

    child.refresh_from_db()
    assert child.anonymised_at is None
    assert child.real_name == "甄秘名ERQ1"
    assert response.status_code in (200, 302)
    assert not history_of(child).exists()


def test_the_action_asks_for_the_reason_first(eraser_client, child):
    page = run_action(eraser_client, Child, "erase", [child])

    assert page.status_code == 200
    assert "admin/huamu_action_form.html" in [t.name for t in page.templates]
    assert "reason" in page.context["adminform"].form.fields
    child.refresh_from_db()
    assert child.anonymised_at is None


@pytest.mark.parametrize(
    "language, message",
    [
        ("en", "Give the reason: when and how the guardian asked."),
        ("zh-hans", "请填写原因：监护人何时、以何种方式提出。"),
    ],
)
def test_an_empty_reason_is_refused_with_a_translated_message(
    eraser_client, child, language, message
):
    data = {"action": "erase", "apply": "1", "_selected_action": [child.pk], "reason": " "}
    response = eraser_client.post(
        reverse("admin:wishes_child_changelist"), data, HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reason"] == [message]
    child.refresh_from_db()
    assert child.anonymised_at is None


def test_erasure_with_a_reason_anonymises_at_once_and_records_who_and_why(
    eraser_client, eraser, child
):
    response = submit_action_form(eraser_client, Child, "erase", [child], reason=REASON)

    assert response.status_code == 302
    child.refresh_from_db()
    assert child.anonymised_at is not None
    assert child.real_name == child.alias
    assert child.guardian_phone == ""
    assert Consent.objects.get(child=child).given_by == ""
    change = history_of(child).get()
    assert (change.to_status, change.by, change.note) == (ChildState.ERASED, eraser, REASON)
    assert notes(response, constants.SUCCESS) == [f"The private data of {child} is erased."]


def test_a_reason_naming_the_child_is_refused(eraser_client, child):
    response = submit_action_form(
        eraser_client, Child, "erase", [child], reason="甄秘名ERQ1的家长要求删除"
    )

    assert response.status_code == 302
    assert notes(response, constants.ERROR)
    child.refresh_from_db()
    assert child.anonymised_at is None


def test_erase_from_the_child_page(eraser_client, child):
    url = change_url(child)
    page = eraser_client.get(url)
    assert 'value="erase"' in page.content.decode()

    selected = {CHANGE_FORM_ACTION: "erase", "_selected_action": str(child.pk)}
    response = eraser_client.post(url, {**selected, "apply": "1", "reason": REASON})

    assert response.status_code == 302
    child.refresh_from_db()
    assert child.anonymised_at is not None


def test_an_anonymised_child_is_read_only_with_a_note(eraser_client, child):
    submit_action_form(eraser_client, Child, "erase", [child], reason=REASON)
    url = change_url(child)

    page = eraser_client.get(url, HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Anonymised on" in html
    assert 'name="_save"' not in html
    assert REASON in html  # the history on the page says why
    refused = eraser_client.post(url, {"real_name": "新名字", "_save": "1"})
    assert refused.status_code == 403
    child.refresh_from_db()
    assert child.real_name == child.alias


def test_the_consents_and_wishes_of_an_anonymised_child_are_read_only(eraser_client, child):
    submit_action_form(eraser_client, Child, "erase", [child], reason=REASON)
    wish = Wish.objects.get(child=child)
    consent = Consent.objects.get(child=child)

    for obj in (wish, consent):
        html = eraser_client.get(change_url(obj)).content.decode()
        assert 'name="_save"' not in html
    assert wish.status == WishStatus.WITHDRAWN


def test_erasing_an_anonymised_child_again_says_so(eraser_client, child):
    submit_action_form(eraser_client, Child, "erase", [child], reason=REASON)

    response = submit_action_form(eraser_client, Child, "erase", [child], reason=REASON)

    assert any("already" in note for note in notes(response, constants.ERROR))
    assert history_of(child).filter(to_status=ChildState.ERASED).count() == 1


def test_the_guardian_stays_required_for_a_child_kept(client_for, child):
    url = change_url(child)
    page = client_for("staff").get(url)
    form = page.context["adminform"].form
    assert form.fields["guardian_name"].required
    assert form.fields["guardian_phone"].required
