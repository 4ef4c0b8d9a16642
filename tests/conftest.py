"""Shared fixtures: the cast of roles every permission test uses."""

import errno
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.storage import FileSystemStorage
from django.test import Client
from django.utils import translation

from tests.factories import (
    PASSWORD,
    SchoolCoordinatorFactory,
    SchoolFactory,
    SponsorFactory,
    SponsorMemberFactory,
    UserFactory,
    WishFactory,
)
from wishes.staff_group import STAFF_GROUP


@pytest.fixture(autouse=True)
def _site_language():
    # LocaleMiddleware leaves the last request's language active in the thread; every test
    # starts in the site's default language, whatever ran before it.
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _sms_outbox():
    # Like mail.outbox: each test sees only the text messages it sent.
    from huamu import sms

    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def sms_outbox(_sms_outbox):
    """The text messages sent so far in this test (the locmem SMS backend)."""
    return _sms_outbox


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Uploaded files of one test never leak into another or into the real media folder.
    settings.MEDIA_ROOT = tmp_path / "media"
    # Nor does an erasure write to the real erasure log.
    settings.HUAMU_ERASURE_LOG = tmp_path / "erasures.log"


@pytest.fixture
def staff(db):
    """Association staff: back-office user in the staff group, not a superuser."""
    user = UserFactory(username="staff", is_staff=True)
    user.groups.add(Group.objects.get(name=STAFF_GROUP))
    return user


@pytest.fixture
def bare_staff(db):
    """A user flagged is_staff with no permission at all: not office staff anywhere."""
    return UserFactory(username="bare_staff", is_staff=True)


@pytest.fixture
def superuser(db):
    """The site's technical administrator."""
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def sponsor(db):
    """A user acting for a verified caring unit."""
    return SponsorMemberFactory(
        user__username="sponsor", sponsor=SponsorFactory(verified=True, name="上海科技馆")
    ).user


@pytest.fixture
def unverified_sponsor(db):
    """A user whose unit registered but is still pending verification."""
    return SponsorMemberFactory(
        user__username="pending", sponsor=SponsorFactory(name="待审核单位")
    ).user


@pytest.fixture
def other_sponsor(db):
    """A user of another verified unit: must never see the first sponsor's things."""
    return SponsorMemberFactory(
        user__username="other_sponsor", sponsor=SponsorFactory(verified=True, name="另一单位")
    ).user


@pytest.fixture
def school(db):
    return SchoolFactory(name="花木中心小学")


@pytest.fixture
def other_school(db):
    return SchoolFactory(name="由由小学")


@pytest.fixture
def coordinator(db, school):
    """The school coordinator of `school`."""
    return SchoolCoordinatorFactory(user__username="coordinator", school=school).user


@pytest.fixture
def other_coordinator(db, other_school):
    """A coordinator of another school: sees none of `school`'s children."""
    return SchoolCoordinatorFactory(user__username="other_coordinator", school=other_school).user


@pytest.fixture
def plain_user(db):
    """A logged-in user with no role at all."""
    return UserFactory(username="plain")


@pytest.fixture
def open_wish(db, school):
    """A published wish waiting to be claimed, of a child at `school`."""
    return WishFactory(open=True, child__school=school)


@pytest.fixture
def client_for(request):
    """Return a test client logged in as the named role fixture ("anonymous" for none)."""

    def make(role: str) -> Client:
        client = Client()
        if role != "anonymous":
            user = request.getfixturevalue(role)
            assert client.login(username=user.username, password=PASSWORD)
        return client

    return make


@pytest.fixture
def fill_disk(monkeypatch):
    """Make the disk full after `after` files: the next write stores part of its file, fails.

    Returns the list of partial files the failing writes left on disk.
    """
    real_save = FileSystemStorage._save
    partial_files: list[Path] = []

    def arm(after: int) -> list[Path]:
        writes = 0

        def save(storage: FileSystemStorage, name: str, content) -> str:
            nonlocal writes
            writes += 1
            if writes <= after:
                return real_save(storage, name, content)
            partial = Path(storage.path(name))
            partial.parent.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(b"\xff\xd8\xff\xe0 half a photo")
            partial_files.append(partial)
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(FileSystemStorage, "_save", save)
        return partial_files

    return arm
