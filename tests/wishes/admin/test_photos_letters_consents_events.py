"""The back office of photos, letters, consents, events and the access log.

Every change is an admin action calling a service; what the public sees follows at once.
"""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import constants, get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms import CheckboxInput
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from huamu.images import clean_image
from tests.factories import (
    CampaignFactory,
    ChildFactory,
    ClaimFactory,
    ConsentFactory,
    EventFactory,
    FulfilmentFactory,
    SponsorFactory,
    SponsorMemberFactory,
    UserFactory,
    WishFactory,
)
from wishes.audit import history_of
from wishes.models import (
    AccessAction,
    AccessLog,
    Child,
    Consent,
    Event,
    EventKind,
    EventSignup,
    Fulfilment,
    FulfilmentPhoto,
    LetterStatus,
    ThankYouLetter,
)
from wishes.services import record_fulfilment, set_photo_publication, upload_letter

pytestmark = pytest.mark.django_db

CHANGE_FORM_ACTION = "CHANGE_FORM-action"


@pytest.fixture
def staff_client(client_for):
    return client_for("staff")


def jpeg_bytes(size=(64, 48), colour=(200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def tiny_photo():
    """A 64x48 JPEG, checked and re-encoded as the upload forms do."""
    return clean_image(SimpleUploadedFile("phone.jpg", jpeg_bytes(), "image/jpeg"))


def admin_url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def run_action(client, model, action: str, objects):
    """Choose an action on the list page for `objects`, as the "Run" button does."""
    data = {
        "action": action,
        "index": "0",
        "select_across": "0",
        "_selected_action": [str(obj.pk) for obj in objects],
    }
    return client.post(admin_url(model, "changelist"), data, HTTP_ACCEPT_LANGUAGE="en")


def submit_action_form(client, model, action: str, objects, **fields):
    """Submit an action's intermediate page, as its button does."""
    data = {
        "action": action,
        "apply": "1",
        "_selected_action": [str(obj.pk) for obj in objects],
        **fields,
    }
    return client.post(admin_url(model, "changelist"), data, HTTP_ACCEPT_LANGUAGE="en")


def notes(response, level: int | None = None) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if level in (None, m.level)]


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


def stored(field_file) -> bool:
    return bool(field_file) and Path(field_file.path).is_file()


def event_page(client, event: Event):
    return client.get(reverse("events:detail", args=[event.pk]))


def fulfil_with_photos(by, *, event=None, photos=1, publish_photos=True, **claim):
    """A claim fulfilled (at a public event) with private photos; returns the photos."""
    claim = ClaimFactory(**claim)
    Consent.objects.filter(child=claim.wish.child).update(publish_photos=publish_photos)
    fulfilment = record_fulfilment(
        claim_id=claim.pk,
        by=by,
        fulfilled_on=timezone.localdate(),
        event=event or EventFactory(),
        photos=[tiny_photo() for _ in range(photos)],
    )
    return list(fulfilment.photos.all())


# --- photos ----------------------------------------------------------------------------------


def test_photo_list_shows_thumbnail_alias_and_consent(staff_client, staff):
    [photo] = fulfil_with_photos(staff, wish__child__alias="小周同学")

    response = staff_client.get(admin_url(FulfilmentPhoto, "changelist"))

    html = response.text
    assert response.status_code == 200
    assert f'src="{reverse("files:photo_thumbnail", args=[photo.pk])}"' in html
    assert "小周同学" in html
    assert photo.fulfilment.claim.wish.code in html
    [row] = response.context["cl"].result_list
    assert row.may_publish is True
    assert row.may_share is True


def test_photo_list_queries_do_not_grow_with_the_photos(staff_client, staff):
    fulfil_with_photos(staff)
    url = admin_url(FulfilmentPhoto, "changelist")
    with CaptureQueriesContext(connection) as few:
        staff_client.get(url)
    for _ in range(4):
        fulfil_with_photos(staff)

    with CaptureQueriesContext(connection) as more:
        staff_client.get(url)

    # Filters may add a query when another event or school appears, never one per row.
    assert len(more) <= len(few) + 2


def test_clearing_a_consented_photo_puts_it_on_the_public_event_page(staff_client, staff, client):
    event = EventFactory()
    [photo] = fulfil_with_photos(staff, event=event)
    assert event_page(client, event).context["photo_ids"] == []

    response = run_action(staff_client, FulfilmentPhoto, "clear_for_publication", [photo])

    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.is_public
    change = history_of(photo).last()
    assert (change.from_status, change.to_status, change.by) == ("private", "public", staff)
    assert event_page(client, event).context["photo_ids"] == [photo.pk]


def test_clearing_without_consent_is_refused_with_the_services_message(staff_client, staff):
    [photo] = fulfil_with_photos(staff, publish_photos=False)

    response = run_action(staff_client, FulfilmentPhoto, "clear_for_publication", [photo])

    photo.refresh_from_db()
    assert not photo.is_public
    assert notes(response, constants.ERROR) == [
        f"Photo {photo.pk}: The guardian has not consented to publishing photos of this child."
    ]


def test_taking_a_photo_off_the_public_pages(staff_client, staff, client):
    event = EventFactory()
    [photo] = fulfil_with_photos(staff, event=event)
    set_photo_publication(photo_id=photo.pk, by=staff, public=True)

    response = run_action(staff_client, FulfilmentPhoto, "take_off_public_pages", [photo])

    assert response.status_code == 302
    photo.refresh_from_db()
    assert not photo.is_public
    assert event_page(client, event).context["photo_ids"] == []


def test_withdraw_photo_asks_for_a_reason_then_withdraws_it(staff_client, staff):
    [photo] = fulfil_with_photos(staff)
    set_photo_publication(photo_id=photo.pk, by=staff, public=True)

    page = run_action(staff_client, FulfilmentPhoto, "withdraw", [photo])
    assert page.status_code == 200
    assert "reason" in page.context["adminform"].form.fields
    photo.refresh_from_db()
    assert photo.withdrawn_at is None

    response = submit_action_form(
        staff_client, FulfilmentPhoto, "withdraw", [photo], reason="家长不同意"
    )

    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.withdrawn_at is not None
    assert not photo.is_public
    assert history_of(photo).last().note == "家长不同意"
    assert stored(photo.image)


def test_withdraw_photo_without_a_reason_is_refused(staff_client, staff):
    [photo] = fulfil_with_photos(staff)

    response = submit_action_form(staff_client, FulfilmentPhoto, "withdraw", [photo], reason="")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reason"]
    photo.refresh_from_db()
    assert photo.withdrawn_at is None


def test_photo_form_cannot_publish_or_withdraw(staff_client, staff):
    [photo] = fulfil_with_photos(staff)
    url = admin_url(FulfilmentPhoto, "change", photo.pk)

    page = staff_client.get(url)
    data = form_data(page)
    data.update(is_public="on", withdrawn_at_0="2026-01-01", withdrawn_at_1="10:00", _save="1")
    response = staff_client.post(url, data)

    assert page.status_code == 200
    assert page.context["adminform"].form.fields == {}
    assert f'src="{reverse("files:photo_thumbnail", args=[photo.pk])}"' in page.text
    assert response.status_code == 302
    photo.refresh_from_db()
    assert not photo.is_public
    assert photo.withdrawn_at is None


def test_photo_can_be_cleared_from_its_own_page(staff_client, staff):
    [photo] = fulfil_with_photos(staff)
    url = admin_url(FulfilmentPhoto, "change", photo.pk)

    response = staff_client.post(
        url,
        {CHANGE_FORM_ACTION: "clear_for_publication", "index": "0", "_selected_action": photo.pk},
    )

    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.is_public


def test_fulfilment_page_shows_its_photos_and_letters(staff_client, staff):
    [photo] = fulfil_with_photos(staff)
    upload_letter(fulfilment_id=photo.fulfilment_id, by=staff, scan=None, transcription="谢谢")

    response = staff_client.get(admin_url(type(photo.fulfilment), "change", photo.fulfilment_id))

    models = {f.formset.model for f in response.context["inline_admin_formsets"]}
    assert models == {FulfilmentPhoto, ThankYouLetter}
    assert reverse("files:photo_thumbnail", args=[photo.pk]) in response.text


# --- letters ---------------------------------------------------------------------------------


def pending_letter(by, *, scan=True, transcription="谢谢叔叔阿姨") -> ThankYouLetter:
    sponsor = SponsorFactory(verified=True, email="unit@example.org", language="en")
    fulfilment = FulfilmentFactory(claim__sponsor=sponsor)
    return upload_letter(
        fulfilment_id=fulfilment.pk,
        by=by,
        scan=tiny_photo() if scan else None,
        transcription=transcription,
    )


def test_letter_list_shows_wish_code_school_and_status(staff_client, coordinator):
    letter = pending_letter(coordinator)
    wish = letter.fulfilment.claim.wish

    response = staff_client.get(admin_url(ThankYouLetter, "changelist"), HTTP_ACCEPT_LANGUAGE="en")

    assert wish.code in response.text
    assert wish.child.school.name in response.text
    assert "Waiting for approval" in response.text
    assert "coordinator" in response.text


def test_approve_makes_the_watermarked_copy_and_mails_the_sponsor_after_commit(
    staff_client, staff, coordinator, django_capture_on_commit_callbacks
):
    letter = pending_letter(coordinator)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(staff_client, ThankYouLetter, "approve", [letter])
        # Nothing is sent while the change may still roll back.
        assert mail.outbox == []

    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.status == LetterStatus.APPROVED
    assert (letter.reviewed_by, letter.preview.name.startswith("letters/")) == (staff, True)
    assert stored(letter.preview)
    [message] = mail.outbox
    assert message.to == ["unit@example.org"]
    assert letter.fulfilment.claim.wish.code in message.subject
    assert notes(response, constants.SUCCESS)


def test_approving_a_typed_letter_needs_no_copy(staff_client, staff):
    letter = pending_letter(staff, scan=False)

    run_action(staff_client, ThankYouLetter, "approve", [letter])

    letter.refresh_from_db()
    assert letter.status == LetterStatus.APPROVED
    assert not letter.preview


def test_approving_twice_is_reported(staff_client, staff):
    letter = pending_letter(staff)
    run_action(staff_client, ThankYouLetter, "approve", [letter])

    response = run_action(staff_client, ThankYouLetter, "approve", [letter])

    [error] = notes(response, constants.ERROR)
    assert "Only a letter waiting for approval can be approved" in error


def test_reject_needs_a_reason(staff_client, staff):
    letter = pending_letter(staff)

    page = run_action(staff_client, ThankYouLetter, "reject", [letter])
    refused = submit_action_form(staff_client, ThankYouLetter, "reject", [letter], reason=" ")

    assert page.status_code == 200
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["reason"]
    letter.refresh_from_db()
    assert letter.status == LetterStatus.PENDING


def test_reject_with_a_reason_keeps_the_letter_from_the_sponsor(
    staff_client, staff, django_capture_on_commit_callbacks
):
    letter = pending_letter(staff)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = submit_action_form(
            staff_client, ThankYouLetter, "reject", [letter], reason="信中写了孩子的全名"
        )

    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.status == LetterStatus.REJECTED
    assert letter.review_note == "信中写了孩子的全名"
    assert not letter.preview
    assert history_of(letter).last().note == "信中写了孩子的全名"
    assert mail.outbox == []


def test_letter_page_links_to_the_scan_and_the_sponsors_copy(staff_client, staff):
    letter = pending_letter(staff)
    run_action(staff_client, ThankYouLetter, "approve", [letter])

    response = staff_client.get(admin_url(ThankYouLetter, "change", letter.pk))

    assert f'href="{reverse("files:letter_scan", args=[letter.pk])}"' in response.text
    assert f'href="{reverse("files:letter_preview", args=[letter.pk])}"' in response.text


def test_letter_form_cannot_change_status_or_an_approved_text(staff_client, staff):
    letter = pending_letter(staff)
    url = admin_url(ThankYouLetter, "change", letter.pk)
    fields = set(staff_client.get(url).context["adminform"].form.fields)
    assert fields == {"transcription", "shared_text"}
    run_action(staff_client, ThankYouLetter, "approve", [letter])

    page = staff_client.get(url)
    data = form_data(page)
    data.update(
        transcription="改过的信", shared_text="改过的信", status=LetterStatus.PENDING, _save="1"
    )
    response = staff_client.post(url, data)

    assert page.context["adminform"].form.fields == {}
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.status == LetterStatus.APPROVED
    assert letter.transcription == "谢谢叔叔阿姨"


def test_letter_typed_in_by_staff_goes_through_the_upload_service(
    staff_client, staff, django_capture_on_commit_callbacks
):
    fulfilment = FulfilmentFactory()
    scan = SimpleUploadedFile("letter.jpg", jpeg_bytes(), "image/jpeg")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            admin_url(ThankYouLetter, "add"),
            {
                "fulfilment": fulfilment.pk,
                "transcription": "谢谢您送的书",
                "scan_upload": scan,
                "status": LetterStatus.APPROVED,
                "_save": "1",
            },
        )

    assert response.status_code == 302
    letter = ThankYouLetter.objects.get(fulfilment=fulfilment)
    assert letter.status == LetterStatus.PENDING
    assert letter.uploaded_by == staff
    assert letter.scan.name.startswith("letters/") and stored(letter.scan)
    assert history_of(letter).get().to_status == LetterStatus.PENDING
    assert [m.to for m in mail.outbox] == [["staff@huamu.example"]]


