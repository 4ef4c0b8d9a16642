"""The back office: who gets in, what every model's pages show, and what can never happen."""

import io

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms import CheckboxInput
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image
from simple_history.models import HistoricalChanges

from huamu.images import clean_image
from sponsors.models import Sponsor, SponsorMember, VerificationStatus
from tests.factories import (
    CampaignFactory,
    ChildFactory,
    ClaimFactory,
    ConsentFactory,
    EventFactory,
    FulfilmentFactory,
    RegionFactory,
    SchoolCoordinatorFactory,
    SchoolFactory,
    SponsorFactory,
    SponsorMemberFactory,
    WishFactory,
)
from wishes.audit import record_change
from wishes.models import (
    AccessAction,
    AccessLog,
    Campaign,
    Child,
    Claim,
    Consent,
    Event,
    Fulfilment,
    FulfilmentPhoto,
    ImportBatch,
    Region,
    School,
    SchoolCoordinator,
    StatusChange,
    ThankYouLetter,
    Wish,
    WishStatus,
    YearTotal,
)
from wishes.services import add_fulfilment_photos

# Claims, fulfilments, photos and the audit trail are only ever created by the services;
# the access log by the views that show a child's record, photo or letter.
SERVICE_MADE = {Claim, Fulfilment, FulfilmentPhoto, StatusChange, AccessLog}
# Batches come from the upload page, which the add button leads to.
UPLOADED = {ImportBatch}
MODELS = [
    Region,
    School,
    SchoolCoordinator,
    Child,
    Consent,
    Campaign,
    Wish,
    Event,
    Claim,
    Fulfilment,
    FulfilmentPhoto,
    ThankYouLetter,
    StatusChange,
    AccessLog,
    YearTotal,
    ImportBatch,
    Sponsor,
    SponsorMember,
]
EVERY_MODEL = [pytest.param(model, id=model.__name__) for model in MODELS]
ADDABLE = [pytest.param(m, id=m.__name__) for m in MODELS if m not in SERVICE_MADE | UPLOADED]
NOT_ADDABLE = [pytest.param(m, id=m.__name__) for m in MODELS if m in SERVICE_MADE]
BACK_OFFICE = ["staff", "superuser"]


def admin_url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def tiny_photo():
    """A 64x48 JPEG, checked and re-encoded as an upload would be."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buffer, "JPEG")
    return clean_image(SimpleUploadedFile("phone.jpg", buffer.getvalue(), "image/jpeg"))


@pytest.fixture
def records(db, staff) -> dict:
    """One saved row of every back-office model, linked the way real data is."""
    claim = ClaimFactory()
    fulfilment = FulfilmentFactory()
    event = EventFactory()
    event.wishes.add(claim.wish)
    event.sponsors.add(claim.sponsor)
    return {
        Region: RegionFactory(),
        School: SchoolFactory(),
        SchoolCoordinator: SchoolCoordinatorFactory(),
        Child: ChildFactory(),
        Consent: ConsentFactory(),
        Campaign: CampaignFactory(),
        Wish: WishFactory(),
        Event: event,
        Claim: claim,
        Fulfilment: fulfilment,
        FulfilmentPhoto: add_fulfilment_photos(
            fulfilment_id=fulfilment.pk, by=staff, images=[tiny_photo()]
        )[0],
        ThankYouLetter: ThankYouLetter.objects.create(fulfilment=fulfilment, transcription="谢谢"),
        StatusChange: record_change(
            subject=claim.wish, from_status="open", to_status="claimed", by=staff
        ),
        AccessLog: AccessLog.objects.create(
            user=staff,
            action=AccessAction.VIEW_CHILD,
            content_type=ContentType.objects.get_for_model(Child),
            object_id=claim.wish.child_id,
            path="/school/children/1/",
        ),
        YearTotal: YearTotal.objects.create(year=2015, wishes_fulfilled=21, units=4),
        ImportBatch: ImportBatch.objects.create(
            file="imports/2026/11/batch.xlsx",
            original_name="名单.xlsx",
            campaign=CampaignFactory(),
            created_by=staff,
        ),
        Sponsor: SponsorFactory(),
        SponsorMember: SponsorMemberFactory(),
    }


def form_data(response) -> dict:
    """What a browser would post back from an admin change page, as rendered."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if isinstance(field.widget, CheckboxInput):
                if value:
                    data[form[name].html_name] = "on"
            elif isinstance(value, list | tuple):
                data[form[name].html_name] = [str(v) for v in value]
            elif value is not None:
                data[form[name].html_name] = str(value)
    return data


