"""With a task queue, exports and PDFs are made by a worker and fetched from their own page.

The requests run here; "the worker" runs each queued task as db_worker does (a real worker
process is in tests/test_task_worker.py). The immediate backend's direct downloads are
covered by test_printing.py and test_exports.py.
"""

import datetime
import io
import os

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from tests.factories import CampaignFactory, SponsorFactory, UserFactory, WishFactory
from tests.wishes.reports.test_exports import SHEETS, run_export
from tests.wishes.reports.test_printing import certificates, museum, pdf_text, print_cards  # noqa: F401
from wishes.models import AccessAction, AccessLog, Download, DownloadKind, DownloadStatus
from wishes.reports.downloads import make_download, queue_download
from wishes.scheduling import jobs
from wishes.staff_group import STAFF_GROUP

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def database_tasks(settings):
    settings.TASKS = DATABASE_TASKS


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    """Send a request that queues a download; the task is queued when it commits."""

    def send(request, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return request(*args, **kwargs)

    return send


def run_worker() -> None:
    """Run every queued task once, as `manage.py db_worker` does."""
    for queued in DBTaskResult.objects.ready():
        result = queued.task_result
        queued.task.call(*result.args, **result.kwargs)
        queued.set_successful(None)


def page(client, download: Download) -> str:
    return client.get(download.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()


def file_url(download: Download) -> str:
    return reverse("admin:wishes_download_file", args=[download.pk])


@pytest.fixture
def open_wishes(db):
    return [WishFactory(open=True, public_text=f"想要一套书{n}") for n in range(3)]


def test_wish_cards_are_made_by_a_worker_and_fetched_from_their_page(
    client_for, staff, open_wishes, ask
):
    client = client_for("staff")

    response = ask(print_cards, client, open_wishes)

    download = Download.objects.get()
    assert response.status_code == 302
    assert response["Location"] == download.get_absolute_url()
    assert download.requested_by == staff
    assert download.kind == DownloadKind.WISH_CARDS
    waiting = page(client, download)
    assert "Waiting for a worker" in waiting
    assert '<meta http-equiv="refresh" content="2">' in waiting
    assert file_url(download) not in waiting
    assert not AccessLog.objects.exists()

    run_worker()

    download.refresh_from_db()
    assert download.status == DownloadStatus.DONE
    ready = page(client, download)
    assert 'http-equiv="refresh"' not in ready
    assert file_url(download) in ready
    response = client.get(file_url(download))
    content = b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert open_wishes[0].code in pdf_text(content)[0]
    log = AccessLog.objects.get()
    assert log.action == AccessAction.PRINT_CARDS
    assert set(log.children.values_list("pk", flat=True)) == {w.child_id for w in open_wishes}


def test_the_campaign_export_is_made_by_a_worker(client_for, ask):
    campaign = CampaignFactory(year=2026)
    WishFactory(campaign=campaign)
    client = client_for("staff")

    ask(run_export, client, campaign)
    run_worker()

    download = Download.objects.get()
    assert download.status == DownloadStatus.DONE
    response = client.get(file_url(download))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == SHEETS
    assert AccessLog.objects.get().action == AccessAction.EXPORT_CAMPAIGN


def test_certificates_are_made_by_a_worker_and_say_who_got_none(client_for, museum, ask):  # noqa: F811
    idle = SponsorFactory(verified=True, name="花木社区卫生服务中心")

    ask(certificates, client_for("staff"), [museum, idle], year=2025)
    run_worker()

    download = Download.objects.get()
    assert download.status == DownloadStatus.DONE
    assert download.filename == "thank-you-certificates-2025.pdf"
    assert "No certificate for 花木社区卫生服务中心" in page(client_for("staff"), download)


def test_a_text_naming_its_child_before_the_worker_runs_prints_nothing(client_for, ask):
    wish = WishFactory(open=True, child__real_name="王小明", public_text="想要一套书")
    client = client_for("staff")
    ask(print_cards, client, [wish])
    type(wish).objects.filter(pk=wish.pk).update(public_text="王小明想要一套书")

    run_worker()

    download = Download.objects.get()
    assert download.status == DownloadStatus.FAILED
    assert not download.file
    assert "names the child" in page(client, download)
    assert client.get(file_url(download)).status_code == 404


def test_a_download_runs_once_even_if_its_task_is_queued_twice(client_for, open_wishes, ask):
    ask(print_cards, client_for("staff"), open_wishes)
    download = Download.objects.get()
    run_worker()
    first = Download.objects.get().file.name

    assert make_download(download_id=download.pk) == DownloadStatus.DONE
    assert Download.objects.get().file.name == first


def test_the_daily_jobs_remove_files_made_more_than_a_day_ago(client_for, open_wishes, ask):
    client = client_for("staff")
    ask(print_cards, client, open_wishes)
    run_worker()
    download = Download.objects.get()
    stored = download.file.path
    Download.objects.update(finished_at=timezone.now() - datetime.timedelta(days=2))

    jobs.run_scheduled(only=["remove_old_downloads"])

    download.refresh_from_db()
    assert download.file_removed_at is not None
    assert not download.file
    assert not os.path.exists(stored)
    assert client.get(file_url(download)).status_code == 404
    assert "was removed" in page(client, download)


def test_a_download_no_worker_made_stops_reloading_and_says_so(
    client_for, open_wishes, ask, settings
):
    settings.HUAMU_STUCK_TASK_MINUTES = 15
    client = client_for("staff")
    ask(print_cards, client, open_wishes)
    Download.objects.update(updated_at=timezone.now() - datetime.timedelta(minutes=16))

    waiting = page(client, Download.objects.get())

    assert "the task worker may have stopped" in waiting
    assert 'http-equiv="refresh"' not in waiting


@pytest.fixture
def made(staff, open_wishes) -> Download:
    """Wish cards staff asked for, made by the worker."""
    download = queue_download(
        kind=DownloadKind.WISH_CARDS, params={"wish_ids": [w.pk for w in open_wishes]}, by=staff
    )
    make_download(download_id=download.pk)
    return download


@pytest.fixture
def other_staff(db):
    """Another member of the association's staff, with every permission of the group."""
    user = UserFactory(username="other_staff", is_staff=True)
    user.groups.add(Group.objects.get(name=STAFF_GROUP))
    return user


@pytest.mark.parametrize("view", ["progress", "file"])
@pytest.mark.parametrize(
    "role, status",
    [
        ("staff", 200),
        ("other_staff", 404),
        ("bare_staff", 403),
        ("sponsor", 302),
        ("coordinator", 302),
        ("plain_user", 302),
        ("anonymous", 302),
    ],
)
def test_only_the_staff_member_who_asked_sees_a_download(client_for, made, role, status, view):
    url = reverse(f"admin:wishes_download_{view}", args=[made.pk])

    response = client_for(role).get(url)

    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("admin:login"))
    if status != 200:
        assert not AccessLog.objects.exists()


def test_the_list_of_downloads_shows_only_ones_own(client_for, made):
    assert (
        client_for("staff")
        .get(reverse("admin:wishes_download_changelist"))
        .context["cl"]
        .result_count
        == 1
    )
    assert (
        client_for("other_staff")
        .get(reverse("admin:wishes_download_changelist"))
        .context["cl"]
        .result_count
        == 0
    )
