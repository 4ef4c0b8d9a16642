"""The public pages: home, the waiting-wishes list and the wish page."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    CampaignFactory,
    ChildFactory,
    ClaimFactory,
    ConsentFactory,
    FulfilmentFactory,
    RegionFactory,
    SchoolFactory,
    SponsorFactory,
    SponsorMemberFactory,
    WishFactory,
    save_each,
)
from wishes.models import (
    ClaimStatus,
    GradeBand,
    PublicLocation,
    Wish,
    WishCategory,
    WishStatus,
)
from wishes.public import views
from wishes.public.selectors import (
    PublicWish,
    campaign_progress,
    current_campaign,
    impact_numbers,
    open_public_wishes,
    public_wish,
    similar_open_wishes,
)
from wishes.reports import tallies

LIST = reverse("wishes:list")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

pytestmark = pytest.mark.django_db


def _open(**kwargs) -> Wish:
    return WishFactory(open=True, **kwargs)


def _bulk_open_wishes(count: int, **fields) -> list[Wish]:
    """Many open wishes of one consenting child, in one INSERT (factories are too slow)."""
    child = ChildFactory()
    ConsentFactory(child=child)
    campaign = CampaignFactory()
    now = timezone.now()
    wishes = [
        Wish(
            code=f"HMB{child.pk}-{i:05d}",
            child=child,
            campaign=campaign,
            category=WishCategory.BOOKS,
            child_words="我想要书",
            public_text=f"想要一本书{i}",
            estimated_value=Decimal("50.00"),
            status=WishStatus.OPEN,
            published_at=now - datetime.timedelta(minutes=i),
            **fields,
        )
        for i in range(count)
    ]
    created = Wish.objects.bulk_create(wishes)
    # As the import does: bulk_create sends no signals, so the new wishes are counted here.
    tallies.count_new(tallies.Scope(wishes=Q(pk__in=[wish.pk for wish in created])))
    return created


def _codes(response) -> list[str]:
    return [wish.code for wish in response.context["page_obj"]]


# --- the list shows open, publicly visible wishes only ------------------------------------


def test_list_shows_only_open_wishes(client):
    waiting = _open()
    draft = WishFactory()
    claimed = ClaimFactory().wish
    fulfilled = FulfilmentFactory().claim.wish
    withdrawn = WishFactory(status=WishStatus.WITHDRAWN, published_at=timezone.now())

    response = client.get(LIST)

    assert response.status_code == 200
    assert _codes(response) == [waiting.code]
    html = response.text
    assert waiting.code in html
    for hidden in (draft, claimed, fulfilled, withdrawn):
        assert hidden.code not in html


def test_list_hides_a_wish_once_the_guardian_withdraws_consent(client):
    wish = _open()
    save_each(wish.child.consents.all(), withdrawn_at=timezone.now())

    assert _codes(client.get(LIST)) == []
    assert client.get(wish.get_absolute_url()).status_code == 404


def test_list_hides_the_wishes_of_a_withdrawn_child(client):
    wish = _open()
    wish.child.withdrawn_at = timezone.now()
    wish.child.save()

    assert _codes(client.get(LIST)) == []


def test_list_items_are_public_wishes_not_models(client):
    _open()

    response = client.get(LIST)

    assert all(isinstance(wish, PublicWish) for wish in response.context["page_obj"])


def test_list_says_so_when_nothing_is_waiting(client):
    response = client.get(LIST, **EN)

    assert "No wish is waiting right now" in response.text


# --- filters --------------------------------------------------------------------------------


def test_category_filter_keeps_only_that_category(client):
    books = _open(category=WishCategory.BOOKS)
    _open(category=WishCategory.SPORTS)

    assert _codes(client.get(LIST, {"category": "books"})) == [books.code]


def test_grade_filter_uses_the_grade_band(client):
    grade_two = _open(child__grade=2)
    _open(child__grade=3)
    grade_eight = _open(child__grade=8)

    assert _codes(client.get(LIST, {"grade": GradeBand.LOWER})) == [grade_two.code]
    assert _codes(client.get(LIST, {"grade": GradeBand.JUNIOR})) == [grade_eight.code]


def test_region_filter_matches_the_childs_home_region(client):
    beicai = RegionFactory(name="北蔡镇")
    # The child lives in Beicai and studies in a Huamu school.
    lives_in_beicai = _open(
        child__home_region=beicai,
        child__school=SchoolFactory(region=RegionFactory(name="花木街道")),
    )
    _open()

    assert _codes(client.get(LIST, {"region": beicai.pk})) == [lives_in_beicai.code]


def test_region_filter_never_matches_a_child_whose_location_is_hidden(client):
    beicai = RegionFactory(name="北蔡镇")
    shown = _open(child__home_region=beicai)
    _open(child__home_region=beicai, child__public_location=PublicLocation.NONE)

    assert _codes(client.get(LIST, {"region": beicai.pk})) == [shown.code]


def test_region_choices_hold_only_regions_of_visible_wishes(client):
    _open(child__home_region=RegionFactory(name="北蔡镇"))
    _open(
        child__home_region=RegionFactory(name="张江镇"),
        child__public_location=PublicLocation.NONE,
    )
    RegionFactory(name="金杨新村街道")

    form = client.get(LIST).context["filter_form"]
    choices = [label for _value, label in form.fields["region"].choices]

    assert choices[1:] == ["北蔡镇"]


def test_campaign_choices_hold_only_campaigns_with_open_wishes_newest_first(client):
    _open(campaign=CampaignFactory(year=2025, name="2025 圆梦季"))
    _open(campaign=CampaignFactory(year=2026, name="2026 圆梦季"))
    finished = CampaignFactory(year=2024, name="2024 圆梦季")
    WishFactory(campaign=finished)  # a draft: not open

    html = client.get(LIST).text

    assert '<option value="" selected>' in html
    assert html.index("2026 圆梦季") < html.index("2025 圆梦季")
    assert "2024 圆梦季" not in html


def test_the_filters_drop_downs_keep_the_choice_and_label_each_field(client):
    wish = _open(child__home_region=RegionFactory(name="北蔡镇"))
    region = wish.child.home_region

    html = client.get(LIST, {"region": region.pk, "category": wish.category}, **EN).text

    assert '<label for="id_region" class="form-label">Region</label>' in html
    assert f'<option value="{region.pk}" selected>北蔡镇</option>' in html
    assert f'<option value="{wish.category}" selected>' in html
    assert '<option value="" selected>Any campaign</option>' in html


def test_a_choice_that_is_not_offered_is_marked_on_its_field(client):
    wish = _open()

    response = client.get(LIST, {"category": "spaceships"}, **EN)

    html = response.text
    assert response.status_code == 200
    assert 'class="select form-select is-invalid" id="id_category" aria-invalid="true"' in html
    assert 'aria-describedby="id_category_error"' in html
    assert '<div id="id_category_error" class="invalid-feedback">' in html
    assert "spaceships" in html.split('id="id_category_error"')[1].split("</div>")[0]
    assert _codes(response) == [wish.code]


def test_campaign_filter_keeps_only_that_campaign(client):
    old = _open(campaign=CampaignFactory(year=2025))
    _open(campaign=CampaignFactory(year=2026))

    assert _codes(client.get(LIST, {"campaign": old.campaign.pk})) == [old.code]


@pytest.mark.parametrize(
    "band, expected",
    [
        ("0-100", ["100.00"]),
        ("100-300", ["100.01", "300.00"]),
        ("300-500", ["500.00"]),
        ("500+", ["500.01"]),
    ],
)
def test_value_filter_uses_bands_with_inclusive_upper_bounds(client, band, expected):
    by_code = {
        _open(estimated_value=Decimal(value)).code: value
        for value in ["100.00", "100.01", "300.00", "500.00", "500.01"]
    }

    shown = _codes(client.get(LIST, {"value": band}))

    assert sorted(by_code[code] for code in shown) == expected


def test_search_finds_chinese_words_in_the_public_text(client):
    telescope = _open(public_text="想要一个天文望远镜，看星星")
    _open(public_text="想要一双跑鞋")

    assert _codes(client.get(LIST, {"q": "望远镜"})) == [telescope.code]
    # Several words must all match.
    assert _codes(client.get(LIST, {"q": "望远镜 星星"})) == [telescope.code]
    assert _codes(client.get(LIST, {"q": "望远镜 跑鞋"})) == []


def test_search_finds_a_wish_by_its_code(client):
    wish = _open()
    _open()

    assert _codes(client.get(LIST, {"q": wish.code.lower()})) == [wish.code]


def test_search_never_matches_private_text(client):
    _open(
        child__real_name="欧阳秘密",
        child__hardship_note="父亲生病住院",
        child_words="我叫欧阳秘密，我想要一个望远镜",
        public_text="想要一个望远镜",
    )

    for private in ["欧阳秘密", "父亲生病", "我叫"]:
        assert _codes(client.get(LIST, {"q": private})) == [], private
    assert len(_codes(client.get(LIST, {"q": "望远镜"}))) == 1


def test_unknown_filter_values_are_ignored_not_errors(client):
    wish = _open()

    response = client.get(LIST, {"category": "spaceships", "region": "999", "page": "x"})

    assert response.status_code == 200
    assert _codes(response) == [wish.code]


# --- ordering -------------------------------------------------------------------------------


def _wishes_published_days_ago(*days_and_values) -> dict[str, Wish]:
    now = timezone.now()
    return {
        name: _open(published_at=now - datetime.timedelta(days=days), estimated_value=value)
        for name, days, value in days_and_values
    }


def test_longest_waiting_wishes_come_first_by_default(client):
    w = _wishes_published_days_ago(("new", 1, 50), ("old", 30, 400), ("mid", 10, 200))

    assert _codes(client.get(LIST)) == [w["old"].code, w["mid"].code, w["new"].code]


@pytest.mark.parametrize(
    "order, expected",
    [
        ("waiting", ["old", "mid", "new"]),
        ("newest", ["new", "mid", "old"]),
        ("value", ["new", "mid", "old"]),
        ("-value", ["old", "mid", "new"]),
    ],
)
def test_wishes_can_be_sorted(client, order, expected):
    w = _wishes_published_days_ago(("new", 1, 50), ("old", 30, 400), ("mid", 10, 200))

    assert _codes(client.get(LIST, {"order": order})) == [w[name].code for name in expected]


# --- pagination -----------------------------------------------------------------------------


def test_list_shows_24_wishes_a_page(client):
    _bulk_open_wishes(30)

    first = client.get(LIST)
    second = client.get(LIST, {"page": 2})

    assert len(_codes(first)) == 24
    assert len(_codes(second)) == 6
    assert not set(_codes(first)) & set(_codes(second))


def test_page_links_keep_the_filters(client):
    _bulk_open_wishes(30)
    _open(category=WishCategory.SPORTS)

    response = client.get(LIST, {"category": "books", "q": "书", "order": "newest"})

    next_link = 'href="?category=books&amp;q=%E4%B9%A6&amp;order=newest&amp;page=2"'
    assert next_link in response.text
    second = client.get(LIST, {"category": "books", "q": "书", "order": "newest", "page": 2})
    assert len(_codes(second)) == 6
    assert 'href="?category=books&amp;q=%E4%B9%A6&amp;order=newest&amp;page=1"' in second.text


def test_filters_sit_in_a_details_element_open_only_while_filtering(client):
    _open()

    plain = client.get(LIST).text
    filtered = client.get(LIST, {"category": "books"}).text
    searched = client.get(LIST, {"q": "书"}).text

    assert '<details class="filter-details card">' in plain
    assert '<details class="filter-details card" open>' in filtered
    # The search box stands in sight, outside the panel, and does not open it.
    assert '<details class="filter-details card">' in searched
    assert plain.index('name="q"') < plain.index('class="filter-details')
    assert 'value="书"' in searched


def test_an_overlong_search_says_why_and_finds_nothing_unchecked(client):
    _open()
    html = client.get(LIST, {"q": "书" * 51}, **EN).text
    assert "is-invalid" in html
    assert 'role="alert"' in html


def test_sorting_alone_is_not_filtering(client):
    html = client.get(LIST, {"order": "newest"}, **EN).text

    assert '<details class="filter-details card" open>' in html
    assert "No wish is waiting right now" in html


def test_filtering_to_nothing_offers_the_whole_list(client):
    _open(category=WishCategory.BOOKS)

    html = client.get(LIST, {"category": "sports"}, **EN).text

    assert "No waiting wish matches these filters." in html
    assert f'href="{LIST}"' in html


# --- query counts ---------------------------------------------------------------------------


def test_list_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    _bulk_open_wishes(10)
    with CaptureQueriesContext(connection) as ten:
        client.get(LIST)
    _bulk_open_wishes(490)

    # 1 count for the paginator, 2 one page of wishes (with child, region, school joined),
    # 3 region choices, 4 campaign choices.
    with django_assert_num_queries(4):
        response = client.get(LIST)

    assert len(ten.captured_queries) == 4
    assert response.context["page_obj"].paginator.count == 500


def test_list_with_filters_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    wishes = _bulk_open_wishes(50)
    region = wishes[0].child.home_region

    # The four of the plain list, plus 5 fetching the chosen region and 6 the campaign.
    with django_assert_num_queries(6):
        client.get(
            LIST,
            {"region": region.pk, "campaign": wishes[0].campaign_id, "q": "书", "grade": "middle"},
        )


def test_detail_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    wish = _open()
    _bulk_open_wishes(20)

    # 1 the wish, 2 its category and grade, 3 similar open wishes.
    with django_assert_num_queries(3):
        client.get(wish.get_absolute_url())


def test_home_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    _bulk_open_wishes(20)
    FulfilmentFactory()

    # 1 the campaign, 2 the running totals (waiting, fulfilled, sponsors, the campaign's
    # progress), 3 the longest-waiting wishes.
    with django_assert_num_queries(3):
        response = client.get("/")

    assert response.status_code == 200


def test_the_front_pages_numbers_equal_the_impact_numbers_and_the_campaigns_progress(client):
    _bulk_open_wishes(5)
    today = timezone.localdate()
    running = CampaignFactory(
        year=2099,  # another campaign than the one of the five wishes above
        starts_on=today - datetime.timedelta(days=3),
        ends_on=today + datetime.timedelta(days=3),
    )
    _open(campaign=running)
    _open(campaign=running, child__withdrawn_at=timezone.now())  # not waiting: hidden

    context = client.get("/").context

    assert context["campaign"] == running
    assert context["impact"] == impact_numbers()
    assert context["impact"].waiting == 6
    assert context["progress"] == campaign_progress(running)
    assert context["progress"].waiting == 1


# --- the wish page --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [WishStatus.DRAFT, WishStatus.WITHDRAWN])
def test_detail_is_not_found_for_unpublished_wishes(client, status):
    wish = WishFactory(status=status, published_at=timezone.now())

    assert client.get(wish.get_absolute_url()).status_code == 404


def test_detail_is_not_found_for_a_missing_wish(client):
    assert client.get(reverse("wishes:detail", args=[987654])).status_code == 404


def test_detail_of_a_claimed_wish_says_claimed(client):
    wish = ClaimFactory().wish

    response = client.get(wish.get_absolute_url(), **EN)

    assert response.status_code == 200
    assert "Claimed — thank you!" in response.text
    assert reverse("wishes:claim", args=[wish.pk]) not in response.text


def test_detail_of_a_fulfilled_wish_says_fulfilled(client):
    wish = FulfilmentFactory().claim.wish

    response = client.get(wish.get_absolute_url(), **EN)

    assert response.status_code == 200
    assert "This wish came true" in response.text
    assert reverse("wishes:claim", args=[wish.pk]) not in response.text


def test_detail_shows_the_public_facts_of_an_open_wish(client):
    wish = _open(
        public_text="想要一个天文望远镜",
        estimated_value=Decimal("260.00"),
        category=WishCategory.SPORTS,
        child__grade=5,
        child__alias="小李同学",
        child__home_region=RegionFactory(name="北蔡镇"),
        published_at=timezone.now() - datetime.timedelta(days=3),
    )

    html = client.get(wish.get_absolute_url(), **EN).text

    for shown in [
        "想要一个天文望远镜",
        "小李同学",
        wish.code,
        "Sports",
        "Grade 5",
        "北蔡镇",
        "¥100 to ¥300",
        "Waiting for 3 days",
    ]:
        assert shown in html, shown
    # The exact value is not public, only its band (the code, and the random CSRF token of
    # the language form, may hold the digits too).
    tokenless = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    assert "260" not in tokenless.replace(wish.code, "")


def test_detail_asks_anonymous_visitors_to_log_in_or_sign_up(client):
    wish = _open()
    claim_url = reverse("wishes:claim", args=[wish.pk])

    html = client.get(wish.get_absolute_url(), **EN).text

    assert "Log in or sign up as a sponsor to claim this wish." in html
    # The first button is the claim itself, through the login page.
    assert f'href="{reverse("login")}?next={claim_url}">I\'ll make it come true</a>' in html
    assert f'href="{reverse("sponsors:register")}"' in html
    assert f'href="{claim_url}"' not in html


def test_detail_offers_the_claim_link_to_a_logged_in_sponsor(client_for, open_wish):
    claim_url = reverse("wishes:claim", args=[open_wish.pk])

    html = client_for("sponsor").get(open_wish.get_absolute_url(), **EN).text

    assert f'href="{claim_url}"' in html
    assert "Claim this wish" in html


def test_detail_tells_a_verified_unit_about_batch_claims(client_for, open_wish):
    html = client_for("sponsor").get(open_wish.get_absolute_url()).text

    assert reverse("wishes:batch_claim") in html


@pytest.mark.parametrize("role", ["anonymous", "unverified_sponsor", "plain_user"])
def test_detail_mentions_batch_claims_only_to_verified_units(client_for, open_wish, role):
    html = client_for(role).get(open_wish.get_absolute_url()).text

    assert reverse("wishes:batch_claim") not in html


def test_detail_does_not_mention_batch_claims_to_a_verified_individual(client, open_wish):
    member = SponsorMemberFactory(sponsor=SponsorFactory(verified=True, individual=True))
    client.force_login(member.user)

    html = client.get(open_wish.get_absolute_url()).text

    assert reverse("wishes:claim", args=[open_wish.pk]) in html
    assert reverse("wishes:batch_claim") not in html


def test_detail_masks_a_phone_number_that_slipped_into_the_public_text(client):
    wish = _open(public_text="想要一个书包，联系13812345678")

    html = client.get(wish.get_absolute_url()).text

    assert "13812345678" not in html
    assert "想要一个书包，联系**" in html


def test_detail_suggests_other_waiting_wishes(client):
    wish = ClaimFactory(wish__category=WishCategory.SPORTS).wish
    other = _open(category=WishCategory.SPORTS)

    response = client.get(wish.get_absolute_url())

    assert [w.code for w in response.context["similar"]] == [other.code]
    assert other.get_absolute_url() in response.text


# --- languages ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", LIST])
def test_pages_answer_in_english_when_the_browser_asks(client, open_wish, url):
    response = client.get(url, **EN)

    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.text
    assert (
        "See the waiting wishes" in response.text
        if url == "/"
        else "Waiting wishes" in response.text
    )


def test_wish_page_answers_in_english_by_language_cookie(client, open_wish):
    client.cookies["django_language"] = "en"

    response = client.get(open_wish.get_absolute_url())

    assert response["Content-Language"] == "en"
    assert "Books" in response.text


def test_pages_answer_in_chinese_by_default(client, open_wish):
    for url in ["/", LIST, open_wish.get_absolute_url()]:
        response = client.get(url)
        assert response["Content-Language"] == "zh-hans"
        assert '<html lang="zh-hans">' in response.text


# --- home page ------------------------------------------------------------------------------


def test_home_links_to_wishes_sign_up_and_log_in(client):
    html = client.get("/").text

    for name in ["wishes:list", "sponsors:register", "login"]:
        assert f'href="{reverse(name)}"' in html


def test_home_shows_the_longest_waiting_wishes(client):
    now = timezone.now()
    old = _open(published_at=now - datetime.timedelta(days=40))
    _open(published_at=now)

    response = client.get("/")

    assert [w.code for w in response.context["waiting_wishes"]][0] == old.code
    assert old.get_absolute_url() in response.text


def test_impact_counts_fulfilled_wishes_and_sponsors_that_took_part(client):
    unit = SponsorFactory(verified=True)
    individual = SponsorFactory(verified=True, individual=True)
    FulfilmentFactory(claim__sponsor=unit)
    FulfilmentFactory(claim__sponsor=unit)
    ClaimFactory(sponsor=individual)
    # A unit whose only claim was cancelled did not take part.
    ClaimFactory(status=ClaimStatus.CANCELLED, cancel_reason="计划有变", wish__status="open")
    _open()
    _open()

    numbers = impact_numbers()

    assert (numbers.fulfilled, numbers.waiting) == (2, 3)
    assert (numbers.units, numbers.individuals) == (1, 1)
    html = client.get("/", **EN).text
    assert "wishes fulfilled" in html


def test_impact_waiting_number_agrees_with_the_list(client):
    _open()
    hidden = _open()
    save_each(hidden.child.consents.all(), withdrawn_at=timezone.now())

    assert impact_numbers().waiting == client.get(LIST).context["page_obj"].paginator.count == 1


def test_current_campaign_is_the_one_running_today():
    today = timezone.localdate()
    running = CampaignFactory(
        year=2040,
        starts_on=today - datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=10),
    )
    CampaignFactory(
        year=2041,
        starts_on=today + datetime.timedelta(days=30),
        ends_on=today + datetime.timedelta(days=300),
    )

    assert current_campaign() == running


def test_current_campaign_falls_back_to_the_latest():
    today = timezone.localdate()
    CampaignFactory(
        year=2030,
        starts_on=today - datetime.timedelta(days=800),
        ends_on=today - datetime.timedelta(days=700),
    )
    latest = CampaignFactory(
        year=2031,
        starts_on=today - datetime.timedelta(days=300),
        ends_on=today - datetime.timedelta(days=200),
    )

    assert current_campaign() == latest


def test_home_shows_the_current_campaign_with_a_link_to_its_wishes(client):
    today = timezone.localdate()
    campaign = CampaignFactory(
        year=2040,
        name="2040 圆梦季",
        starts_on=today - datetime.timedelta(days=1),
        ends_on=today + datetime.timedelta(days=1),
    )

    html = client.get("/").text

    assert "2040 圆梦季" in html
    assert f"{LIST}?campaign={campaign.pk}" in html


# --- selectors ------------------------------------------------------------------------------


def test_days_waiting_count_shanghai_calendar_days():
    shanghai = timezone.get_default_timezone()
    today = timezone.now().astimezone(shanghai).date()
    start_of_today = datetime.datetime.combine(today, datetime.time(0, 1), tzinfo=shanghai)
    late_yesterday = start_of_today - datetime.timedelta(minutes=2)

    assert public_wish(_open(published_at=start_of_today).pk).days_waiting == 0
    assert public_wish(_open(published_at=late_yesterday).pk).days_waiting == 1


@pytest.mark.parametrize(
    "location, expected",
    [
        (PublicLocation.REGION, "北蔡镇"),
        (PublicLocation.SCHOOL, "花木中心小学"),
        (PublicLocation.NONE, ""),
    ],
)
def test_location_follows_what_staff_chose_to_show(location, expected):
    wish = _open(
        child__public_location=location,
        child__home_region=RegionFactory(name="北蔡镇"),
        child__school=SchoolFactory(name="花木中心小学", region=RegionFactory(name="花木街道")),
    )
    # The guardian agreed to showing the school.
    wish.child.consents.update(publish_school=True)

    assert public_wish(wish.pk).location == expected


def test_the_school_is_shown_only_where_the_guardian_agreed():
    wish = _open(
        child__public_location=PublicLocation.SCHOOL,
        child__home_region=RegionFactory(name="北蔡镇"),
        child__school=SchoolFactory(name="花木中心小学"),
    )

    # Staff chose the school, the consent does not cover it: the region at most.
    assert public_wish(wish.pk).location == "北蔡镇"
    wish.child.consents.update(publish_school=True)
    assert public_wish(wish.pk).location == "花木中心小学"


def test_public_wish_is_none_for_a_draft():
    assert public_wish(WishFactory().pk) is None


def test_open_public_wishes_never_returns_other_states_even_if_asked():
    _open()
    ClaimFactory()

    wishes = list(open_public_wishes(Wish.objects.all()))

    assert [w.status for w in wishes] == [WishStatus.OPEN]


def test_similar_wishes_share_category_or_grade_band_and_are_open():
    wish = _open(category=WishCategory.SPORTS, child__grade=3)
    both = _open(category=WishCategory.SPORTS, child__grade=4)
    same_category = _open(category=WishCategory.SPORTS, child__grade=8)
    same_band = _open(category=WishCategory.BOOKS, child__grade=3)
    _open(category=WishCategory.BOOKS, child__grade=8)
    ClaimFactory(wish__category=WishCategory.SPORTS)

    similar = [w.code for w in similar_open_wishes(wish.pk)]

    assert similar == [both.code, same_category.code, same_band.code]
    assert len(similar_open_wishes(wish.pk, limit=1)) == 1
    assert similar_open_wishes(987654) == []


def test_home_shows_the_current_campaigns_progress(client):
    campaign = CampaignFactory(
        starts_on=timezone.localdate() - datetime.timedelta(days=5),
        ends_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    _open(campaign=campaign)
    _open(campaign=campaign)
    ClaimFactory(wish__campaign=campaign)
    FulfilmentFactory(claim__wish__campaign=campaign)
    html = client.get("/", **EN).text
    progress = html.split('id="campaign-progress"')[1].split("</section>")[0]
    assert campaign.name in progress
    assert "2 still waiting" in progress
    assert "1 claimed, on its way" in progress
    assert "1 fulfilled" in progress
    # One in four fulfilled, one in four claimed, drawn without a style attribute (CSP).
    assert '<rect width="25" height="4" fill="#198754"/>' in progress
    assert '<rect x="25" width="25" height="4" fill="#dc3545"/>' in progress
    assert "style=" not in progress


def test_an_open_wish_card_invites_to_claim_it(client):
    wish = _open()
    html = client.get(LIST, **EN).text
    assert f'href="/wishes/{wish.pk}/claim/">I\'ll make it come true</a>' in html
    assert f"img/categories/{wish.category}.svg" in html


# --- deep pages -----------------------------------------------------------------------------


def test_pages_past_the_cap_say_to_narrow_the_list_and_read_no_wishes(
    client, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(views, "MAX_PAGES", 2)
    _bulk_open_wishes(60)

    # 1 the count for the heading, 2 region choices, 3 campaign choices: no page of wishes.
    with django_assert_num_queries(3):
        response = client.get(LIST, {"q": "书", "page": 2000}, **EN)

    html = response.text
    assert response.status_code == 200
    assert "Only the first 2 pages of the list are shown." in html
    assert 'href="?q=%E4%B9%A6&amp;page=1"' in html
    assert "wish-card" not in html
    assert "More than 48 wishes are waiting" in html


def test_the_count_stops_one_past_the_last_page_offered(client, monkeypatch):
    monkeypatch.setattr(views, "MAX_PAGES", 2)
    _bulk_open_wishes(60)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, **EN)

    # 2 pages of 24 are offered: the count reads 49 rows, not 60, and says "more than".
    assert response.context["page_obj"].paginator.count == 49
    assert "More than 48 wishes are waiting" in response.text
    counts = [query["sql"] for query in queries.captured_queries if "COUNT(" in query["sql"]]
    assert len(counts) == 1 and "LIMIT 49" in counts[0]


def test_a_list_within_the_pages_offered_says_its_exact_count(client, monkeypatch):
    monkeypatch.setattr(views, "MAX_PAGES", 2)
    _bulk_open_wishes(48)

    html = client.get(LIST, **EN).text

    assert "48 wishes are waiting" in html and "More than" not in html


def test_the_pager_offers_no_page_past_the_cap(client, monkeypatch):
    monkeypatch.setattr(views, "MAX_PAGES", 2)
    _bulk_open_wishes(60)

    first = client.get(LIST, **EN)
    last = client.get(LIST, {"page": 2}, **EN)

    assert "Page 1 of 2" in first.text
    assert 'href="?page=2"' in first.text and 'href="?page=3"' not in first.text
    assert "Only the first 2 pages are offered." in first.text
    assert len(_codes(last)) == 24
    assert not last.context["page_obj"].has_next()


def test_the_pager_says_nothing_of_a_cap_a_short_list_does_not_reach(client, monkeypatch):
    monkeypatch.setattr(views, "MAX_PAGES", 2)
    _bulk_open_wishes(30)

    html = client.get(LIST, **EN).text

    assert "Page 1 of 2" in html
    assert "are offered" not in html


@pytest.mark.parametrize("page", ["0", "-5", "x", "1e9", "9" * 5000])
def test_odd_page_numbers_give_the_first_page(client, page):
    wish = _open()

    response = client.get(LIST, {"page": page})

    assert response.status_code == 200
    assert _codes(response) == [wish.code]
