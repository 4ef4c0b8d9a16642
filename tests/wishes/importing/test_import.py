"""Importing children and wishes from spreadsheets: check first, then all or nothing, once."""

import io
import time
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from huamu.errors import TransitionError
from tests.factories import (
    CampaignFactory,
    ChildFactory,
    ConsentFactory,
    RegionFactory,
    UserFactory,
    WishFactory,
)
from tests.wishes.importing.files import HEADERS, csv_bytes, good_row, many_rows, xlsx_bytes
from wishes.audit import history_of
from wishes.importing import children as importing
from wishes.importing.columns import COLUMNS, HELP_SHEET, TEMPLATE_SHEET
from wishes.importing.problems import IMPORT_FAILED, problem_text
from wishes.importing.reader import TOO_MANY_ROWS
from wishes.importing.template import XLSX_CONTENT_TYPE, template_workbook
from wishes.models import (
    Child,
    Consent,
    ConsentMethod,
    Gender,
    HardshipCategory,
    ImportBatch,
    ImportStatus,
    Wish,
    WishCategory,
    WishStatus,
)
from wishes.privacy.aliases import neutral_alias

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(db):
    return CampaignFactory(year=2026)


@pytest.fixture
def beicai(db):
    """A town other than the school's: some children live in Beicai and study in Huamu."""
    return RegionFactory(name="北蔡镇")


@pytest.fixture
def staff_without_import(db):
    """A back-office user with no permission to add children or wishes."""
    return UserFactory(username="reader", is_staff=True)


@pytest.fixture
def school_staff(db, staff_without_import):
    """Staff who may view imports but not add children: still kept out of the import pages."""
    staff_without_import.user_permissions.add(
        Permission.objects.get(codename="view_importbatch"),
        Permission.objects.get(codename="add_importbatch"),
    )
    return staff_without_import


def stored_batch(data: bytes, name: str, campaign, by) -> ImportBatch:
    """A batch holding `data` as uploaded, whatever it is (the upload form would refuse some)."""
    batch = ImportBatch(original_name=name, campaign=campaign, created_by=by)
    batch.file.save(name, ContentFile(data), save=False)
    batch.save()
    return batch


def checked(data: bytes, name: str, campaign, by) -> ImportBatch:
    return importing.check_batch(batch_id=stored_batch(data, name, campaign, by).pk)


def imported(batch: ImportBatch, by) -> ImportBatch:
    importing.begin_import(batch_id=batch.pk, by=by)
    return importing.import_batch(batch_id=batch.pk, by=by)


def problems_in_english(batch: ImportBatch) -> list[tuple]:
    with translation.override("en"):
        return [(p["row"], p["column"], problem_text(p)) for p in batch.problems]


def nothing_imported() -> bool:
    return (
        not Child.objects.exists() and not Wish.objects.exists() and not Consent.objects.exists()
    )


# --- good files ---------------------------------------------------------------------------------


