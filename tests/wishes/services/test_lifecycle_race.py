"""Two retention runs at once: every child due is anonymised exactly once.

Each thread has its own connection; on PostgreSQL the second run skips the children the
first holds (SKIP LOCKED) and checks the others again under their lock; on SQLite the
IMMEDIATE transactions serialise the runs. Run this file on both.
"""

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from tests.factories import ChildFactory
from tests.wishes.services.test_race import pytestmark as race_marks
from tests.wishes.services.test_race import run_at_once
from wishes.models import Child, ChildState, StatusChange
from wishes.services import anonymise_expired
from wishes.services.lifecycle import ExpiryRun, months_before

pytestmark = race_marks


def test_two_runs_at_once_anonymise_each_child_once():
    long_ago = months_before(timezone.now(), 30)
    children = [ChildFactory() for _ in range(6)]
    Child.objects.update(created_at=long_ago)

    results = run_at_once([anonymise_expired, anonymise_expired])

    assert all(isinstance(result, ExpiryRun) for result in results), results
    assert sum(result.anonymised for result in results) == len(children)
    assert not Child.objects.filter(anonymised_at__isnull=True).exists()
    changes = StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Child), to_status=ChildState.ANONYMISED
    )
    assert sorted(changes.values_list("object_id", flat=True)) == sorted(c.pk for c in children)
