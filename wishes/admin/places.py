"""The back office for places and campaigns: regions, schools, their coordinators, and the
yearly campaigns (with the campaign export action and links to the campaign's poster)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from huamu.admin_kit import DomainAdmin
from wishes.models import Campaign, Region, School, SchoolCoordinator
from wishes.reports.print_views import export_campaign


@admin.register(Region)
class RegionAdmin(DomainAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(School)
class SchoolAdmin(DomainAdmin):
    list_display = ["name", "region"]
    list_filter = ["region"]
    list_select_related = ["region"]
    search_fields = ["name", "region__name"]
    autocomplete_fields = ["region"]


@admin.register(SchoolCoordinator)
class SchoolCoordinatorAdmin(DomainAdmin):
    list_display = ["user", "school"]
    list_filter = ["school"]
    list_select_related = ["user", "school"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "school__name"]
    autocomplete_fields = ["user", "school"]


@admin.register(Campaign)
class CampaignAdmin(DomainAdmin):
    list_display = ["year", "name", "starts_on", "ends_on"]
    search_fields = ["name", "year"]
    actions = [export_campaign]
    readonly_fields = ["poster"]

    @admin.display(description=_("poster"))
    def poster(self, campaign: Campaign) -> str:
        """Links to the campaign's poster, once the campaign is saved."""
        if campaign.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("wishes:poster_document", args=[campaign.year]),
            _("A4 poster to print (PDF)"),
            reverse("wishes:poster_image", args=[campaign.year]),
            _("picture for WeChat groups (PNG)"),
        )
