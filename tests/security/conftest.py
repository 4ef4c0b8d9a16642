"""A small world with one object of every kind, for tests that walk every page."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import CheckboxInput
from PIL import Image

from huamu.documents import clean_scanned_form
from huamu.images import clean_image
from sponsors.models import MemberRole
from sponsors.teams import create_invite, request_to_join
from tests.factories import (
    ClaimFactory,
    ConsentFactory,
    EventFactory,
    FulfilmentFactory,
    SponsorFactory,
    SponsorMemberFactory,
    UserFactory,
    WishFactory,
)
from wishes.models import ThankYouLetter
from wishes.services import add_fulfilment_photos, attach_signed_form, upload_letter


def tiny_image():
    """A 64x48 JPEG, checked and re-encoded as an upload would be."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 200)).save(buffer, "JPEG")
    return clean_image(SimpleUploadedFile("letter.jpg", buffer.getvalue(), "image/jpeg"))


def signed_form_scan():
    """A small scanned consent form, checked as the admin's upload would be."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (250, 250, 240)).save(buffer, "JPEG")
    return clean_scanned_form(SimpleUploadedFile("form.jpg", buffer.getvalue(), "image/jpeg"))


def jpeg_upload(name: str = "photo.jpg") -> SimpleUploadedFile:
    """A small JPEG as a browser would upload it."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/jpeg")


@pytest.fixture
def world(db, staff, sponsor, other_sponsor, coordinator, school, open_wish):
    """One of each: open, claimed and fulfilled wishes of `school`, an event, a photo, a letter."""
    return build_world(
        staff=staff,
        sponsor=sponsor,
        other_sponsor=other_sponsor,
        coordinator=coordinator,
        school=school,
        open_wish=open_wish,
    )


def build_world(*, staff, sponsor, other_sponsor, coordinator, school, open_wish) -> dict:
    """The objects of `world`, for test modules outside this folder (the browser tests).

    The claim and the fulfilment belong to `sponsor`; the photo and the letter to the
    fulfilment, so that every page of every role has something real to show.
    """
    member_sponsor = sponsor.sponsor_member.sponsor
    claim = ClaimFactory(wish__child__school=school, sponsor=member_sponsor)
    fulfilment = FulfilmentFactory(
        claim__wish__child__school=school, claim__sponsor=member_sponsor
    )
    event = EventFactory(school=school, is_public=True)
    event.wishes.add(open_wish)
    event.sponsors.add(member_sponsor)
    photo = add_fulfilment_photos(fulfilment_id=fulfilment.pk, by=staff, images=[tiny_image()])[0]
    letter = upload_letter(
        fulfilment_id=fulfilment.pk, by=coordinator, scan=tiny_image(), transcription="谢谢您"
    )
    recorded = open_wish.child.consents.first() or ConsentFactory(child=open_wish.child)
    consent = attach_signed_form(consent_id=recorded.pk, by=staff, scan=signed_form_scan())
    return {
        "staff": staff,
        "consent": consent,
        "sponsor": member_sponsor,
        "other_sponsor": other_sponsor.sponsor_member.sponsor,
        "pending_sponsor": SponsorFactory(),
        "school": school,
        "open_wish": open_wish,
        "child": open_wish.child,
        "draft_wish": WishFactory(child__school=school),
        "claim": claim,
        "fulfilment": fulfilment,
        "fulfilled_claim": fulfilment.claim,
        "event": event,
        "photo": photo,
        "letter": ThankYouLetter.objects.get(pk=letter.pk),
        **_team_world(sponsor),
    }


def _team_world(sponsor) -> dict:
    """The unit's team: an open invitation, a colleague's request made with another one, and
    a plain member."""
    unit = sponsor.sponsor_member.sponsor
    invite = create_invite(sponsor_id=unit.pk, by=sponsor)
    used = create_invite(sponsor_id=unit.pk, by=sponsor)
    join_request = request_to_join(token=used.token, user=UserFactory(username="newcomer"))
    member = SponsorMemberFactory(user__username="teammate", sponsor=unit, role=MemberRole.MEMBER)
    return {"invite": invite, "join_request": join_request, "team_member": member}


def admin_form_data(response) -> dict:
    """What a browser would post back from an admin add or change page, as rendered."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name, form_field in form.fields.items():
            value = form[name].value()
            if isinstance(form_field.widget, CheckboxInput):
                if value:
                    data[form[name].html_name] = "on"
            elif isinstance(value, list | tuple):
                data[form[name].html_name] = [str(v) for v in value]
            elif value is not None:
                data[form[name].html_name] = str(value)
    return data