def test_every_model_of_both_apps_is_registered():
    for label in ("wishes", "sponsors"):
        for model in apps.get_app_config(label).get_models():
            # Field history is shown on its record's pages only, never as a list of its own.
            if issubclass(model, HistoricalChanges):
                assert not admin.site.is_registered(model), model
            else:
                assert admin.site.is_registered(model), model


@pytest.mark.parametrize("role", BACK_OFFICE)
@pytest.mark.parametrize("model", EVERY_MODEL)
def test_back_office_sees_every_changelist_without_delete_action(role, model, client_for, records):
    response = client_for(role).get(admin_url(model, "changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1
    assert b"delete_selected" not in response.content
    action_form = response.context["action_form"]
    if action_form is not None:
        assert "delete_selected" not in dict(action_form.fields["action"].choices)


@pytest.mark.parametrize("role", BACK_OFFICE)
@pytest.mark.parametrize("model", ADDABLE)
def test_back_office_may_add_records_typed_in_by_hand(role, model, client_for, db):
    response = client_for(role).get(admin_url(model, "add"))

    assert response.status_code == 200
    assert "status" not in response.context["adminform"].form.fields


@pytest.mark.parametrize("role", BACK_OFFICE)
@pytest.mark.parametrize("model", NOT_ADDABLE)
def test_records_made_by_services_cannot_be_added_by_hand(role, model, client_for, db):
    assert client_for(role).get(admin_url(model, "add")).status_code == 403


@pytest.mark.parametrize("role", BACK_OFFICE)
def test_adding_an_import_batch_leads_to_the_upload_page(role, client_for, db):
    response = client_for(role).get(admin_url(ImportBatch, "add"))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:wishes_importbatch_upload")


@pytest.mark.parametrize("role", BACK_OFFICE)
@pytest.mark.parametrize("model", EVERY_MODEL)
def test_change_page_of_every_model_loads(role, model, client_for, records):
    response = client_for(role).get(admin_url(model, "change", records[model].pk))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "status" not in form.fields


@pytest.mark.parametrize("role", ["anonymous", "sponsor", "coordinator", "plain_user"])
@pytest.mark.parametrize("model", EVERY_MODEL)
def test_outsiders_are_sent_to_the_admin_login(role, model, client_for, db):
    url = admin_url(model, "changelist")

    response = client_for(role).get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_outsider_is_sent_to_the_admin_login_from_an_add_page(client_for, db):
    response = client_for("sponsor").get(admin_url(Wish, "add"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("role", BACK_OFFICE)
@pytest.mark.parametrize("model", EVERY_MODEL)
def test_nothing_can_be_deleted(role, model, client_for, records):
    obj = records[model]
    client = client_for(role)

    assert client.get(admin_url(model, "delete", obj.pk)).status_code == 403
    assert client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_status_change_cannot_be_edited_even_by_a_superuser(client_for, records):
    change = records[StatusChange]
    client = client_for("superuser")

    response = client.post(
        admin_url(StatusChange, "change", change.pk), {"to_status": "fulfilled", "_save": "1"}
    )

    assert response.status_code == 403
    change.refresh_from_db()
    assert change.to_status == "claimed"
    page = client.get(admin_url(StatusChange, "change", change.pk))
    assert b'name="_save"' not in page.content


def test_forged_status_in_the_wish_form_is_ignored(client_for, db):
    wish = WishFactory()
    client = client_for("staff")
    data = form_data(client.get(admin_url(Wish, "change", wish.pk)))
    data.update(
        status=WishStatus.OPEN, published_at="2026-01-01 10:00:00", code="FORGED", _save="1"
    )
    data["category"] = "sports"

    response = client.post(admin_url(Wish, "change", wish.pk), data)

    # The save went through (the other fields changed) without touching the state.
    assert response.status_code == 302
    wish.refresh_from_db()
    assert wish.category == "sports"
    assert wish.status == WishStatus.DRAFT
    assert wish.published_at is None
    assert wish.code != "FORGED"


def test_forged_verification_in_the_sponsor_form_is_ignored(client_for, db):
    sponsor = SponsorFactory(contact_name="李老师")
    client = client_for("staff")
    data = form_data(client.get(admin_url(Sponsor, "change", sponsor.pk)))
    data.update(status=VerificationStatus.VERIFIED, contact_name="王老师", _save="1")

    response = client.post(admin_url(Sponsor, "change", sponsor.pk), data)

    assert response.status_code == 302
    sponsor.refresh_from_db()
    assert sponsor.contact_name == "王老师"
    assert sponsor.status == VerificationStatus.PENDING


def test_claim_form_cannot_change_status_or_cancel_reason(client_for, db):
    claim = ClaimFactory()
    client = client_for("staff")
    data = form_data(client.get(admin_url(Claim, "change", claim.pk)))
    data.update(status="cancelled", cancel_reason="forged", claimant_name="北蔡镇", _save="1")

    response = client.post(admin_url(Claim, "change", claim.pk), data)

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.claimant_name == "北蔡镇"
    assert claim.status == "active"
    assert claim.cancel_reason == ""


def test_new_wish_without_public_text_gets_a_redacted_draft(client_for, db):
    child = ChildFactory(real_name="王小花", class_name="三(2)班")
    campaign = CampaignFactory()
    client = client_for("staff")

    response = client.post(
        admin_url(Wish, "add"),
        {
            "child": child.pk,
            "campaign": campaign.pk,
            "category": "books",
            "estimated_value": "80",
            "child_words": "我是三(2)班的王小花，我想要一本字典",
            "public_text": "",
            "status": WishStatus.OPEN,
            "_save": "1",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 302
    wish = Wish.objects.get(child=child)
    assert wish.status == WishStatus.DRAFT
    assert "王小花" not in wish.public_text
    assert "三(2)班" not in wish.public_text
    assert "字典" in wish.public_text
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Check it before publishing" in note for note in notes)


def test_public_text_written_by_staff_is_kept(client_for, db):
    wish = WishFactory(public_text="想要一本字典")
    client = client_for("staff")
    data = form_data(client.get(admin_url(Wish, "change", wish.pk)))
    data["_save"] = "1"

    response = client.post(admin_url(Wish, "change", wish.pk), data, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    wish.refresh_from_db()
    assert wish.public_text == "想要一本字典"
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert not any("Check it before publishing" in note for note in notes)


def test_wish_changelist_shows_code_alias_and_school_not_the_real_name(client_for, db):
    wish = WishFactory(child__alias="小李同学", child__real_name="李真名")

    response = client_for("staff").get(admin_url(Wish, "changelist"))

    html = response.content.decode()
    assert wish.code in html
    assert "小李同学" in html
    assert wish.child.school.name in html
    assert "李真名" not in html


def test_wish_page_shows_its_claims_and_history(client_for, db, staff):
    claim = ClaimFactory(claimant_name="北蔡镇新时代文明实践分中心")
    record_change(subject=claim.wish, from_status="open", to_status="claimed", by=staff, note="x")

    response = client_for("staff").get(admin_url(Wish, "change", claim.wish.pk))

    formsets = {f.formset.model: f for f in response.context["inline_admin_formsets"]}
    assert set(formsets) == {Claim, StatusChange}
    assert "北蔡镇新时代文明实践分中心" in response.content.decode()
    history = formsets[StatusChange]
    assert not history.has_add_permission
    assert not history.has_change_permission
    assert not history.has_delete_permission


def test_child_page_shows_wishes_consents_and_history(client_for, db):
    wish = WishFactory()
    ConsentFactory(child=wish.child, given_by="监护人甲")

    response = client_for("staff").get(admin_url(Child, "change", wish.child.pk))

    models = {f.formset.model for f in response.context["inline_admin_formsets"]}
    assert models == {Wish, Consent, StatusChange}
    html = response.content.decode()
    assert wish.code in html
    assert "监护人甲" in html


def test_sponsor_page_shows_members_and_history(client_for, db, staff):
    member = SponsorMemberFactory(user__username="member_of_unit")
    record_change(subject=member.sponsor, from_status="pending", to_status="verified", by=staff)

    response = client_for("staff").get(admin_url(Sponsor, "change", member.sponsor.pk))

    models = {f.formset.model for f in response.context["inline_admin_formsets"]}
    assert models == {SponsorMember, StatusChange}
    assert "member_of_unit" in response.content.decode()


def test_admin_speaks_chinese_by_default_and_english_on_request(client_for, db):
    client = client_for("staff")

    chinese = client.get(reverse("admin:index"))
    english = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")

    assert chinese["Content-Language"] == "zh-hans"
    assert english["Content-Language"] == "en"
    assert "Huamu Dream Wishes back office" in english.content.decode()


@pytest.mark.parametrize("model, factory", [(Wish, WishFactory), (Claim, ClaimFactory)])
def test_changelist_queries_do_not_grow_with_the_rows(model, factory, client_for, db):
    client = client_for("staff")
    factory()
    url = admin_url(model, "changelist")
    with CaptureQueriesContext(connection) as one_row:
        client.get(url)
    factory.create_batch(4)

    with CaptureQueriesContext(connection) as five_rows:
        client.get(url)

    # Filters may add a query when a second school or campaign appears, never one per row.
    assert len(five_rows) <= len(one_row) + 2