def test_letter_added_by_hand_may_be_a_scan_alone(staff_client):
    fulfilment = FulfilmentFactory()
    scan = SimpleUploadedFile("letter.png", jpeg_bytes(), "image/png")

    response = staff_client.post(
        admin_url(ThankYouLetter, "add"),
        {"fulfilment": fulfilment.pk, "transcription": "", "scan_upload": scan, "_save": "1"},
    )

    assert response.status_code == 302
    letter = ThankYouLetter.objects.get(fulfilment=fulfilment)
    assert (letter.transcription, letter.scan_width, letter.scan_height) == ("", 64, 48)


def test_letter_added_by_hand_needs_a_scan_or_a_text(staff_client):
    fulfilment = FulfilmentFactory()

    response = staff_client.post(
        admin_url(ThankYouLetter, "add"),
        {"fulfilment": fulfilment.pk, "transcription": " ", "_save": "1"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert "Upload the letter" in str(response.context["adminform"].form.non_field_errors())
    assert not ThankYouLetter.objects.exists()


def test_letter_added_by_hand_refuses_a_file_that_is_not_a_picture(staff_client):
    fulfilment = FulfilmentFactory()
    fake = SimpleUploadedFile("letter.jpg", b"<html><script>x</script></html>", "image/jpeg")

    response = staff_client.post(
        admin_url(ThankYouLetter, "add"),
        {"fulfilment": fulfilment.pk, "scan_upload": fake, "_save": "1"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["scan_upload"]
    assert not ThankYouLetter.objects.exists()


# --- consent ---------------------------------------------------------------------------------


@pytest.fixture
def consented_child(db, staff):
    """A child with an open wish and a fulfilled one whose photo is on a public event page."""
    child = ChildFactory(alias="小林同学")
    open_wish = WishFactory(open=True, child=child)
    event = EventFactory()
    [photo] = fulfil_with_photos(staff, event=event, wish__child=child)
    # One consent, covering the wish and its photos; the factories made one per wish.
    consent = Consent.objects.filter(child=child).first()
    Consent.objects.filter(child=child).exclude(pk=consent.pk).delete()
    set_photo_publication(photo_id=photo.pk, by=staff, public=True)
    return {
        "consent": consent,
        "open_wish": open_wish,
        "fulfilled_wish": photo.fulfilment.claim.wish,
        "photo": photo,
        "event": event,
    }


def test_withdrawing_consent_takes_wish_and_photos_off_the_public_pages(
    staff_client, staff, client, consented_child
):
    cast = consented_child
    open_url = cast["open_wish"].get_absolute_url()
    assert cast["open_wish"].code in client.get(reverse("wishes:list")).text
    assert event_page(client, cast["event"]).context["photo_ids"] == [cast["photo"].pk]

    page = run_action(staff_client, Consent, "withdraw", [cast["consent"]])
    assert page.status_code == 200
    response = submit_action_form(
        staff_client, Consent, "withdraw", [cast["consent"]], note="家长电话撤回同意"
    )

    assert response.status_code == 302
    cast["consent"].refresh_from_db()
    cast["photo"].refresh_from_db()
    assert cast["consent"].withdrawn_at is not None
    assert not cast["photo"].is_public
    assert history_of(cast["consent"]).get().note == "家长电话撤回同意"
    assert history_of(cast["photo"]).last().to_status == "private"
    assert cast["open_wish"].code not in client.get(reverse("wishes:list")).text
    assert client.get(open_url).status_code == 404
    assert client.get(cast["fulfilled_wish"].get_absolute_url()).status_code == 404
    assert event_page(client, cast["event"]).context["photo_ids"] == []
    # A new consent does not bring the photo back: staff must clear it again.
    ConsentFactory(child=cast["consent"].child, publish_photos=True)
    assert event_page(client, cast["event"]).context["photo_ids"] == []


def test_withdrawing_consent_needs_a_note(staff_client, consented_child):
    consent = consented_child["consent"]

    response = submit_action_form(staff_client, Consent, "withdraw", [consent], note="")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["note"]
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_withdrawing_a_withdrawn_consent_is_reported(staff_client, consented_child):
    consent = consented_child["consent"]
    submit_action_form(staff_client, Consent, "withdraw", [consent], note="撤回")

    response = submit_action_form(staff_client, Consent, "withdraw", [consent], note="再撤回")

    [error] = notes(response, constants.ERROR)
    assert "already been withdrawn" in error


def test_consent_form_cannot_withdraw_or_widen_a_recorded_consent(staff_client):
    consent = ConsentFactory(publish_photos=False, given_by="林家长")
    url = admin_url(Consent, "change", consent.pk)

    page = staff_client.get(url)
    data = form_data(page)
    data.update(
        given_by="林家长（母亲）",
        publish_photos="on",
        withdrawn_at_0="2026-01-01",
        withdrawn_at_1="10:00",
        _save="1",
    )
    response = staff_client.post(url, data)

    # Staff may still move the end of validity and attach the scan of the signed form.
    assert set(page.context["adminform"].form.fields) == {
        "given_on",
        "valid_until",
        "method",
        "given_by",
        "collected_by",
        "note",
        "signed_form_upload",
    }
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.given_by == "林家长（母亲）"
    assert consent.withdrawn_at is None
    assert not consent.publish_photos


def test_new_consent_form_has_scopes_but_no_withdrawal(staff_client):
    form = staff_client.get(admin_url(Consent, "add")).context["adminform"].form

    assert "publish_photos" in form.fields
    assert "withdrawn_at" not in form.fields


def test_child_page_shows_recorded_consents_read_only_and_adds_new_ones(staff_client):
    consent = ConsentFactory(publish_photos=False)

    response = staff_client.get(admin_url(Child, "change", consent.child.pk))

    [inline] = [f for f in response.context["inline_admin_formsets"] if f.formset.model is Consent]
    assert not inline.has_change_permission
    assert inline.has_add_permission
    assert "withdrawn_at" not in inline.formset.empty_form.fields


# --- events ----------------------------------------------------------------------------------


def test_event_list_shows_public_flag_and_wishes_fulfilled(staff_client, staff):
    event = EventFactory(title="感恩专场", is_public=False)
    fulfil_with_photos(staff, event=event, photos=0)

    response = staff_client.get(admin_url(Event, "changelist"))

    [row] = response.context["cl"].result_list
    assert (row.title, row.is_public, row.fulfilled) == ("感恩专场", False, 1)
    public_only = staff_client.get(admin_url(Event, "changelist"), {"is_public__exact": "1"})
    assert list(public_only.context["cl"].result_list) == []


def test_event_page_shows_its_fulfilments_read_only(staff_client, staff):
    event = EventFactory()
    [photo] = fulfil_with_photos(staff, event=event, wish__child__alias="小吴同学")

    response = staff_client.get(admin_url(Event, "change", event.pk))

    # The sign-ups first, then the wishes fulfilled there: both read-only.
    inlines = response.context["inline_admin_formsets"]
    assert [inline.opts.model for inline in inlines] == [EventSignup, Fulfilment]
    assert not any(inline.has_add_permission for inline in inlines)
    assert not any(inline.has_change_permission for inline in inlines)
    assert photo.fulfilment.claim.wish.code in response.text
    assert "小吴同学" in response.text


def test_event_is_planned_with_sponsors_and_wishes(staff_client, open_wish):
    unit = SponsorFactory(verified=True)
    campaign = CampaignFactory()

    response = staff_client.post(
        admin_url(Event, "add"),
        {
            "kind": EventKind.DREAM_MEETING,
            "title": "梦想见面会",
            "date": "2026-12-05",
            "venue": "花木社区党群服务中心",
            "campaign": campaign.pk,
            "is_public": "on",
            "description": "12·5 国际志愿者日",
            "volunteer_hours": "2.5",
            "sponsors": [unit.pk],
            "wishes": [open_wish.pk],
            "_save": "1",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    event = Event.objects.get(title="梦想见面会")
    assert list(event.sponsors.all()) == [unit]
    assert list(event.wishes.all()) == [open_wish]
    assert event.is_public
    assert event.volunteer_hours == Decimal("2.5")


# --- access log ------------------------------------------------------------------------------


@pytest.fixture
def log_rows(db, coordinator):
    child = ChildFactory()
    child_type = ContentType.objects.get_for_model(Child)
    other = UserFactory(username="another_viewer")
    return [
        AccessLog.objects.create(
            user=coordinator,
            action=AccessAction.VIEW_CHILD,
            content_type=child_type,
            object_id=child.pk,
            ip_address="10.0.0.7",
            path=f"/school/children/{child.pk}/",
        ),
        AccessLog.objects.create(
            user=other,
            action=AccessAction.VIEW_PHOTO,
            content_type=child_type,
            object_id=child.pk,
            path="/files/photos/1/",
        ),
    ]


def test_access_log_shows_who_what_and_from_where(staff_client, log_rows):
    response = staff_client.get(admin_url(AccessLog, "changelist"))

    assert response.context["cl"].result_count == 2
    html = response.text
    assert "coordinator" in html
    assert "10.0.0.7" in html
    assert log_rows[0].path in html
    assert admin_url(Child, "change", log_rows[0].object_id) in html


def test_access_log_is_searched_by_user_and_filtered_by_action(staff_client, log_rows):
    url = admin_url(AccessLog, "changelist")

    by_user = staff_client.get(url, {"q": "coordinator"})
    by_action = staff_client.get(url, {"action__exact": AccessAction.VIEW_PHOTO})

    assert list(by_user.context["cl"].result_list) == [log_rows[0]]
    assert list(by_action.context["cl"].result_list) == [log_rows[1]]


def test_access_log_cannot_be_changed(staff_client, client_for, log_rows):
    row = log_rows[0]
    url = admin_url(AccessLog, "change", row.pk)

    page = staff_client.get(url)
    response = client_for("superuser").post(url, {"path": "/forged/", "_save": "1"})

    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.path.startswith("/school/children/")


def test_sponsor_member_cannot_open_the_photo_admin(client, staff):
    member = SponsorMemberFactory(user__username="member").user
    [photo] = fulfil_with_photos(staff)
    client.force_login(member)

    response = client.get(admin_url(FulfilmentPhoto, "change", photo.pk))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
