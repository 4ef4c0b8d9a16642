"""One phone rule and one file decoder: every way in reads a number and a file the same.

Phones are typed at sign-up, in the admin and in the children spreadsheet; each must accept
and store a number alike. (The city platform's claims file holds no phone number.) A text
file may come as UTF-8, UTF-8 with BOM, UTF-16 or GB18030; the children import and the
platform's claims import must read each the same.
"""

import csv
import datetime
import io

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from sponsors.models import Sponsor, SponsorKind
from tests.factories import CampaignFactory, SponsorFactory, WishFactory
from tests.wishes.importing.files import HEADERS, csv_bytes, good_row
from wishes.city_platform.inbound import Outcome, read_platform_claims
from wishes.importing.reader import decode_text, read_table
from wishes.models import Child, Claim, ClaimChannel, ImportBatch, ImportStatus

pytestmark = pytest.mark.django_db

# Typed, and stored.
PHONES = [
    ("13912345678", "13912345678"),
    ("139 1234 5678", "13912345678"),
    ("139-1234-5678", "13912345678"),
    ("+86 139 1234 5678", "13912345678"),
    ("0086 139 1234 5678", "13912345678"),
    ("１３９１２３４５６７８", "13912345678"),
    ("１３９　１２３４　５６７８", "13912345678"),
    ("(021) 5888 1234", "021-58881234"),
    ("021 5888 1234", "021-58881234"),
    ("02158881234", "021-58881234"),
    ("（０２１）５８８８－１２３４", "021-58881234"),
    ("0571-8888 7777", "0571-88887777"),
]
BAD_PHONES = ["12345", "139 1234 567", "+1 650 253 0000", "400 812 3456", "电话"]
MESSAGE = "Enter a mainland China phone number"

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "gb18030"]
CENTRE = "北蔡镇新时代文明实践分中心"


@pytest.fixture
def campaign(db):
    return CampaignFactory(year=2026)


def sign_up(client, phone: str):
    data = {
        "kind": SponsorKind.INDIVIDUAL,
        "name": "陈爱心",
        "unit_category": "",
        "region": "",
        "contact_name": "陈爱心",
        "phone": phone,
        "email": "chen@example.org",
        "username": "chen",
        "password1": "Plum-blossom-2026",
        "password2": "Plum-blossom-2026",
    }
    return client.post(reverse("sponsors:register"), data, HTTP_ACCEPT_LANGUAGE="en")