def test_good_xlsx_imports_children_consents_and_draft_wishes(school, campaign, beicai, staff):
    rows = [
        good_row(),
        good_row(
            real_name="张伟",
            alias="小伟同学",
            gender="男",
            grade="2年级",
            home_region="北蔡镇",
            guardian_phone="021-58881234",
            category="体育用品",
            child_words="想要一个足球",
            estimated_value="￥85.5",
            consent="否",
            consent_date="",
            publish_wish="",
            share_photos="",
            publish_photos="",
            share_letter="",
        ),
    ]
    batch = checked(xlsx_bytes(rows), "孩子名单.xlsx", campaign, staff)
    assert batch.status == ImportStatus.CHECKED
    assert batch.problems == []
    assert batch.summary["children_new"] == 2
    assert batch.summary["wishes_new"] == 2

    batch = imported(batch, staff)

    assert batch.status == ImportStatus.IMPORTED
    assert batch.rows_done == batch.rows_total == 2
    mei = Child.objects.get(real_name="李小梅")
    # The default alias is neutral: never the surname, nothing of the name.
    assert mei.alias.startswith("小") and mei.alias.endswith("同学")
    assert not set(mei.alias[1:-2]) & set("李小梅")
    assert mei.gender == Gender.GIRL
    assert (mei.birth_year, mei.grade, mei.class_name) == (2015, 4, "四(1)班")
    assert mei.school == school
    assert mei.home_region == school.region  # left empty: the school's region
    assert mei.guardian_phone == "13912345678"
    assert mei.hardship_category == HardshipCategory.SINGLE_PARENT
    consent = Consent.objects.get(child=mei)
    assert (consent.publish_wish, consent.share_photos_with_sponsor, consent.publish_photos) == (
        True,
        True,
        False,
    )
    assert consent.keep_record
    assert consent.method == ConsentMethod.PAPER
    assert str(consent.given_on) == "2025-09-01"
    # The scope of the column added with it, and the end of that school year.
    assert consent.share_letter_with_sponsor
    assert str(consent.valid_until) == "2026-08-31"
    assert consent.given_by == "李建国"
    assert consent.collected_by == staff
    wish = Wish.objects.get(child=mei)
    assert wish.status == WishStatus.DRAFT
    assert wish.campaign == campaign
    assert wish.category == WishCategory.BOOKS
    assert wish.estimated_value == Decimal("150.00")
    assert wish.child_words == good_row()["child_words"]
    # The public text is drafted with the name, school and class masked.
    assert "李小梅" not in wish.public_text
    assert "花木中心小学" not in wish.public_text
    assert "四(1)班" not in wish.public_text
    assert "百科全书" in wish.public_text
    assert [c.to_status for c in history_of(wish)] == [WishStatus.DRAFT]

    wei = Child.objects.get(real_name="张伟")
    assert (wei.alias, wei.gender, wei.grade, wei.home_region) == (
        "小伟同学",
        Gender.BOY,
        2,
        beicai,
    )
    assert not wei.consents.exists()  # no consent given: none recorded, the wish stays private
    assert wei.wishes.get().estimated_value == Decimal("85.50")
    assert wei.wishes.get().category == WishCategory.SPORTS


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-8"])
def test_good_csv_imports_in_every_encoding_excel_writes(school, campaign, staff, encoding):
    rows = [good_row(), good_row(real_name="赵敏", guardian_phone="13700000001")]
    batch = imported(checked(csv_bytes(rows, encoding), "名单.csv", campaign, staff), staff)

    assert batch.status == ImportStatus.IMPORTED
    assert set(Child.objects.values_list("real_name", flat=True)) == {"李小梅", "赵敏"}
    assert Wish.objects.filter(status=WishStatus.DRAFT, campaign=campaign).count() == 2
    assert Child.objects.get(real_name="赵敏").hardship_category == HardshipCategory.SINGLE_PARENT


def test_english_labels_and_codes_are_accepted(school, campaign, staff):
    rows = [
        good_row(
            gender="Girl",
            hardship_category="Low-income family",
            category="books",
            consent="yes",
            publish_wish="Y",
            share_photos="no",
            publish_photos="FALSE",
        ),
        good_row(
            real_name="周杰",
            gender="boy",
            hardship_category="migrant",
            category="Electronics",
            consent="1",
        ),
    ]
    batch = imported(checked(xlsx_bytes(rows), "english.xlsx", campaign, staff), staff)

    assert batch.status == ImportStatus.IMPORTED
    mei = Child.objects.get(real_name="李小梅")
    assert (mei.gender, mei.hardship_category) == (Gender.GIRL, HardshipCategory.LOW_INCOME)
    assert mei.consents.get().publish_wish
    assert not mei.consents.get().share_photos_with_sponsor
    jie = Child.objects.get(real_name="周杰")
    assert jie.hardship_category == HardshipCategory.MIGRANT
    assert jie.wishes.get().category == WishCategory.ELECTRONICS


