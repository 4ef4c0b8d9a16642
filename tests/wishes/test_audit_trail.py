"""Every change of a child's data is in the audit trail: each record's creation (admin,
import, photo uploads) with who did it, and the field history of children and consents
(who changed the guardian's phone, from what to what) on their admin pages, for staff only."""

import importlib
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalChanges

from tests import image_corpus
from tests.factories import (
    CampaignFactory,
    ChildFactory,
    ConsentFactory,
    FulfilmentFactory,
    RegionFactory,
    SchoolFactory,
    UserFactory,
    WishFactory,
)
from tests.security.conftest import admin_form_data
from tests.wishes.importing.files import good_row, xlsx_bytes
from wishes.audit import BASELINE_REASON, field_history_of, history_of, record_changes
from wishes.models import (
    AccessAction,
    AccessLog,
    Child,
    ChildState,
    Consent,
    ConsentState,
    FulfilmentPhoto,
    ImportBatch,
    PhotoState,
    StatusChange,
    Wish,
    WishStatus,
)
from wishes.services import add_fulfilment_photos, withdraw_consent
from wishes.services.lifecycle import erase_child

pytestmark = pytest.mark.django_db


def first_change(subject) -> tuple:
    change = history_of(subject).first()
    return (change.from_status, change.to_status, change.by)


def history_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_field_history", args=[obj.pk])


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def cells(html: str) -> list[list[str]]:
    """The rows of the field history table, as the text of their cells."""
    table = html.split('class="field-history"', 1)[1].split("</table>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
        if "<td" in row
    ]


# --- creation is recorded with who ---------------------------------------------------------


