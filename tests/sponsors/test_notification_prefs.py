"""The "my notifications" page: who may open it, what it stores and records, and bad input."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from sponsors.models import NotificationChannel, NotificationPreference
from wishes.models import StatusChange

pytestmark = pytest.mark.django_db

URL = reverse("sponsors:notifications")


@pytest.fixture
def english(client_for):
    """Like client_for, but the pages answer in English so that tests can read them."""

    def make(role: str) -> Client:
        client = client_for(role)
        client.cookies["django_language"] = "en"
        return client

    return make


def _history(preference):
    return list(
        StatusChange.objects.filter(
            content_type=ContentType.objects.get_for_model(NotificationPreference),
            object_id=preference.pk,
        ).order_by("pk")
    )


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 302),
        ("plain_user", 403),
        ("coordinator", 403),
        ("bare_staff", 403),
        ("staff", 403),
        ("unverified_sponsor", 200),
        ("sponsor", 200),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_access(client_for, role, status, method):
    response = getattr(client_for(role), method)(URL, {"channel": "email", "language": "en"})
    expected = 302 if method == "post" and status == 200 else status
    assert response.status_code == expected
    if role == "anonymous":
        assert reverse("login") in response.url
    writes = 1 if role in ("sponsor", "unverified_sponsor") and method == "post" else 0
    assert NotificationPreference.objects.count() == writes


def test_the_dashboard_links_to_the_page(client_for, sponsor):
    assert URL in client_for("sponsor").get(reverse("sponsors:dashboard")).text


def test_first_visit_offers_email_in_the_sponsors_language_and_the_contacts_mobile(
    english, sponsor
):
    unit = sponsor.sponsor_member.sponsor
    unit.email, unit.language, unit.phone = sponsor.email, "en", "13900001111"
    unit.save()
    form = english("sponsor").get(URL).context["form"]
    assert form.initial == {"channel": "email", "language": "en", "mobile": "13900001111"}


def test_a_colleague_is_not_offered_the_units_number(english, sponsor):
    # The unit's address is not the user's: the unit's phone is someone else's.
    form = english("sponsor").get(URL).context["form"]
    assert form.initial["mobile"] == ""


def test_choosing_text_messages_stores_and_records_it(english, sponsor):
    client = english("sponsor")
    response = client.post(
        URL, {"channel": "both", "language": "en", "mobile": "+86 138-1234-5678"}
    )

    assert response.status_code == 302 and response.url == URL
    preference = NotificationPreference.objects.get(user=sponsor)
    assert (preference.channel, preference.language, preference.mobile) == (
        NotificationChannel.BOTH,
        "en",
        "13812345678",
    )
    [change] = _history(preference)
    assert (change.from_status, change.to_status, change.by) == ("", "both", sponsor)
    assert "138****5678" in change.note
    page = client.get(URL)
    assert "Your notification settings are saved." in page.text
    assert page.context["form"].initial["channel"] == "both"


def test_a_change_is_recorded_and_saving_the_same_again_is_not(english, sponsor):
    client = english("sponsor")
    client.post(URL, {"channel": "sms", "language": "zh-hans", "mobile": "13812345678"})
    client.post(URL, {"channel": "email", "language": "zh-hans", "mobile": "13812345678"})
    client.post(URL, {"channel": "email", "language": "zh-hans", "mobile": "13812345678"})

    preference = NotificationPreference.objects.get(user=sponsor)
    assert [(c.from_status, c.to_status) for c in _history(preference)] == [
        ("", "sms"),
        ("sms", "email"),
    ]


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"channel": "sms", "language": "zh-hans", "mobile": ""},
            "mobile",
            "Enter your mobile number to receive text messages.",
        ),
        (
            {"channel": "both", "language": "en"},
            "mobile",
            "Enter your mobile number to receive text messages.",
        ),
        (
            {"channel": "sms", "language": "en", "mobile": "021-58881234"},
            "mobile",
            "Text messages can only go to a mobile number, not a landline.",
        ),
        (
            {"channel": "sms", "language": "en", "mobile": "12345"},
            "mobile",
            "Enter a mainland China phone number",
        ),
        (
            {"channel": "pigeon", "language": "en", "mobile": "13812345678"},
            "channel",
            "Select a valid choice",
        ),
        (
            {"channel": "email", "language": "fr"},
            "language",
            "Select a valid choice",
        ),
        ({"language": "en"}, "channel", "This field is required"),
        (
            {"channel": "sms", "language": "en", "mobile": "1" * 5000},
            "mobile",
            "Enter a mainland China phone number",
        ),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(
    english, sponsor, data, field, message
):
    response = english("sponsor").post(URL, data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    assert message.split(",")[0] in response.text
    assert not NotificationPreference.objects.exists()
    assert not StatusChange.objects.exists()


def test_bad_input_keeps_the_stored_choice(english, sponsor):
    client = english("sponsor")
    client.post(URL, {"channel": "both", "language": "en", "mobile": "13812345678"})
    client.post(URL, {"channel": "sms", "language": "en", "mobile": "021-58881234"})

    preference = NotificationPreference.objects.get(user=sponsor)
    assert (preference.channel, preference.mobile) == ("both", "13812345678")
    assert len(_history(preference)) == 1


def test_a_member_changes_only_their_own_choice(english, sponsor, other_sponsor):
    english("other_sponsor").post(URL, {"channel": "email", "language": "en", "user": sponsor.pk})

    assert list(NotificationPreference.objects.values_list("user", flat=True)) == [
        other_sponsor.pk
    ]


def test_the_database_refuses_text_messages_without_a_number(sponsor):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        NotificationPreference.objects.create(user=sponsor, channel="sms", mobile="")


def test_staff_see_the_choices_in_the_back_office_but_do_not_change_them(client_for, sponsor):
    preference = NotificationPreference.objects.create(
        user=sponsor, channel="both", mobile="13812345678"
    )
    client = client_for("staff")
    changelist = client.get(reverse("admin:sponsors_notificationpreference_changelist"))
    assert changelist.status_code == 200
    assert sponsor.username in changelist.text
    page = client.get(
        reverse("admin:sponsors_notificationpreference_change", args=[preference.pk])
    )
    assert page.status_code == 200
    assert 'name="channel"' not in page.text
    add = client.get(reverse("admin:sponsors_notificationpreference_add"))
    assert add.status_code == 403


def test_the_page_speaks_chinese_by_default(client_for, sponsor):
    page = client_for("sponsor").get(URL).text
    for words in (
        "我的通知",
        "我们应如何通知您？",
        "电子邮件和短信",
        "接收短信的手机号码",
        "通知语言",
    ):
        assert words in page