def test_english_headers_in_any_order_and_extra_columns_are_accepted(school, campaign, staff):
    keys = ["note", *reversed(list(HEADERS))]
    data = xlsx_bytes([good_row(note="备注")], keys=keys)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    for cell in workbook.active[1]:
        column = {c.header: c for c in COLUMNS}.get(cell.value)
        if column is not None:
            cell.value = column.english
    buffer = io.BytesIO()
    workbook.save(buffer)

    batch = imported(checked(buffer.getvalue(), "en.xlsx", campaign, staff), staff)

    assert batch.status == ImportStatus.IMPORTED
    assert Child.objects.get().real_name == "李小梅"


def test_excel_cells_as_numbers_and_dates_are_read(school, campaign, staff):
    import datetime

    row = good_row(
        guardian_phone=13912345678, consent_date=datetime.date(2025, 9, 1), birth_year=2015.0
    )
    batch = imported(checked(xlsx_bytes([row]), "numbers.xlsx", campaign, staff), staff)

    assert batch.status == ImportStatus.IMPORTED
    child = Child.objects.get()
    assert child.guardian_phone == "13912345678"
    assert str(child.consents.get().given_on) == "2025-09-01"


@pytest.mark.parametrize(
    "cells, field, expected",
    [
        ({"consent_date": "2025年9月1日"}, "given_on", "2025-09-01"),
        ({"consent_date": "2025/9/1 0:00:00"}, "given_on", "2025-09-01"),
        ({"consent_date": "2025.09.01"}, "given_on", "2025-09-01"),
        ({"guardian_phone": "１３９ １２３４ ５６７８"}, "guardian_phone", "13912345678"),
        ({"estimated_value": "1,200元"}, "estimated_value", "1200.00"),
        ({"estimated_value": "99.999"}, "estimated_value", "100.00"),
        ({"grade": "５年级"}, "grade", "5"),
    ],
)
def test_cells_written_the_usual_ways_are_understood(
    school, campaign, staff, cells, field, expected
):
    imported(checked(csv_bytes([good_row(**cells)]), "ways.csv", campaign, staff), staff)

    child = Child.objects.get()
    values = {
        "given_on": child.consents.get().given_on,
        "guardian_phone": child.guardian_phone,
        "estimated_value": child.wishes.get().estimated_value,
        "grade": child.grade,
    }
    assert str(values[field]) == expected


# --- problems: each one named by row and column, and nothing imported ----------------------------


@pytest.mark.parametrize(
    "cells, column, message",
    [
        ({"school": "不存在小学"}, "学校", "Unknown school “不存在小学”"),
        ({"guardian_phone": "12345"}, "监护人电话", "Enter a mainland China phone number"),
        ({"grade": 10}, "年级", "Write a whole number from 1 to 9."),
        ({"grade": "三"}, "年级", "Write a whole number from 1 to 9."),
        ({"guardian_name": ""}, "监护人姓名", "This cell must be filled in."),
        ({"child_words": "  "}, "心愿（孩子原话）", "This cell must be filled in."),
        ({"category": "玩具"}, "心愿类别", "“玩具” is not allowed here; write one of: 学习用品"),
        ({"hardship_category": "穷"}, "困难类别", "“穷” is not allowed here"),
        ({"gender": "X"}, "性别", "“X” is not allowed here"),
        ({"consent_date": "2025-13-45"}, "同意日期", "“2025-13-45” is not a date"),
        ({"consent_date": "2999-01-01"}, "同意日期", "The date is in the future."),
        ({"consent_date": ""}, "同意日期", "The date of the consent is needed"),
        ({"estimated_value": "一百"}, "估价（元）", "Write an amount in yuan"),
        ({"estimated_value": -5}, "估价（元）", "Write an amount in yuan"),
        ({"consent": "也许"}, "监护人已同意", "“也许” is not allowed here; write one of: 是、否."),
        ({"birth_year": 1990}, "出生年份", "Write a whole number from 2000 to"),
        ({"home_region": "火星镇"}, "居住街镇", "Unknown region “火星镇”"),
        ({"real_name": "名" * 41}, "姓名", "Too long: at most 40 characters."),
        (
            {
                "consent": "否",
                "consent_date": "",
                "publish_wish": "是",
                "share_photos": "",
                "share_letter": "",
            },
            "同意发布心愿",
            "The guardian has not consented",
        ),
    ],
)
def test_a_bad_cell_is_a_problem_of_its_row_and_column_and_nothing_is_imported(
    school, campaign, staff, cells, column, message
):
    rows = [good_row(), good_row(**{"real_name": "赵敏", **cells})]

    batch = checked(xlsx_bytes(rows), "bad.xlsx", campaign, staff)

    assert batch.status == ImportStatus.FAILED
    [(row, problem_column, text)] = problems_in_english(batch)
    assert (row, problem_column) == (3, column)
    assert message in text
    with pytest.raises(TransitionError):
        importing.begin_import(batch_id=batch.pk, by=staff)
    assert nothing_imported()


