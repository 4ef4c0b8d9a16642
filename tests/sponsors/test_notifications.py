"""Who is told what: each member over the channels and in the language they chose, the
privacy guard reading the text messages too, and a provider outage never undoing a claim."""

import datetime
import io

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from huamu import sms
from sponsors.models import MemberRole, NotificationChannel, NotificationPreference
from sponsors.notifications import MESSAGES, notify_sponsor
from sponsors.services import verify_sponsor
from tests.factories import SponsorFactory, SponsorMemberFactory
from wishes.models import Claim, ClaimStatus, WishStatus

pytestmark = pytest.mark.django_db

MOBILE = "13812345678"
OTHER_MOBILE = "13987654321"


class _RefusingBackend:
    def send_messages(self, messages):
        raise sms.SmsError("InternalError: the provider is down", retry=True)


def _choose(user, channel, *, language="zh-hans", mobile=MOBILE):
    return NotificationPreference.objects.create(
        user=user, channel=channel, language=language, mobile=mobile
    )


def _claim(client_for, wish, capture):
    promised = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    with capture(execute=True):
        response = client_for("sponsor").post(
            reverse("wishes:claim", args=[wish.pk]), {"promised_on": promised}
        )
    assert response.status_code == 302
    return response


def _to_sponsor(mailoutbox):
    return [m for m in mailoutbox if m.to != django_settings.STAFF_NOTIFY_EMAILS]


@pytest.fixture
def contact(sponsor):
    """The `sponsor` fixture's user as the unit's contact person: the unit's own address is
    theirs, so their choice decides for it."""
    unit = sponsor.sponsor_member.sponsor
    unit.email = sponsor.email
    unit.save(update_fields=["email"])
    return sponsor


