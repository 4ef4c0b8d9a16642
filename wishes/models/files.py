"""Where uploaded files are stored: names the server chooses."""

import uuid

from django.utils import timezone


def private_name(folder: str, extension: str) -> str:
    # The server names every file: nothing of the uploader's file name is kept.
    return f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


def photo_path(instance, filename: str) -> str:
    return private_name("photos", filename.rsplit(".", 1)[-1].lower())


def letter_path(instance, filename: str) -> str:
    return private_name("letters", filename.rsplit(".", 1)[-1].lower())


def import_path(instance, filename: str) -> str:
    return private_name("imports", filename.rsplit(".", 1)[-1].lower()[:5])


def consent_form_path(instance, filename: str) -> str:
    return private_name("consents", filename.rsplit(".", 1)[-1].lower())


def download_path(instance, filename: str) -> str:
    return private_name("downloads", filename.rsplit(".", 1)[-1].lower()[:5])
