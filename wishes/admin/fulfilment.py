"""The back office for fulfilments and their photos: what was delivered, when and where,
and the photos staff clear for the public pages or withdraw.

Photos are never typed in: they arrive with uploads, and publication and withdrawal are
actions that call the services and check the guardian's consent.
"""

from typing import TYPE_CHECKING, TypedDict

from django.contrib import admin
from django.db import models
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huamu.admin_kit import (
    BOTH_PLACES,
    DomainAdmin,
    ReadOnlyInline,
    apply_to_each,
    ask_reason_then_apply,
)
from huamu.roles import AuthenticatedRequest
from wishes.admin.history import StatusChangeInline
from wishes.models import Consent, Fulfilment, FulfilmentPhoto, ThankYouLetter
from wishes.services import set_photo_publication, withdraw_photo

if TYPE_CHECKING:  # only for the type checker: a photo as FulfilmentPhotoAdmin annotates it
    from django_stubs_ext import WithAnnotations

    class _PhotoConsents(TypedDict):
        may_publish: bool
        may_share: bool

    _PhotoWithConsents = WithAnnotations[FulfilmentPhoto, _PhotoConsents]


def _photo_consent(scope: str) -> Exists:
    """Whether a consent with `scope` is in force for the child of a photo or fulfilment."""
    return Exists(
        Consent.objects.in_force().filter(
            child_id=OuterRef("fulfilment__claim__wish__child_id"),
            keep_record=True,
            **{scope: True},
        )
    )


def _thumbnail(photo: FulfilmentPhoto, height: int) -> str:
    # Staff may see every photo; the file view checks that and logs the access.
    return format_html(
        '<a href="{}"><img src="{}" alt="{}" height="{}" loading="lazy"></a>',
        reverse("files:photo", args=[photo.pk]),
        reverse("files:photo_thumbnail", args=[photo.pk]),
        str(photo),
        height,
    )


