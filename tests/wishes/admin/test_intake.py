"""The intake page: a child, its consent and its first wish in one form, all or nothing."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from huamu.errors import TransitionError
from tests.factories import CampaignFactory, UserFactory
from wishes.admin import intake
from wishes.audit import history_of
from wishes.models import Child, Consent, Wish, WishStatus
from wishes.privacy.aliases import neutral_alias

pytestmark = pytest.mark.django_db

URL = "admin:wishes_child_intake"


@pytest.fixture
def campaign():
    return CampaignFactory(year=2026)


def paper_form(school, campaign, **changes) -> dict:
    data = {
        "child-real_name": "李晓雨",
        "child-alias": "",
        "child-gender": "girl",
        "child-birth_year": "2016",
        "child-grade": "3",
        "child-class_name": "三(1)班",
        "child-school": str(school.pk),
        "child-home_region": "",
        "child-address": "锦绣苑12号",
        "child-guardian_name": "李大海",
        "child-guardian_phone": "13912345678",
        "child-hardship_category": "low_income",
        "child-hardship_note": "",
        "child-public_location": "region",
        "child-private_words": "",
        "consent-method": "paper",
        "consent-given_on": "2026-09-01",
        "consent-valid_until": "",
        "consent-given_by": "",
        "consent-keep_record": "on",
        "consent-publish_wish": "on",
        "wish-campaign": str(campaign.pk),
        "wish-category": "books",
        "wish-estimated_value": "80",
        "wish-child_words": "我叫李晓雨，想要一套恐龙百科全书",
        "wish-public_text": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_intake_saves_child_consent_and_draft_wish_with_their_history(
    client_for, staff, school, campaign
):
    response = client_for("staff").post(reverse(URL), paper_form(school, campaign))

    child = Child.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:wishes_child_change", args=[child.pk])
    # The default rules: a neutral alias, the school's region, the guardian as the giver.
    assert child.alias == neutral_alias(real_name="李晓雨")
    assert child.home_region == school.region
    consent = Consent.objects.get()
    assert (consent.child, consent.given_by, consent.collected_by) == (child, "李大海", staff)
    assert consent.publish_wish and not consent.publish_photos
    assert str(consent.valid_until) == "2027-08-31"
    wish = Wish.objects.get()
    assert (wish.child, wish.status, wish.campaign) == (child, WishStatus.DRAFT, campaign)
    assert "李晓雨" not in wish.public_text
    assert wish.public_text
    for record, state in ((child, "kept"), (consent, "in_force"), (wish, "draft")):
        change = history_of(record).get()
        assert (change.from_status, change.to_status, change.by) == ("", state, staff)


def test_an_error_in_one_part_saves_nothing_and_is_listed_at_the_top(client_for, school, campaign):
    data = paper_form(school, campaign, **{"wish-estimated_value": "", "child-grade": "12"})

    response = client_for("staff").post(reverse(URL), data)

    assert response.status_code == 200
    assert (Child.objects.count(), Consent.objects.count(), Wish.objects.count()) == (0, 0, 0)
    html = response.content.decode()
    summary = html[html.index('id="intake-errors"') : html.index('id="intake_form"')]
    assert 'href="#id_wish-estimated_value"' in summary
    assert 'href="#id_child-grade"' in summary
    assert len(response.context["error_summary"]) == 2


def test_a_public_text_naming_the_child_is_refused_and_nothing_saved(client_for, school, campaign):
    data = paper_form(school, campaign, **{"wish-public_text": "晓雨想要一套恐龙百科全书"})

    response = client_for("staff").post(reverse(URL), data)

    assert response.status_code == 200
    assert "public_text" in response.context["admin_forms"][2].form.errors
    assert Child.objects.count() == 0


def test_an_alias_naming_the_child_is_refused(client_for, school, campaign):
    data = paper_form(school, campaign, **{"child-alias": "晓雨同学"})

    response = client_for("staff").post(reverse(URL), data)

    assert response.status_code == 200
    assert "alias" in response.context["admin_forms"][0].form.errors
    assert Child.objects.count() == 0


def test_a_refusal_while_saving_rolls_everything_back(client_for, school, campaign, monkeypatch):
    def full_disk(*args, **kwargs):
        raise TransitionError("The disk is full.")

    monkeypatch.setattr(intake, "attach_uploaded_form", full_disk)

    response = client_for("staff").post(reverse(URL), paper_form(school, campaign))

    assert response.status_code == 200
    assert "The disk is full." in response.content.decode()
    assert (Child.objects.count(), Consent.objects.count(), Wish.objects.count()) == (0, 0, 0)


def test_the_page_is_linked_from_the_front_page_and_the_children_list(client_for):
    client = client_for("staff")
    url = reverse(URL)

    assert url in client.get(reverse("admin:index")).content.decode()
    assert url in client.get(reverse("admin:wishes_child_changelist")).content.decode()
    page = client.get(url)
    assert page.status_code == 200
    assert "wish-child_words" in page.content.decode()


@pytest.mark.parametrize(
    "role, status", [("anonymous", 302), ("sponsor", 302), ("bare_staff", 403)]
)
def test_intake_is_refused_outside_the_office(client_for, role, status):
    assert client_for(role).get(reverse(URL)).status_code == status


def test_staff_without_the_right_to_add_wishes_is_refused(client):
    user = UserFactory(username="viewer", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_child", "add_consent", "view_child"])
    )
    client.force_login(user)

    assert client.get(reverse(URL)).status_code == 403
    assert reverse(URL) not in client.get(reverse("admin:index")).content.decode()