def test_a_child_and_its_consent_added_in_the_admin_are_recorded(client_for, staff, school):
    client = client_for("staff")
    data = admin_form_data(client.get(reverse("admin:wishes_child_add")))
    data.update(
        real_name="王小美",
        alias="小星同学",
        gender="girl",
        birth_year="2016",
        grade="3",
        school=str(school.pk),
        home_region=str(RegionFactory(name="花木街道").pk),
        guardian_name="李芳",
        guardian_phone="13812345678",
        hardship_category="low_income",
        public_location="region",
        **{
            # One consent row added with "Add another", as the page's script does.
            "consents-TOTAL_FORMS": "1",
            "consents-0-keep_record": "on",
            "consents-0-publish_wish": "on",
            "consents-0-method": "paper",
            "consents-0-given_on": timezone.localdate().isoformat(),
            "consents-0-given_by": "李芳",
        },
    )

    response = client.post(reverse("admin:wishes_child_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    child = Child.objects.get(real_name="王小美")
    consent = child.consents.get()
    assert first_change(child) == ("", ChildState.KEPT, staff)
    assert first_change(consent) == ("", ConsentState.IN_FORCE, staff)
    # The field history's first row names the same user, from the request.
    assert child.history.get().history_user == staff
    assert consent.history.get().history_user == staff


def test_a_consent_added_on_its_own_page_is_recorded(client_for, staff):
    child = ChildFactory()
    client = client_for("staff")
    data = admin_form_data(client.get(reverse("admin:wishes_consent_add")))
    data.update(
        child=str(child.pk),
        keep_record="on",
        method="phone",
        given_on=timezone.localdate().isoformat(),
        given_by="张大明",
    )

    response = client.post(reverse("admin:wishes_consent_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert first_change(Consent.objects.get()) == ("", ConsentState.IN_FORCE, staff)


def test_a_wish_added_in_the_admin_starts_its_trail_as_a_draft(client_for, staff):
    child, campaign = ChildFactory(), CampaignFactory()
    client = client_for("staff")
    data = admin_form_data(client.get(reverse("admin:wishes_wish_add")))
    data.update(
        child=str(child.pk),
        campaign=str(campaign.pk),
        category="books",
        estimated_value="100",
        child_words="我想要一套科普书",
        public_text="想要一套科普书",
    )

    response = client.post(reverse("admin:wishes_wish_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert first_change(Wish.objects.get()) == ("", WishStatus.DRAFT, staff)


def test_withdrawing_a_child_on_its_page_is_recorded_with_the_change(client_for, staff):
    child = ChildFactory()
    client = client_for("staff")
    data = admin_form_data(client.get(change_url(child)))
    now = timezone.localtime()
    data.update({"withdrawn_at_0": now.date().isoformat(), "withdrawn_at_1": "10:00:00"})

    response = client.post(change_url(child), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    child.refresh_from_db()
    assert child.state == ChildState.WITHDRAWN
    [change] = history_of(child)
    assert (change.from_status, change.to_status, change.by) == (
        ChildState.KEPT,
        ChildState.WITHDRAWN,
        staff,
    )


def test_an_import_records_each_new_record_with_who_started_it(client_for, staff, school):
    campaign = CampaignFactory(year=2026)
    client = client_for("staff")
    client.post(
        reverse("admin:wishes_importbatch_upload"),
        {
            "campaign": campaign.pk,
            "file": SimpleUploadedFile("名单.xlsx", xlsx_bytes([good_row()])),
        },
    )
    batch = ImportBatch.objects.get()

    response = client.post(reverse("admin:wishes_importbatch_import", args=[batch.pk]))

    assert response.status_code == 302
    child, consent, wish = Child.objects.get(), Consent.objects.get(), Wish.objects.get()
    note = "名单.xlsx"
    for subject, state in [
        (child, ChildState.KEPT),
        (consent, ConsentState.IN_FORCE),
        (wish, WishStatus.DRAFT),
    ]:
        [change] = history_of(subject)
        assert (change.from_status, change.to_status, change.by) == ("", state, staff)
        assert note in change.note
    assert child.history.get().history_user == staff
    assert consent.history.get().history_user == staff


def test_photos_uploaded_by_a_coordinator_are_recorded_private(client_for, coordinator, school):
    fulfilment = FulfilmentFactory(claim__wish__child__school=school)
    data = {"images": [image_corpus.uploaded("good_jpeg"), image_corpus.uploaded("good_webp")]}

    response = client_for("coordinator").post(reverse("school:photos", args=[fulfilment.pk]), data)

    assert response.status_code == 302
    photos = list(FulfilmentPhoto.objects.all())
    assert len(photos) == 2
    for photo in photos:
        assert first_change(photo) == ("", PhotoState.PRIVATE, coordinator)


def test_photos_added_through_the_service_are_recorded_with_who(staff):
    fulfilment = FulfilmentFactory()
    add_fulfilment_photos(
        fulfilment_id=fulfilment.pk, by=staff, images=[image_corpus.clean(), image_corpus.clean()]
    )
    assert StatusChange.objects.filter(to_status=PhotoState.PRIVATE, by=staff).count() == 2


def test_record_changes_writes_one_row_per_subject_in_one_query(staff, django_assert_num_queries):
    children = [ChildFactory(), ChildFactory()]

    # The content type is cached by the factories' save; one insert for both rows.
    with django_assert_num_queries(1):
        record_changes(subjects=children, from_status="", to_status=ChildState.KEPT, by=staff)

    assert [first_change(child) for child in children] == [("", ChildState.KEPT, staff)] * 2


def test_withdrawing_a_consent_is_in_its_trail_and_its_field_history(staff):
    consent = ConsentFactory()

    withdraw_consent(consent_id=consent.pk, by=staff, note="家长来电")

    [change] = history_of(consent)
    assert (change.to_status, change.by, change.note) == (
        ConsentState.WITHDRAWN,
        staff,
        "家长来电",
    )
    steps = field_history_of(consent)
    assert [step.event for step in steps] == ["已更改", "已创建"]


# --- field history on the child's page -------------------------------------------------------


def test_an_edit_of_the_guardian_phone_shows_old_and_new_value_and_the_editor(client_for, staff):
    child = ChildFactory(guardian_phone="13812345678")
    client = client_for("staff")
    data = admin_form_data(client.get(change_url(child)))
    data["guardian_phone"] = "13987654321"

    response = client.post(change_url(child), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    for url in (change_url(child), history_url(child)):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        rows = cells(page.content.decode())
        assert rows[0][1:] == [
            "staff",
            "Changed",
            "guardian&#x27;s phone",
            "13812345678",
            "13987654321",
        ]
        assert rows[-1][1:3] == ["—", "Created"]


def test_field_history_labels_choices_and_links_in_the_readers_language(client_for, staff):
    child = ChildFactory(hardship_category="low_income", school__name="花木中心小学")
    child.hardship_category = "illness"
    child.school = SchoolFactory(name="由由小学")
    child.save()

    html = client_for("staff").get(history_url(child)).content.decode()

    [school, hardship, created] = cells(html)
    assert school[2:] == ["已更改", "学校", "花木中心小学", "由由小学"]
    assert hardship[2:] == ["已更改", "困难类型", "低收入家庭", "家庭成员患重病"]
    assert created[2] == "已创建"


def test_the_history_view_is_in_the_access_log(client_for, staff):
    child = ChildFactory()

    client_for("staff").get(history_url(child))

    log = AccessLog.objects.get(path=history_url(child))
    assert (log.user, log.action, log.object_id) == (staff, AccessAction.VIEW_CHILD, child.pk)
    assert list(log.children.values_list("pk", flat=True)) == [child.pk]


def test_a_consents_page_shows_its_field_history(client_for, staff):
    consent = ConsentFactory(given_by="张大明")
    consent.note = "家长补签"
    consent.save()

    page = client_for("staff").get(change_url(consent), HTTP_ACCEPT_LANGUAGE="en")

    rows = cells(page.content.decode())
    assert rows[0][2:] == ["Changed", "note", "—", "家长补签"]
    client_for("staff").get(history_url(consent))
    assert AccessLog.objects.filter(
        path=history_url(consent), action=AccessAction.VIEW_CONSENT
    ).exists()


@pytest.fixture
def staff_without_children(db):
    """Back-office staff allowed to see wishes but not children's records."""
    user = UserFactory(username="wish_reader", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_wish"))
    return user


@pytest.mark.parametrize(
    "role, status",
    [
        ("staff", 200),
        ("bare_staff", 403),
        ("staff_without_children", 403),
        ("coordinator", 302),
        ("sponsor", 302),
        ("anonymous", 302),
    ],
)
def test_only_staff_who_may_view_the_child_see_its_field_history(role, status, client_for):
    child = ChildFactory(guardian_phone="13812345678")

    response = client_for(role).get(history_url(child))

    assert response.status_code == status
    if status != 200:
        assert "13812345678" not in response.content.decode()
        assert not AccessLog.objects.filter(path=history_url(child)).exists()


def test_the_history_of_a_missing_record_is_a_404(client_for):
    response = client_for("staff").get(reverse("admin:wishes_child_field_history", args=[999_999]))
    assert response.status_code == 404


# --- the historical tables never leak ------------------------------------------------------


def test_historical_models_are_not_in_the_admin():
    historical = [
        model
        for model in apps.get_app_config("wishes").get_models()
        if issubclass(model, HistoricalChanges)
    ]
    assert {model.__name__ for model in historical} == {"HistoricalChild", "HistoricalConsent"}
    assert not any(admin.site.is_registered(model) for model in historical)


def test_the_admin_index_lists_no_field_history(client_for):
    html = client_for("superuser").get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").text
    assert "historical" not in html.lower()
    assert "field histor" not in html.lower()


# --- the migration's baseline ------------------------------------------------------------------


def test_the_migration_records_one_baseline_row_per_existing_record():
    consent = ConsentFactory()
    child = consent.child
    Child.history.all().delete()
    Consent.history.all().delete()
    migration = importlib.import_module("wishes.migrations.0013_child_consent_field_history")

    migration.record_baselines(apps, None)

    [baseline] = child.history.all()
    assert (baseline.history_change_reason, baseline.history_user) == (BASELINE_REASON, None)
    assert baseline.guardian_phone == child.guardian_phone
    assert consent.history.get().history_change_reason == BASELINE_REASON
    # The first edit after it shows what it changed.
    child.guardian_name = "李芳"
    child.save()
    [change, began] = field_history_of(child)
    assert (change.old, change.new) == ("张大明", "李芳")
    assert began.event == "历史记录开始"


def test_erasing_a_child_leaves_no_earlier_value_in_the_field_history(staff):
    consent = ConsentFactory(child__guardian_phone="13812345678", given_by="张大明")
    child = consent.child
    child.guardian_phone = "13987654321"
    child.save()
    assert child.history.count() == 2

    erase_child(child_id=child.pk, by=staff, reason="家长当面申请")

    assert not Child.history.filter(id=child.pk).exists()
    assert not Consent.history.filter(id=consent.pk).exists()
    assert field_history_of(child) == []
    # The audit row says who and why, from the state the child was in.
    change = history_of(child).last()
    assert (change.from_status, change.to_status, change.by) == (
        ChildState.KEPT,
        ChildState.ERASED,
        staff,
    )


def test_a_status_change_reads_by_its_labels_on_the_wish_page(client_for):
    wish = WishFactory(open=True)
    StatusChange.objects.create(subject=wish, from_status="draft", to_status="open")

    html = (
        client_for("staff")
        .get(reverse("admin:wishes_wish_change", args=[wish.pk]), HTTP_ACCEPT_LANGUAGE="en")
        .text
    )

    assert "draft → open" not in html
    assert "Draft → Waiting to be claimed" in html
