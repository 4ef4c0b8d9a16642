"""A sponsor always knows the next step: the claim's own page and confirmation e-mail
(by when, the campaign's instructions for bringing the gift), an overdue claim flagged in
the sponsor's words, each role's login landing on its own work, and a sign-up that keeps
the wish the person was looking at, through verification."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from sponsors.models import Sponsor
from sponsors.services import verify_sponsor
from tests.factories import (
    CampaignFactory,
    ClaimFactory,
    DropOffPointFactory,
    SponsorMemberFactory,
    WishFactory,
)
from tests.sponsors.test_register import URL as REGISTER
from tests.sponsors.test_register import individual_data
from wishes.models import Claim
from wishes.services import claim_wish

pytestmark = pytest.mark.django_db

INSTRUCTIONS = "请在12月20日前把礼物送到花木街道志愿者协会（花木路100号），电话 021-58881234。"


def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def claim(sponsor):
    return ClaimFactory(
        sponsor=sponsor.sponsor_member.sponsor,
        promised_on=today() + datetime.timedelta(days=10),
        wish__campaign=CampaignFactory(sponsor_instructions=INSTRUCTIONS),
        wish__public_text="想要一套天文书",
    )


def page(client, claim) -> str:
    response = client.get(reverse("sponsors:claim", args=[claim.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.text


# --- the claim's page ----------------------------------------------------------------------------


def test_the_claim_page_says_by_when_and_where_to_bring_the_gift(claim, client_for):
    text = page(client_for("sponsor"), claim)

    assert "What happens next" in text
    assert claim.wish.code in text and "想要一套天文书" in text
    assert claim.promised_on.isoformat() in text
    assert "花木路100号" in text
    assert reverse("sponsors:cancel_claim", args=[claim.pk]) in text


def test_without_instructions_it_says_the_association_will_tell(claim, client_for):
    type(claim.wish.campaign).objects.filter(pk=claim.wish.campaign_id).update(
        sponsor_instructions=""
    )

    assert "The association will tell you where and when" in page(client_for("sponsor"), claim)


def test_with_drop_off_points_it_never_says_the_association_will_tell(claim, client_for):
    campaign = claim.wish.campaign
    type(campaign).objects.filter(pk=campaign.pk).update(
        sponsor_instructions="", drop_off_deadline=today() + datetime.timedelta(days=7)
    )
    DropOffPointFactory(campaign=campaign, name="花木志愿者协会办公室")

    text = page(client_for("sponsor"), claim)

    assert "Bring it to a drop-off point" in text
    assert "花木志愿者协会办公室" in text
    assert "The association will tell you where and when" not in text


def test_an_overdue_claim_is_flagged_in_the_sponsors_words(claim, client_for):
    Claim.objects.filter(pk=claim.pk).update(promised_on=today() - datetime.timedelta(days=3))
    client = client_for("sponsor")

    claim_page = page(client, claim)
    dashboard = client.get(reverse("sponsors:dashboard"), HTTP_ACCEPT_LANGUAGE="en").text

    for text in (claim_page, dashboard):
        assert "3 days past the date" in text
        assert "The date you promised has passed" in text


def test_a_claim_due_later_is_not_flagged(claim, client_for):
    dashboard = client_for("sponsor").get(reverse("sponsors:dashboard"), HTTP_ACCEPT_LANGUAGE="en")

    assert "past the date" not in dashboard.text
    assert reverse("sponsors:claim", args=[claim.pk]) in dashboard.text


@pytest.mark.parametrize(
    "role, status", [("other_sponsor", 404), ("plain_user", 403), ("coordinator", 403)]
)
def test_only_the_claims_sponsor_sees_its_page(claim, client_for, role, status):
    assert client_for(role).get(reverse("sponsors:claim", args=[claim.pk])).status_code == status


def test_a_visitor_is_sent_to_log_in(claim, client):
    url = reverse("sponsors:claim", args=[claim.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_unit_s_other_members_see_it_too(claim, client):
    colleague = SponsorMemberFactory(sponsor=claim.sponsor).user
    client.force_login(colleague)

    assert client.get(reverse("sponsors:claim", args=[claim.pk])).status_code == 200


# --- the confirmation e-mail ---------------------------------------------------------------------


def test_the_sponsor_is_told_what_happens_next(sponsor, django_capture_on_commit_callbacks):
    member = sponsor.sponsor_member
    wish = WishFactory(open=True, campaign=CampaignFactory(sponsor_instructions=INSTRUCTIONS))
    SponsorMemberFactory(sponsor=member.sponsor, user__email="colleague@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        claim = claim_wish(
            wish_id=wish.pk,
            sponsor=member.sponsor,
            by=sponsor,
            promised_on=today() + datetime.timedelta(days=5),
        )

    [message] = [m for m in mail.outbox if "colleague@example.org" in m.to]
    # The directions name the office's road, which may be a child's road too: they are the
    # association's own words, so the guard does not hold the message back for them.
    assert wish.code in message.body
    assert (today() + datetime.timedelta(days=5)).isoformat() in message.body
    assert "花木路100号" in message.body
    assert reverse("sponsors:claim", args=[claim.pk]) in message.body
    assert "\n" not in message.subject


# --- where a login lands -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, landing",
    [
        ("sponsor", "/sponsor/"),
        ("coordinator", "/school/"),
        ("staff", "/admin/"),
        ("plain_user", "/"),
    ],
)
def test_each_role_lands_on_its_own_work(client_for, role, landing):
    client = client_for(role)

    response = client.get(reverse("landing"))

    assert response.status_code == 302
    assert response["Location"] == landing


def test_a_login_without_next_goes_to_the_landing(client, sponsor):
    sponsor.set_password("Plum-blossom-2026")
    sponsor.save()

    response = client.post(
        reverse("login"), {"username": sponsor.username, "password": "Plum-blossom-2026"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("landing")
    assert client.get(response["Location"])["Location"] == reverse("sponsors:dashboard")


# --- a sign-up that keeps the wish ---------------------------------------------------------------


def test_sign_up_keeps_the_wish_through_verification(
    client, staff, django_capture_on_commit_callbacks
):
    wish = WishFactory(open=True)
    claim_url = reverse("wishes:claim", args=[wish.pk])
    detail = client.get(wish.get_absolute_url()).text
    assert f"{REGISTER}?next={claim_url}" in detail

    form = client.get(f"{REGISTER}?next={claim_url}").text
    assert f'name="next" value="{claim_url}"' in form
    client.post(REGISTER, {**individual_data(), "next": claim_url})
    registered = Sponsor.objects.get(name="陈爱心")
    assert registered.return_to == claim_url
    assert claim_url in client.get(reverse("sponsors:dashboard")).text

    with django_capture_on_commit_callbacks(execute=True):
        verify_sponsor(sponsor_id=registered.pk, by=staff)

    [message] = [m for m in mail.outbox if "chen@example.org" in m.to]
    assert claim_url in message.body


@pytest.mark.parametrize(
    "wanted",
    [
        "https://evil.example/wishes/1/claim/",
        "//evil.example/x",
        "wishes/1/",
        "/x" * 200,
        "javascript:alert(1)",
    ],
)
def test_a_next_that_is_not_a_page_here_is_dropped(client, wanted):
    client.post(REGISTER, {**individual_data(), "next": wanted})

    assert Sponsor.objects.get(name="陈爱心").return_to == ""


def test_the_login_page_passes_next_to_sign_up(client):
    text = client.get(f"{reverse('login')}?next=/wishes/7/claim/").text

    assert f"{REGISTER}?next=/wishes/7/claim/" in text