def test_without_a_choice_everyone_is_told_by_email_only(
    client_for, sponsor, open_wish, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    _claim(client_for, open_wish, django_capture_on_commit_callbacks)

    [message] = _to_sponsor(mailoutbox)
    unit = sponsor.sponsor_member.sponsor
    assert message.to == sorted([unit.email, sponsor.email])
    assert sms_outbox == []


def test_email_only_sends_no_text_message(
    client_for, contact, open_wish, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    _choose(contact, NotificationChannel.EMAIL, mobile=MOBILE)
    _claim(client_for, open_wish, django_capture_on_commit_callbacks)

    assert [m.to for m in _to_sponsor(mailoutbox)] == [[contact.email]]
    assert sms_outbox == []


def test_sms_only_sends_no_mail(
    client_for, contact, open_wish, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    _choose(contact, NotificationChannel.SMS)
    _claim(client_for, open_wish, django_capture_on_commit_callbacks)

    assert _to_sponsor(mailoutbox) == []
    [text] = sms_outbox
    assert text.phone == MOBILE
    assert text.template == "claim_confirmed"
    assert open_wish.code in text.text
    assert text.text.startswith("【花木圆梦】")
    # Staff still hear of the claim by mail.
    assert [m.to for m in mailoutbox] == [django_settings.STAFF_NOTIFY_EMAILS]


def test_both_sends_mail_and_a_text_message(
    client_for, contact, open_wish, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    _choose(contact, NotificationChannel.BOTH)
    _claim(client_for, open_wish, django_capture_on_commit_callbacks)

    assert [m.to for m in _to_sponsor(mailoutbox)] == [[contact.email]]
    assert [(t.phone, t.template) for t in sms_outbox] == [(MOBILE, "claim_confirmed")]


def test_an_english_reader_gets_english_and_a_colleague_chinese(
    client_for, contact, open_wish, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    unit = contact.sponsor_member.sponsor
    colleague = SponsorMemberFactory(sponsor=unit, role=MemberRole.MEMBER).user
    _choose(contact, NotificationChannel.BOTH, language="en")
    _choose(colleague, NotificationChannel.BOTH, language="zh-hans", mobile=OTHER_MOBILE)
    _claim(client_for, open_wish, django_capture_on_commit_callbacks)

    by_address = {m.to[0]: m for m in _to_sponsor(mailoutbox)}
    assert sorted(by_address) == sorted([contact.email, colleague.email])
    assert "You claimed a wish" in by_address[contact.email].subject
    assert "You claimed a wish" not in by_address[colleague.email].subject
    texts = {t.phone: t.text for t in sms_outbox}
    assert "Thank you for claiming wish" in texts[MOBILE]
    assert "感谢您认领心愿" in texts[OTHER_MOBILE]


def test_the_sponsors_language_is_the_default_of_a_member_without_a_choice(
    sponsor, mailoutbox, django_capture_on_commit_callbacks, staff
):
    pending = SponsorFactory(language="en")
    member = SponsorMemberFactory(sponsor=pending).user
    with django_capture_on_commit_callbacks(execute=True):
        verify_sponsor(sponsor_id=pending.pk, by=staff)

    [message] = mailoutbox
    assert message.to == sorted([pending.email, member.email])
    assert "verified" in message.subject.lower()


def test_one_text_per_number_and_removed_members_are_not_told(
    contact, mailoutbox, sms_outbox, django_capture_on_commit_callbacks
):
    unit = contact.sponsor_member.sponsor
    same_phone = SponsorMemberFactory(sponsor=unit, role=MemberRole.MEMBER).user
    removed = SponsorMemberFactory(sponsor=unit, role=MemberRole.REMOVED).user
    _choose(contact, NotificationChannel.SMS)
    _choose(same_phone, NotificationChannel.SMS)
    _choose(removed, NotificationChannel.BOTH, mobile=OTHER_MOBILE)
    with django_capture_on_commit_callbacks(execute=True):
        notify_sponsor(unit, message="sponsor_verified", context={"sponsor": unit})

    assert [t.phone for t in sms_outbox] == [MOBILE]
    assert all(removed.email not in m.to for m in mailoutbox)


def test_the_privacy_guard_reads_the_text_messages_too(
    contact, sms_outbox, mailoutbox, django_capture_on_commit_callbacks
):
    unit = contact.sponsor_member.sponsor
    _choose(contact, NotificationChannel.BOTH)
    read = []
    with django_capture_on_commit_callbacks(execute=True):
        notify_sponsor(
            unit, message="sponsor_verified", context={"sponsor": unit}, screen=read.append
        )
    [text] = sms_outbox
    assert text.text in read
    assert any(mailoutbox[0].subject in seen for seen in read)


def test_a_text_the_guard_refuses_stops_the_whole_message(
    contact, sms_outbox, mailoutbox, django_capture_on_commit_callbacks
):
    unit = contact.sponsor_member.sponsor
    _choose(contact, NotificationChannel.BOTH)

    def refuse_texts(text):
        if text.startswith("【花木圆梦】"):
            raise ValidationError("names a child")

    with pytest.raises(ValidationError), django_capture_on_commit_callbacks(execute=True):
        notify_sponsor(
            unit, message="sponsor_verified", context={"sponsor": unit}, screen=refuse_texts
        )
    assert sms_outbox == []
    assert mailoutbox == []


def test_a_provider_outage_is_logged_and_the_claim_stays(
    settings,
    client_for,
    contact,
    open_wish,
    django_capture_on_commit_callbacks,
    mailoutbox,
    caplog,
):
    settings.SMS_BACKEND = f"{__name__}._RefusingBackend"
    _choose(contact, NotificationChannel.BOTH)

    response = _claim(client_for, open_wish, django_capture_on_commit_callbacks)

    claim = Claim.objects.get()
    assert response.url == reverse("sponsors:claim", args=[claim.pk])
    assert claim.status == ClaimStatus.ACTIVE
    open_wish.refresh_from_db()
    assert open_wish.status == WishStatus.CLAIMED
    assert "Could not send the claim_confirmed text message to 138****5678" in caplog.text
    assert MOBILE not in caplog.text
    # The mail went out all the same.
    assert [m.to for m in _to_sponsor(mailoutbox)] == [[contact.email]]


def test_team_messages_follow_each_persons_choice(
    client_for, contact, sms_outbox, mailoutbox, django_capture_on_commit_callbacks
):
    from sponsors.teams import approve_join_request, create_invite, request_to_join
    from tests.factories import UserFactory

    unit = contact.sponsor_member.sponsor
    _choose(contact, NotificationChannel.SMS)
    colleague = UserFactory(username="colleague")
    _choose(colleague, NotificationChannel.SMS, language="en", mobile=OTHER_MOBILE)
    invite = create_invite(sponsor_id=unit.pk, by=contact)
    with django_capture_on_commit_callbacks(execute=True):
        join = request_to_join(token=invite.token, user=colleague)
    with django_capture_on_commit_callbacks(execute=True):
        approve_join_request(request_id=join.pk, by=contact)

    assert [(t.phone, t.template) for t in sms_outbox] == [
        (MOBILE, "team_join_request"),
        (OTHER_MOBILE, "team_join_approved"),
    ]
    assert "You have joined your unit" in sms_outbox[1].text
    assert mailoutbox == []


def test_every_message_has_its_mail_and_text_templates():
    from django.template.loader import get_template

    for name in MESSAGES:
        get_template(f"mail/{name}_subject.txt")
        get_template(f"mail/{name}_body.txt")
        assert sms.make_message(
            phone=MOBILE, template=name, params={"count": "1"}
        ).text.startswith("【花木圆梦】")


def test_the_daily_reminder_texts_the_promised_date(
    settings, contact, sms_outbox, mailoutbox, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    from tests.factories import ClaimFactory

    settings.HUAMU_REMINDER_DAYS = 3
    unit = contact.sponsor_member.sponsor
    _choose(contact, NotificationChannel.SMS, language="en")
    promised = timezone.localdate() + datetime.timedelta(days=2)
    claim = ClaimFactory(sponsor=unit, promised_on=promised)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("follow_up_claims", stdout=io.StringIO())

    [text] = [t for t in sms_outbox if t.template == "claim_reminder"]
    assert text.phone == MOBILE
    assert f"by {promised.isoformat()}" in text.text
    assert not [m for m in mailoutbox if claim.sponsor.email in m.to]
