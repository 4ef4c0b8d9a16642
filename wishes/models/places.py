"""Regions, schools and the coordinators who speak for a school."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huamu.models import TimeStampedModel


class RegionKind(models.TextChoices):
    SUBDISTRICT = "subdistrict", _("Sub-district")
    TOWN = "town", _("Town")


class Region(TimeStampedModel):
    """A sub-district or town (街镇) of a child, a sponsor or a practice centre."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=RegionKind, default=RegionKind.SUBDISTRICT
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=RegionKind.values), name="region_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class School(TimeStampedModel):
    """Where a child studies; coordinators belong to one school."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    region = models.ForeignKey(
        Region, models.PROTECT, related_name="schools", verbose_name=_("region")
    )

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SchoolCoordinator(TimeStampedModel):
    """A user who records fulfilment for the children of one school."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="school_coordinator",
        verbose_name=_("user"),
    )
    school = models.ForeignKey(
        School, models.PROTECT, related_name="coordinators", verbose_name=_("school")
    )

    class Meta:
        verbose_name = _("school coordinator")
        verbose_name_plural = _("school coordinators")

    def __str__(self) -> str:
        return f"{self.user} ({self.school})"
