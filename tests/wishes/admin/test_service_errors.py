"""A service's refusal while saving an admin form shows on that form, never as a 500.

The only admin form that saves through a service is the letter add form (upload_letter);
its refusals come from storing the scan. Nothing of a refused save is kept: no row, no
history, no mail, no file.
"""

from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.urls import reverse
from django.utils.translation import gettext

from huamu.errors import TransitionError
from tests import image_corpus
from tests.factories import FulfilmentFactory
from tests.wishes.school.conftest import stored_files
from wishes import services
from wishes.admin import letters as letters_admin
from wishes.models import LetterStatus, StatusChange, ThankYouLetter

pytestmark = pytest.mark.django_db

ADD_URL = "admin:wishes_thankyouletter_add"
DISK_FULL_EN = "The server could not store the file (the disk may be full)."
DISK_FULL_ZH = "服务器无法保存文件（磁盘可能已满）。"


@pytest.fixture
def full_disk(fill_disk) -> list[Path]:
    """Every write leaves part of its file, then fails; the partial files it left."""
    return fill_disk(after=0)


@pytest.fixture
def fulfilment():
    """A fulfilled wish without a letter yet."""
    return FulfilmentFactory()


def add_letter(client, fulfilment, *, transcription="谢谢叔叔阿姨", scan=True, **headers):
    data = {"fulfilment": fulfilment.pk, "transcription": transcription, "_save": "1"}
    if scan:
        data["scan_upload"] = image_corpus.uploaded_jpeg(name="letter.jpg")
    return client.post(reverse(ADD_URL), data, **headers)


def non_field_errors(response) -> str:
    return str(response.context["adminform"].form.non_field_errors())


@pytest.mark.parametrize(
    "headers, message",
    [({}, DISK_FULL_ZH), ({"HTTP_ACCEPT_LANGUAGE": "en"}, DISK_FULL_EN)],
    ids=["zh-hans", "en"],
)
def test_a_full_disk_shows_the_letter_form_again_and_keeps_nothing(
    client_for, fulfilment, full_disk, django_capture_on_commit_callbacks, headers, message
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = add_letter(client_for("staff"), fulfilment, **headers)

    assert response.status_code == 200
    assert message in non_field_errors(response)
    assert message in response.text
    assert "No space left" not in response.text
    # What staff typed and chose is still there; only the file must be chosen again.
    form = response.context["adminform"].form
    assert form.data["transcription"] == "谢谢叔叔阿姨"
    assert form.data["fulfilment"] == str(fulfilment.pk)
    assert "谢谢叔叔阿姨" in response.text
    assert len(full_disk) == 1
    assert not ThankYouLetter.objects.exists()
    assert not StatusChange.objects.exists()
    assert callbacks == []
    assert mail.outbox == []
    assert stored_files() == []


def test_a_full_disk_writes_no_admin_log_entry(client_for, fulfilment, full_disk):
    add_letter(client_for("superuser"), fulfilment, HTTP_ACCEPT_LANGUAGE="en")

    assert not LogEntry.objects.exists()


def test_a_refusal_after_the_service_wrote_rows_rolls_the_whole_save_back(
    client_for, fulfilment, monkeypatch, django_capture_on_commit_callbacks
):
    # A refusal raised after upload_letter's own transaction has finished: only the admin's
    # atomic block around the save can take the letter and its history back.
    def upload_then_refuse(**kwargs):
        services.upload_letter(**kwargs)
        raise TransitionError(gettext("This claim does not exist."))

    monkeypatch.setattr(letters_admin, "upload_letter", upload_then_refuse)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = add_letter(
            client_for("staff"), fulfilment, scan=False, HTTP_ACCEPT_LANGUAGE="en"
        )

    assert response.status_code == 200
    assert "This claim does not exist." in non_field_errors(response)
    assert not ThankYouLetter.objects.exists()
    assert not StatusChange.objects.exists()
    assert callbacks == []
    assert mail.outbox == []


def test_the_form_saves_once_the_disk_has_room_again(
    client_for, fulfilment, full_disk, monkeypatch
):
    client = client_for("staff")
    refused = add_letter(client, fulfilment, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200
    monkeypatch.undo()

    response = add_letter(client, fulfilment, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    letter = ThankYouLetter.objects.get()
    assert stored_files() == [Path(letter.scan.path)]


def test_a_letter_added_by_hand_still_redirects_to_the_list(
    client_for, staff, fulfilment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = add_letter(client_for("staff"), fulfilment)

    assert response.status_code == 302
    assert response.url == reverse("admin:wishes_thankyouletter_changelist")
    letter = ThankYouLetter.objects.get()
    assert (letter.fulfilment, letter.uploaded_by) == (fulfilment, staff)
    assert letter.status == LetterStatus.PENDING
    assert letter.transcription == "谢谢叔叔阿姨"
    assert stored_files() == [Path(letter.scan.path)]
    assert StatusChange.objects.get().to_status == LetterStatus.PENDING
    assert [m.to for m in mail.outbox] == [["staff@huamu.example"]]
