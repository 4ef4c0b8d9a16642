"""Objects of `school` (the coordinator's) and of `other_school`, for the school pages."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tests.factories import ChildFactory, ClaimFactory, EventFactory, FulfilmentFactory


def sponsor_of(user):
    return user.sponsor_member.sponsor


def stored_files() -> list[Path]:
    """Every file under MEDIA_ROOT (a fresh folder per test)."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def own_child(school):
    """A child of the coordinator's school."""
    return ChildFactory(school=school, real_name="王小红", class_name="三(1)班")


@pytest.fixture
def other_child(other_school):
    """A child of another school: the coordinator must not even learn it exists."""
    return ChildFactory(school=other_school, real_name="李小刚")


@pytest.fixture
def withdrawn_child(school):
    """A child of the coordinator's school whose record was withdrawn."""
    return ChildFactory(school=school, real_name="赵撤回", withdrawn_at=timezone.now())


@pytest.fixture
def own_claim(school, sponsor):
    """An active claim of `sponsor` on a wish of a child of the coordinator's school."""
    return ClaimFactory(
        wish__child__school=school,
        wish__child__real_name="陈小军",
        sponsor=sponsor_of(sponsor),
        promised_on=datetime.date(2026, 12, 5),
    )


@pytest.fixture
def other_claim(other_school):
    """An active claim on a wish of a child of another school."""
    return ClaimFactory(wish__child__school=other_school)


@pytest.fixture
def own_fulfilment(school):
    """A fulfilled claim of a child of the coordinator's school."""
    return FulfilmentFactory(claim__wish__child__school=school)


@pytest.fixture
def other_fulfilment(other_school):
    """A fulfilled claim of a child of another school."""
    return FulfilmentFactory(claim__wish__child__school=other_school)


@pytest.fixture
def own_event(school):
    """An event at the coordinator's school."""
    return EventFactory(school=school, title="花木中心小学圆梦专场")


@pytest.fixture
def other_event(other_school):
    """An event at another school."""
    return EventFactory(school=other_school, title="由由小学圆梦活动")