def test_every_problem_of_a_file_is_listed_in_row_order(school, campaign, staff):
    rows = [
        good_row(guardian_phone="1", grade=0),
        good_row(real_name="赵敏", school="无名小学", category="", alias="名" * 21),
    ]

    batch = checked(csv_bytes(rows), "bad.csv", campaign, staff)

    assert [(row, column) for row, column, _text in problems_in_english(batch)] == [
        (2, "年级"),
        (2, "监护人电话"),
        (3, "化名"),
        (3, "学校"),
        (3, "心愿类别"),
    ]


def test_the_same_child_twice_in_a_file_is_a_problem_of_the_second_row(school, campaign, staff):
    rows = [good_row(), good_row(real_name="赵敏"), good_row(category="服装")]

    batch = checked(xlsx_bytes(rows), "twice.xlsx", campaign, staff)

    assert problems_in_english(batch) == [
        (4, "姓名", "The same child (school, name and birth year) is already in row 2.")
    ]
    assert nothing_imported()


def test_a_missing_column_is_a_problem_of_the_header_row(school, campaign, staff):
    keys = [key for key in HEADERS if key != "guardian_phone"]

    batch = checked(xlsx_bytes([good_row()], keys=keys), "short.xlsx", campaign, staff)

    assert problems_in_english(batch) == [
        (1, "监护人电话", "This column is missing from the header row.")
    ]


def test_the_templates_example_row_left_in_is_a_problem(school, campaign, staff):
    workbook = openpyxl.load_workbook(io.BytesIO(template_workbook()))
    buffer = io.BytesIO()
    workbook.save(buffer)

    batch = checked(buffer.getvalue(), "template.xlsx", campaign, staff)

    assert problems_in_english(batch) == [
        (2, "姓名", "This is the template's example row: delete it.")
    ]


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"name,school\n", "text.xlsx", "This file is not an .xlsx spreadsheet."),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "photo.csv", "This file is not a CSV text file."),
        (_zip({"hello.txt": b"hi"}), "other.xlsx", "This file is not an .xlsx spreadsheet."),
        (
            _zip({"[Content_Types].xml": b"<broken", "xl/workbook.xml": b"<broken"}),
            "damaged.xlsx",
            "The spreadsheet could not be read",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old.xlsx", "Old .xls files"),
        (xlsx_bytes([]), "table.csv", "This is an Excel workbook, not a CSV file"),
        (b"", "empty.csv", "The file is empty."),
        (b"\n\n", "blank.csv", "The file is empty."),
        (csv_bytes([]), "header_only.csv", "The file has no rows of children"),
        (xlsx_bytes([]), "header_only.xlsx", "The file has no rows of children"),
        (b"\xff\xfe\xfa", "bad.csv", "The text of this CSV file could not be read"),
        (b"a,b\n", "names.txt", "Upload an .xlsx or a .csv file."),
    ],
)
def test_a_file_that_is_not_a_good_spreadsheet_is_one_problem_and_nothing_is_imported(
    school, campaign, staff, data, name, message
):
    batch = checked(data, name, campaign, staff)

    assert batch.status == ImportStatus.FAILED
    [(row, column, text)] = problems_in_english(batch)
    assert (row, column) == (None, "")
    assert message in text
    assert nothing_imported()


