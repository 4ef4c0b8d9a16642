"""Filters of the public waiting-wishes list; every filter reads public columns only."""

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from huamu.search import contains_all, filter_by_tokens
from wishes.models import (
    Campaign,
    GradeBand,
    PublicLocation,
    Region,
    Wish,
    WishCategory,
    WishStatus,
)
from wishes.public.selectors import (
    LONGEST_WAITING_FIRST,
    ValueBand,
    grade_band_condition,
    open_wishes,
    value_band_condition,
)

# A child's home region is public unless staff chose to show nothing of where the child is:
# with PublicLocation.NONE the child's wishes never match a region, so that filtering by
# region cannot reveal where the child lives. (With SCHOOL the school is shown, which is at
# least as precise as the region, so the region may be used.)
REGION_IS_PUBLIC = Q(child__public_location__in=[PublicLocation.REGION, PublicLocation.SCHOOL])


def search_public_text(wishes: QuerySet[Wish], value: str) -> QuerySet[Wish]:
    """Wishes whose public text or code holds every word of `value` (case-insensitive).

    Public text and code only: the child's own words and private fields are never searched.
    On PostgreSQL the tokens' index (`search_text`, made of the code and public text alone)
    picks the candidates and LIKE checks them; elsewhere LIKE alone: the same wishes.
    """
    words = value.split()
    if not words:
        return wishes
    wishes = filter_by_tokens(wishes, words, "search_text")
    return wishes.filter(contains_all(words, ["public_text", "code"]))


class Ordering:
    LONGEST_WAITING = "waiting"
    NEWEST = "newest"
    VALUE_LOW = "value"
    VALUE_HIGH = "-value"

    choices = [
        (LONGEST_WAITING, _("Waiting longest")),
        (NEWEST, _("Newest")),
        (VALUE_LOW, _("Lowest value first")),
        (VALUE_HIGH, _("Highest value first")),
    ]
    fields = {
        LONGEST_WAITING: LONGEST_WAITING_FIRST,
        NEWEST: ("-published_at", "-pk"),
        VALUE_LOW: ("estimated_value", "published_at", "pk"),
        VALUE_HIGH: ("-estimated_value", "published_at", "pk"),
    }


def _regions_with_open_wishes() -> QuerySet[Region]:
    # Only regions someone can find a wish in; never one known only from hidden children.
    visible = open_wishes().filter(REGION_IS_PUBLIC, child__home_region=OuterRef("pk"))
    return Region.objects.filter(Exists(visible)).order_by("name")


def _campaigns_with_open_wishes() -> QuerySet[Campaign]:
    # A campaign is public; whether its open wishes are all hidden says nothing of a child,
    # so the status alone decides (the campaign index finds the first one at once, where
    # the visibility rules would join every child and consent for each campaign).
    open_in_campaign = Wish.objects.filter(campaign=OuterRef("pk"), status=WishStatus.OPEN)
    return Campaign.objects.filter(Exists(open_in_campaign)).order_by("-year", "name")


class WishFilter(django_filters.FilterSet):
    """Narrow and sort wishes; list the result through selectors.open_public_wishes.

    The query-string names are part of links people share; keep them stable.
    """

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        max_length=50,
        help_text=_("Words from the wish, or its code such as HM2026-00012."),
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=WishCategory.choices, empty_label=_("Any category")
    )
    grade = django_filters.ChoiceFilter(
        label=_("Grade"),
        choices=GradeBand.choices,
        method="filter_grade",
        empty_label=_("Any grade"),
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Region"),
        queryset=_regions_with_open_wishes(),
        method="filter_region",
        empty_label=_("Any region"),
    )
    campaign = django_filters.ModelChoiceFilter(
        label=_("Campaign"), queryset=_campaigns_with_open_wishes(), empty_label=_("Any campaign")
    )
    value = django_filters.ChoiceFilter(
        label=_("Value"),
        choices=ValueBand.choices,
        method="filter_value",
        empty_label=_("Any value"),
    )
    order = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=Ordering.choices, method="sort", empty_label=None
    )

    class Meta:
        model = Wish
        fields = ["q", "category", "grade", "region", "campaign", "value", "order"]

    def search(self, queryset: QuerySet[Wish], name: str, value: str) -> QuerySet[Wish]:
        return search_public_text(queryset, value)

    def filter_grade(self, queryset: QuerySet[Wish], name: str, value: str) -> QuerySet[Wish]:
        return queryset.filter(grade_band_condition(value))

    def filter_region(self, queryset: QuerySet[Wish], name: str, value: Region) -> QuerySet[Wish]:
        return queryset.filter(REGION_IS_PUBLIC, child__home_region=value)

    def filter_value(self, queryset: QuerySet[Wish], name: str, value: str) -> QuerySet[Wish]:
        return queryset.filter(value_band_condition(value))

    def sort(self, queryset: QuerySet[Wish], name: str, value: str) -> QuerySet[Wish]:
        return queryset.order_by(*Ordering.fields[value])