class PhotoOfFulfilmentInline(ReadOnlyInline):
    model = FulfilmentPhoto
    fields = ("thumbnail_tag", "is_public", "withdrawn_at", "uploaded_by", "created_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("photo"))
    def thumbnail_tag(self, obj: FulfilmentPhoto) -> str:
        return _thumbnail(obj, height=72)


class LetterOfFulfilmentInline(ReadOnlyInline):
    model = ThankYouLetter
    fields = ("status", "uploaded_by", "reviewed_by", "created_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).select_related("uploaded_by", "reviewed_by")


@admin.register(Fulfilment)
class FulfilmentAdmin(DomainAdmin):
    list_display = ["wish_code", "sponsor", "fulfilled_on", "event", "recorded_by"]
    list_filter = ["event__kind", "claim__wish__campaign"]
    list_select_related = ["claim__wish", "claim__sponsor", "event", "recorded_by"]
    search_fields = ["claim__wish__code", "claim__sponsor__name", "note"]
    autocomplete_fields = ["event"]
    date_hierarchy = "fulfilled_on"
    fields = ["claim", "fulfilled_on", "event", "note", "recorded_by"]
    readonly_fields = ["claim", "recorded_by"]
    inlines = [PhotoOfFulfilmentInline, LetterOfFulfilmentInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A fulfilment comes from record_fulfilment (an action on claims), which also
        # marks the claim and the wish fulfilled.
        return False

    @admin.display(description=_("wish"), ordering="claim__wish__code")
    def wish_code(self, obj: Fulfilment) -> str:
        return obj.claim.wish.code

    @admin.display(description=_("sponsor"), ordering="claim__sponsor__name")
    def sponsor(self, obj: Fulfilment) -> str:
        return obj.claim.sponsor.name


class PublishConsentFilter(admin.SimpleListFilter):
    title = _("consent to publish photos")
    parameter_name = "publish_consent"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", _("In force")), ("no", _("None in force"))]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(may_publish=self.value() == "yes")
        return queryset


@admin.register(FulfilmentPhoto)
class FulfilmentPhotoAdmin(DomainAdmin):
    """Photos arrive with fulfilments; here staff clear them for the public or withdraw them."""

    list_display = [
        "thumbnail_tag",
        "fulfilment",
        "child_alias",
        "event",
        "is_public",
        "withdrawn_at",
        "consent_to_publish",
        "consent_to_share",
        "created_at",
    ]
    list_filter = [
        "is_public",
        ("withdrawn_at", admin.EmptyFieldListFilter),
        PublishConsentFilter,
        "fulfilment__event",
        "fulfilment__claim__wish__child__school",
    ]
    list_select_related = ["fulfilment__claim__wish__child", "fulfilment__event"]
    search_fields = ["fulfilment__claim__wish__code", "fulfilment__claim__wish__child__alias"]
    date_hierarchy = "created_at"
    fields = (
        "preview_tag",
        "fulfilment",
        "child_alias",
        "event",
        "consent_to_publish",
        "consent_to_share",
        "is_public",
        "withdrawn_at",
        "uploaded_by",
        "created_at",
    )
    # Nothing here is typed in: publication and withdrawal are the actions below.
    readonly_fields = fields
    inlines = [StatusChangeInline]
    actions = ["clear_for_publication", "take_off_public_pages", "withdraw"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Photos come in through uploads, which check and re-encode every file.
        return False

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("fulfilment__claim__wish__child", "fulfilment__event", "uploaded_by")
            .annotate(
                may_publish=_photo_consent("publish_photos"),
                may_share=_photo_consent("share_photos_with_sponsor"),
            )
        )

    @admin.display(description=_("photo"))
    def thumbnail_tag(self, obj: FulfilmentPhoto) -> str:
        return _thumbnail(obj, height=72)

    @admin.display(description=_("photo"))
    def preview_tag(self, obj: FulfilmentPhoto) -> str:
        return _thumbnail(obj, height=240)

    @admin.display(description=_("child"), ordering="fulfilment__claim__wish__child__alias")
    def child_alias(self, obj: FulfilmentPhoto) -> str:
        return obj.fulfilment.claim.wish.child.alias

    @admin.display(description=_("event"), ordering="fulfilment__event__date")
    def event(self, obj: FulfilmentPhoto) -> str:
        return str(obj.fulfilment.event or "—")

    @admin.display(description=_("consent to publish"), boolean=True, ordering="may_publish")
    def consent_to_publish(self, obj: "_PhotoWithConsents") -> bool:
        return obj.may_publish

    @admin.display(description=_("consent to share with sponsor"), boolean=True)
    def consent_to_share(self, obj: "_PhotoWithConsents") -> bool:
        return obj.may_share

    @admin.action(
        description=_("Clear the selected photos for publication"),
        permissions=["change"],
        location=BOTH_PLACES,
    )
    def clear_for_publication(
        self, request: AuthenticatedRequest, queryset: models.QuerySet
    ) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda photo: set_photo_publication(photo_id=photo.pk, by=request.user, public=True),
            gettext(
                "%(object)s is cleared for publication; it shows on the page of a public event."
            ),
        )

    @admin.action(
        description=_("Take the selected photos off the public pages"),
        permissions=["change"],
        location=BOTH_PLACES,
    )
    def take_off_public_pages(
        self, request: AuthenticatedRequest, queryset: models.QuerySet
    ) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda photo: set_photo_publication(photo_id=photo.pk, by=request.user, public=False),
            gettext("%(object)s is off the public pages."),
        )

    @admin.action(
        description=_("Withdraw the selected photos…"),
        permissions=["change"],
        location=BOTH_PLACES,
    )
    def withdraw(
        self, request: AuthenticatedRequest, queryset: models.QuerySet
    ) -> TemplateResponse | None:
        return ask_reason_then_apply(
            self,
            request,
            queryset,
            help_text=_("Kept in the photo's history."),
            change=lambda photo, reason: withdraw_photo(
                photo_id=photo.pk, by=request.user, reason=reason
            ),
            done=gettext("%(object)s is withdrawn."),
            action="withdraw",
            title=gettext("Withdraw photos"),
            intro=gettext(
                "Withdrawn photos leave every page, also the sponsor's; the files are kept "
                "for the record."
            ),
            submit_label=gettext("Withdraw"),
        )
