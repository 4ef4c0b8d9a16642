"""Running totals of the front and impact pages, kept exact on every write."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Tally(models.Model):
    """One change to a running total, or (after the nightly recount) a total itself.

    A total is the sum of `n` over the rows of its (name, key): a change adds a row and never
    updates one, so two changes at once never wait for each other. `wishes.reports.tallies`
    says which names there are and keeps them in step with the data.
    """

    name = models.CharField(_("name"), max_length=16)
    key = models.CharField(_("key"), max_length=200, blank=True)
    n = models.BigIntegerField(_("count"))

    class Meta:
        verbose_name = _("running total")
        verbose_name_plural = _("running totals")
        indexes = [models.Index(fields=["name", "key"], name="tally_name_key")]

    def __str__(self) -> str:
        return f"{self.name} {self.key}: {self.n:+d}"
