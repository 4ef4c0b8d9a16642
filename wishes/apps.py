from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_groups(sender, **kwargs) -> None:
    from wishes.staff_group import ensure_staff_group

    ensure_staff_group()


class WishesConfig(AppConfig):
    name = "wishes"
    verbose_name = _("Dream wishes")

    def ready(self) -> None:
        # After the last app migrates, so every permission row exists.
        post_migrate.connect(_ensure_groups, sender=self, dispatch_uid="wishes_staff_group")
        from wishes.reports.tallies import connect_signals

        connect_signals()