def test_more_rows_than_the_limit_is_a_problem(school, campaign, staff, settings):
    settings.HUAMU_IMPORT_MAX_ROWS = 5

    batch = checked(csv_bytes(many_rows(6)), "big.csv", campaign, staff)

    assert problems_in_english(batch) == [
        (None, "", "The file has more than 5 rows of children. Split it into several files.")
    ]
    assert nothing_imported()


def test_a_file_over_the_default_row_limit_of_5000_is_refused(school, campaign, staff):
    batch = checked(csv_bytes(many_rows(5001)), "huge.csv", campaign, staff)

    assert batch.problems[0]["message"] == TOO_MANY_ROWS
    assert nothing_imported()


def test_a_school_removed_after_the_check_stops_the_whole_import(school, campaign, staff):
    batch = checked(xlsx_bytes(many_rows(3)), "ok.xlsx", campaign, staff)
    importing.begin_import(batch_id=batch.pk, by=staff)
    school.name = "花木中心小学（新校区）"
    school.save()

    batch = importing.import_batch(batch_id=batch.pk, by=staff)

    assert batch.status == ImportStatus.FAILED
    assert {(p["row"], p["column"]) for p in batch.problems} == {
        (2, "学校"),
        (3, "学校"),
        (4, "学校"),
    }
    assert nothing_imported()


def test_an_error_during_the_import_leaves_nothing_behind(school, campaign, staff, monkeypatch):
    batch = checked(xlsx_bytes(many_rows(3)), "ok.xlsx", campaign, staff)
    importing.begin_import(batch_id=batch.pk, by=staff)
    calls = []

    def fail_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return "masked"

    monkeypatch.setattr(importing, "redact_for_child", fail_on_third)

    batch = importing.import_batch(batch_id=batch.pk, by=staff)

    assert batch.status == ImportStatus.FAILED
    assert batch.problems[0]["message"] == IMPORT_FAILED
    assert nothing_imported()


# --- importing again creates nothing ------------------------------------------------------------


def test_importing_the_same_file_twice_creates_nothing_the_second_time(school, campaign, staff):
    data = xlsx_bytes(many_rows(4))
    imported(checked(data, "a.xlsx", campaign, staff), staff)
    counts = (Child.objects.count(), Wish.objects.count(), Consent.objects.count())

    again = checked(data, "a.xlsx", campaign, staff)

    assert again.status == ImportStatus.CHECKED
    assert again.summary["children_existing"] == 4
    assert again.summary["wishes_existing"] == 4
    assert again.summary["wishes_new"] == again.summary["children_new"] == 0
    again = imported(again, staff)
    assert again.status == ImportStatus.IMPORTED
    assert again.summary["imported"]["wishes_new"] == 0
    assert (
        (Child.objects.count(), Wish.objects.count(), Consent.objects.count())
        == counts
        == (
            4,
            4,
            4,
        )
    )


def test_a_recorded_child_gets_only_a_new_wish_in_another_campaign(school, campaign, staff):
    child = ChildFactory(real_name="李小梅", birth_year=2015, school=school)
    ConsentFactory(child=child)
    WishFactory(child=child, campaign=CampaignFactory(year=2025))

    batch = imported(checked(xlsx_bytes([good_row()]), "a.xlsx", campaign, staff), staff)

    assert batch.summary["imported"]["children_existing"] == 1
    assert Child.objects.get() == child
    assert child.wishes.filter(campaign=campaign).count() == 1
    assert child.consents.count() == 1  # a consent in force already: none added