def upload_children(client, campaign, data: bytes, name: str = "名单.csv") -> ImportBatch:
    """Upload a spreadsheet on the import page; the check runs within the request."""
    response = client.post(
        reverse("admin:wishes_importbatch_upload"),
        {"campaign": campaign.pk, "file": SimpleUploadedFile(name, data)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    return ImportBatch.objects.latest("pk")


def import_children(client, batch: ImportBatch) -> ImportBatch:
    client.post(reverse("admin:wishes_importbatch_import", args=[batch.pk]))
    batch.refresh_from_db()
    return batch


def admin_phone_fields(staff) -> list:
    """The phone fields of the admin's forms for children and sponsors."""
    request = RequestFactory().get("/")
    request.user = staff
    child_form = admin.site.get_model_admin(Child).get_form(request)
    sponsor_form = admin.site.get_model_admin(Sponsor).get_form(request)
    return [child_form.base_fields["guardian_phone"], sponsor_form.base_fields["phone"]]


# --- phones ------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed, stored", PHONES)
def test_sign_up_stores_the_number_in_the_one_form(client, typed, stored):
    response = sign_up(client, typed)

    assert response.status_code == 302
    assert Sponsor.objects.get().phone == stored


@pytest.mark.parametrize("typed, stored", PHONES)
def test_the_children_import_stores_the_number_in_the_one_form(
    client_for, school, campaign, typed, stored
):
    client = client_for("staff")
    batch = upload_children(client, campaign, csv_bytes([good_row(guardian_phone=typed)]))
    assert batch.status == ImportStatus.CHECKED

    import_children(client, batch)

    assert Child.objects.get().guardian_phone == stored


@pytest.mark.parametrize("typed, stored", PHONES)
def test_the_admin_forms_store_the_number_in_the_one_form(staff, typed, stored):
    for field in admin_phone_fields(staff):
        assert field.clean(typed) == stored


@pytest.mark.parametrize("typed", BAD_PHONES)
def test_every_way_in_refuses_the_same_numbers(client, client_for, school, campaign, staff, typed):
    response = sign_up(client, typed)
    assert response.status_code == 200
    assert MESSAGE in response.text
    assert not Sponsor.objects.exists()

    batch = upload_children(
        client_for("staff"), campaign, csv_bytes([good_row(guardian_phone=typed)])
    )
    assert batch.status == ImportStatus.FAILED
    assert [(p["column"], p["message"][: len(MESSAGE)]) for p in batch.problems] == [
        (HEADERS["guardian_phone"], MESSAGE)
    ]

    for field in admin_phone_fields(staff):
        with pytest.raises(ValidationError):
            field.clean(typed)


# --- files -------------------------------------------------------------------------------------


def children_text(delimiter: str = ",") -> str:
    rows = [good_row(), good_row(real_name="赵敏", guardian_phone="021 5888 1234")]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(HEADERS.values())
    writer.writerows([row[key] for key in HEADERS] for row in rows)
    return buffer.getvalue()


def claims_text(code: str, delimiter: str = ",") -> str:
    claimed_on = timezone.localdate() - datetime.timedelta(days=2)
    lines = [
        ["wish_code", "external_ref", "claimant_name", "claimed_on", "promised_on"],
        [code, "SH-0001", CENTRE, f"{claimed_on:%Y/%m/%d}", ""],
    ]
    return "\r\n".join(delimiter.join(line) for line in lines) + "\r\n"


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_the_decoder_reads_every_encoding_alike(delimiter):
    text = children_text(delimiter)

    assert {decode_text(text.encode(encoding)) for encoding in ENCODINGS} == {text}
    tables = [read_table(text.encode(encoding), name="名单.csv") for encoding in ENCODINGS]
    assert all(table == tables[0] for table in tables)
    assert tables[0].header == tuple(HEADERS.values())
    assert [number for number, _row in tables[0].rows] == [2, 3]


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_the_claims_import_reads_every_encoding_alike(delimiter):
    text = claims_text("HM2026-00001", delimiter)

    read = [read_platform_claims(text.encode(encoding), name="c.csv") for encoding in ENCODINGS]

    assert all(rows == read[0] for rows in read)
    assert [(row.number, row.values["claimant_name"]) for row in read[0]] == [(2, CENTRE)]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_the_children_upload_page_reads_every_encoding_alike(
    client_for, school, campaign, encoding, delimiter
):
    # Excel's "Unicode text" is UTF-16 with tabs; its "CSV (UTF-8)" has a BOM and commas.
    client = client_for("staff")
    batch = upload_children(client, campaign, children_text(delimiter).encode(encoding))
    assert batch.status == ImportStatus.CHECKED
    assert [row["row"] for row in batch.summary["preview"]] == [2, 3]

    import_children(client, batch)

    assert sorted(Child.objects.values_list("real_name", "guardian_phone")) == sorted(
        [("李小梅", "13912345678"), ("赵敏", "021-58881234")]
    )


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_the_claims_upload_page_reads_every_encoding_alike(client_for, encoding, delimiter):
    SponsorFactory(verified=True, name=CENTRE)
    wish = WishFactory(open=True, published_at=timezone.now() - datetime.timedelta(days=30))
    data = claims_text(wish.code, delimiter).encode(encoding)

    response = client_for("staff").post(
        reverse("admin:wishes_claim_import_platform"),
        {"file": SimpleUploadedFile("claims.csv", data)},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    (result,) = response.context["report"].results
    assert (result.number, result.outcome) == (2, Outcome.CREATED)
    claim = Claim.objects.get()
    assert (claim.channel, claim.external_ref, claim.claimant_name) == (
        ClaimChannel.CITY_PLATFORM,
        "SH-0001",
        CENTRE,
    )
