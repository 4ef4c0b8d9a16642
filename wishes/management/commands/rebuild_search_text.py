"""`manage.py rebuild_search_text`: rewrite every wish's search tokens from its code and
public text. Saves and bulk writes keep them in step; this is for rows written around the
ORM (`loaddata`, raw SQL, a restore from elsewhere). Idempotent: a second run rewrites none."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from wishes.models import Wish
from wishes.models.wishes import refresh_search_text


class Command(BaseCommand):
    help = "Rewrite the search tokens of every wish whose tokens are out of step."

    def handle(self, *args, **options) -> None:
        """Compare each wish's tokens with its code and public text; rewrite the stale ones."""
        rewritten = refresh_search_text(Wish.objects.all())
        self.stdout.write(
            _("%(count)d wishes had their search tokens rewritten.") % {"count": rewritten}
        )