def test_a_withdrawn_child_of_the_same_name_is_not_reused(school, campaign, staff):
    from django.utils import timezone

    old = ChildFactory(
        real_name="李小梅", birth_year=2015, school=school, withdrawn_at=timezone.now()
    )

    imported(checked(xlsx_bytes([good_row()]), "a.xlsx", campaign, staff), staff)

    assert Child.objects.active().get().pk != old.pk


def test_a_batch_is_imported_only_once(school, campaign, staff):
    batch = checked(xlsx_bytes([good_row()]), "a.xlsx", campaign, staff)
    importing.begin_import(batch_id=batch.pk, by=staff)

    with pytest.raises(TransitionError):
        importing.begin_import(batch_id=batch.pk, by=staff)
    importing.import_batch(batch_id=batch.pk, by=staff)
    with pytest.raises(TransitionError):
        importing.begin_import(batch_id=batch.pk, by=staff)
    assert Wish.objects.count() == 1


# --- the pages ----------------------------------------------------------------------------------


def upload(client, campaign, data: bytes, name: str):
    return client.post(
        reverse("admin:wishes_importbatch_upload"),
        {"campaign": campaign.pk, "file": SimpleUploadedFile(name, data)},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_uploading_shows_the_preview_then_importing_shows_the_result(
    client_for, school, campaign, staff
):
    client = client_for("staff")

    response = upload(client, campaign, xlsx_bytes(many_rows(2)), "名单.xlsx")

    batch = ImportBatch.objects.get()
    preview_url = reverse("admin:wishes_importbatch_preview", args=[batch.pk])
    assert response.status_code == 302
    assert response["Location"] == preview_url
    assert batch.original_name == "名单.xlsx"
    assert batch.created_by == staff
    assert batch.file.name.startswith("imports/")
    assert "名单" not in batch.file.name  # the server names stored files
    page = client.get(preview_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No problems found" in page
    assert 'http-equiv="refresh"' not in page
    # The aliases the import will record, neutral ones for rows that gave none.
    assert neutral_alias(real_name="王同学0000") in page
    assert reverse("admin:wishes_importbatch_import", args=[batch.pk]) in page
    assert Child.objects.count() == 0  # nothing before the click

    response = client.post(reverse("admin:wishes_importbatch_import", args=[batch.pk]))

    assert response.status_code == 302
    assert Wish.objects.filter(status=WishStatus.DRAFT).count() == 2
    page = client.get(preview_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Imported" in page
    assert "Review the draft wishes" in page


def test_the_preview_lists_problems_and_offers_only_a_new_upload(
    client_for, school, campaign, staff
):
    client = client_for("staff")
    upload(client, campaign, xlsx_bytes([good_row(school="不存在小学")]), "bad.xlsx")
    batch = ImportBatch.objects.get()

    page = client.get(
        reverse("admin:wishes_importbatch_preview", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "The file has 1 problem; nothing was imported." in page
    assert "<td>2</td>" in page
    assert "<td>学校</td>" in page
    assert "Unknown school “不存在小学”" in page
    assert reverse("admin:wishes_importbatch_import", args=[batch.pk]) not in page
    assert f"{reverse('admin:wishes_importbatch_upload')}?campaign={campaign.pk}" in page
    response = client.post(reverse("admin:wishes_importbatch_import", args=[batch.pk]))
    assert response.status_code == 302
    assert nothing_imported()


def test_the_preview_is_in_chinese_by_default(client_for, school, campaign):
    client = client_for("staff")
    upload(client, campaign, xlsx_bytes([good_row(grade=12)]), "bad.xlsx")
    batch = ImportBatch.objects.get()

    page = client.get(reverse("admin:wishes_importbatch_preview", args=[batch.pk]))

    assert "<td>年级</td>" in page.content.decode()


def test_the_upload_form_refuses_what_is_not_a_spreadsheet(client_for, school, campaign):
    client = client_for("staff")

    response = upload(client, campaign, b"%PDF-1.7 not a table", "report.xlsx")

    assert response.status_code == 200
    assert "This file is not an .xlsx spreadsheet." in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_the_upload_form_refuses_an_empty_file(client_for, school, campaign):
    response = upload(client_for("staff"), campaign, b"", "empty.csv")

    assert response.status_code == 200
    assert not ImportBatch.objects.exists()


def test_the_upload_form_refuses_a_file_over_the_size_limit(
    client_for, school, campaign, settings
):
    settings.HUAMU_IMPORT_MAX_BYTES = 1024

    response = upload(client_for("staff"), campaign, csv_bytes(many_rows(40)), "big.csv")

    assert "The file is larger than 1.0\xa0KB" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_file_of_200_rows_imports_quickly_with_progress_counted(
    client_for, school, campaign, staff
):
    client = client_for("staff")
    start = time.monotonic()

    upload(client, campaign, xlsx_bytes(many_rows(200)), "200.xlsx")
    batch = ImportBatch.objects.get()
    client.post(reverse("admin:wishes_importbatch_import", args=[batch.pk]))

    assert time.monotonic() - start < 5
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED
    assert batch.rows_done == batch.rows_total == 200
    assert Wish.objects.count() == Child.objects.count() == Consent.objects.count() == 200


def test_the_import_counts_its_progress_as_it_goes(school, campaign, staff, monkeypatch):
    batch = checked(xlsx_bytes(many_rows(40)), "40.xlsx", campaign, staff)
    importing.begin_import(batch_id=batch.pk, by=staff)
    seen = []
    import_row = importing._import_row

    def watch(row, *args):
        seen.append(ImportBatch.objects.get(pk=batch.pk).rows_done)
        import_row(row, *args)

    monkeypatch.setattr(importing, "_import_row", watch)

    batch = importing.import_batch(batch_id=batch.pk, by=staff)

    assert seen[0] == 0
    assert seen == sorted(seen)
    assert seen[-1] == 38  # written every second row of 40
    assert batch.rows_done == batch.rows_total == 40


def test_the_preview_refreshes_itself_while_the_check_waits_for_a_worker(
    client_for, school, campaign, settings
):
    # A queue that never runs the task: the batch stays uploaded, as with a busy worker.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    client = client_for("staff")
    upload(client, campaign, xlsx_bytes(many_rows(3)), "slow.xlsx")
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.UPLOADED

    page = client.get(
        reverse("admin:wishes_importbatch_preview", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert '<meta http-equiv="refresh" content="2">' in page
    assert 'id="import-progress"' in page
    assert "Checking…" in page


def test_the_template_has_chinese_headers_an_example_and_the_explanations(
    client_for, school, beicai
):
    response = client_for("staff").get(reverse("admin:wishes_importbatch_template"))

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook[TEMPLATE_SHEET]
    assert [cell.value for cell in sheet[1]] == list(HEADERS.values())
    example = dict(zip(HEADERS, [cell.value for cell in sheet[2]], strict=True))
    assert example["school"] == "花木中心小学"
    assert example["gender"] in ("男", "女")
    help_rows = {row[0]: row for row in workbook[HELP_SHEET].iter_rows(values_only=True)}
    assert "图书" in help_rows["心愿类别"][3]
    assert "低收入家庭" in help_rows["困难类别"][3]
    assert "北蔡镇" in help_rows["居住街镇"][3]
    assert "花木中心小学" in help_rows["学校"][3]
    assert help_rows["同意发布心愿"][3] == "是、否"


def test_the_filled_in_template_imports(school, campaign, staff):
    workbook = openpyxl.load_workbook(io.BytesIO(template_workbook()))
    sheet = workbook[TEMPLATE_SHEET]
    sheet["A2"] = "陈小雨"  # the example row, made a real child
    sheet["K2"] = "13600000000"
    buffer = io.BytesIO()
    workbook.save(buffer)

    batch = imported(checked(buffer.getvalue(), "filled.xlsx", campaign, staff), staff)

    assert batch.status == ImportStatus.IMPORTED
    assert Child.objects.get().real_name == "陈小雨"


def test_a_school_name_beginning_with_equals_stays_text_in_the_template(client_for, db):
    from tests.factories import SchoolFactory

    SchoolFactory(name="=HYPERLINK(1)")

    response = client_for("staff").get(reverse("admin:wishes_importbatch_template"))

    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        xml = "".join(
            archive.read(name).decode() for name in archive.namelist() if name.endswith(".xml")
        )
    assert "<f>" not in xml
    assert "HYPERLINK(1)" in xml


def test_the_changelist_offers_the_upload_and_the_template(client_for, db):
    page = client_for("staff").get(
        reverse("admin:wishes_importbatch_changelist"), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert reverse("admin:wishes_importbatch_upload") in page.content.decode()
    assert reverse("admin:wishes_importbatch_template") in page.content.decode()


def test_a_batchs_own_admin_page_is_read_only_and_links_to_its_preview(
    client_for, import_batch_for_pages
):
    url = reverse("admin:wishes_importbatch_change", args=[import_batch_for_pages.pk])

    page = client_for("staff").get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert reverse("admin:wishes_importbatch_preview", args=[import_batch_for_pages.pk]) in page
    assert 'name="_save"' not in page


def test_adding_a_batch_goes_to_the_upload_page(client_for, db):
    response = client_for("staff").get(reverse("admin:wishes_importbatch_add"))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:wishes_importbatch_upload")


def test_the_original_file_can_be_downloaded_to_correct_it(client_for, school, campaign, staff):
    data = csv_bytes([good_row()])
    batch = stored_batch(data, "名单.csv", campaign, staff)
    batch.original_name = "名单.csv"
    batch.save()

    response = client_for("staff").get(reverse("admin:wishes_importbatch_file", args=[batch.pk]))

    assert b"".join(response.streaming_content) == data
    assert "attachment" in response["Content-Disposition"]


# --- who may use the import pages ----------------------------------------------------------


@pytest.fixture
def import_batch_for_pages(db, school, campaign, staff) -> ImportBatch:
    return checked(xlsx_bytes([good_row()]), "a.xlsx", campaign, staff)


PAGES = ["template", "upload", "preview", "file", "changelist"]


@pytest.mark.parametrize(
    "role, status",
    [
        ("staff", 200),
        ("superuser", 200),
        ("school_staff", 403),
        ("sponsor", 302),
        ("coordinator", 302),
        ("plain_user", 302),
        ("anonymous", 302),
    ],
)
@pytest.mark.parametrize("page", PAGES)
def test_only_staff_who_may_add_children_and_wishes_use_the_import_pages(
    client_for, import_batch_for_pages, role, status, page
):
    args = [import_batch_for_pages.pk] if page in ("preview", "file") else []
    expected = {"school_staff": 200 if page == "changelist" else 403}.get(role, status)

    response = client_for(role).get(reverse(f"admin:wishes_importbatch_{page}", args=args))

    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize(
    "role, status",
    [("school_staff", 403), ("sponsor", 302), ("plain_user", 302), ("anonymous", 302)],
)
def test_only_import_staff_may_start_an_import(client_for, import_batch_for_pages, role, status):
    url = reverse("admin:wishes_importbatch_import", args=[import_batch_for_pages.pk])

    response = client_for(role).post(url)

    assert response.status_code == status
    assert nothing_imported()


@pytest.mark.parametrize("role", ["school_staff", "sponsor", "anonymous"])
def test_only_import_staff_may_upload(client_for, school, campaign, role):
    response = upload(client_for(role), campaign, xlsx_bytes([good_row()]), "a.xlsx")

    assert response.status_code in (302, 403)
    assert not ImportBatch.objects.exists()


def test_starting_an_import_needs_a_post(client_for, import_batch_for_pages):
    url = reverse("admin:wishes_importbatch_import", args=[import_batch_for_pages.pk])

    assert client_for("staff").get(url).status_code == 405
    assert nothing_imported()
