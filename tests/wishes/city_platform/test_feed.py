"""The city platform exchange: the wishes feed out, the platform's claims in."""

import datetime
import json
import uuid
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from sponsors.models import Sponsor, UnitCategory
from tests.factories import (
    ClaimFactory,
    RegionFactory,
    SponsorFactory,
    WishFactory,
)
from wishes.city_platform import feed
from wishes.city_platform.feed import FEED_VERSION
from wishes.city_platform.inbound import (
    Outcome,
    PlatformFileError,
    import_platform_claims,
    read_platform_claims,
)
from wishes.models import (
    Claim,
    ClaimChannel,
    ClaimStatus,
    Consent,
    GradeBand,
    StatusChange,
    Wish,
    WishCategory,
    WishStatus,
)

pytestmark = pytest.mark.django_db

FEED = reverse("feed:wishes")
SCHEMA = json.loads(
    (Path(settings.BASE_DIR) / "docs" / "feed-wishes-v2.schema.json").read_text("utf-8")
)
CENTRE = "北蔡镇新时代文明实践分中心"
WISH_FIELDS = {
    "code",
    "alias",
    "grade_band",
    "location",
    "category",
    "public_text",
    "value_band",
    "status",
    "days_waiting",
    "url",
}


def _feed(client, **headers) -> dict:
    response = client.get(FEED, **headers)
    assert response.status_code == 200
    return json.loads(response.content.decode("utf-8"))


def _validate(document: dict) -> None:
    jsonschema.validate(
        document, SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


# --- the feed ----------------------------------------------------------------------------------


def test_schema_file_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_feed_matches_its_published_schema(client):
    WishFactory(open=True, category=WishCategory.SPORTS, child__grade=6)
    WishFactory(open=True, estimated_value="800")

    document = _feed(client)

    _validate(document)
    assert document["version"] == FEED_VERSION == "2.0"
    assert document["source"] == "Huamu Dream Wishes"
    assert len(document["wishes"]) == 2


def test_empty_feed_matches_the_schema(client):
    document = _feed(client)

    _validate(document)
    assert document["wishes"] == []


def test_schema_refuses_a_wish_with_a_private_field(client):
    WishFactory(open=True)
    document = _feed(client)
    document["wishes"][0]["real_name"] = "张小明"

    with pytest.raises(jsonschema.ValidationError):
        _validate(document)


def test_feed_holds_only_open_public_wishes(client):
    waiting = WishFactory(open=True)
    ClaimFactory()  # a claimed wish
    WishFactory()  # a draft
    hidden = WishFactory(open=True)
    Consent.objects.filter(child=hidden.child).update(withdrawn_at=timezone.now())

    codes = [wish["code"] for wish in _feed(client)["wishes"]]

    assert codes == [waiting.code]


def test_feed_wish_has_exactly_the_allowlist(client, settings):
    settings.SITE_URL = "https://huamu.example"
    wish = WishFactory(
        open=True,
        category=WishCategory.BOOKS,
        child__grade=3,
        child__alias="小王同学",
        child__home_region=RegionFactory(name="花木街道"),
        estimated_value="120",
        public_text="想要一套科普书",
    )

    (item,) = _feed(client)["wishes"]

    assert set(item) == WISH_FIELDS
    assert item == {
        "code": wish.code,
        "alias": "小王同学",
        "grade_band": {"code": GradeBand.MIDDLE, "label": "三至四年级"},
        "location": "花木街道",
        "category": {"code": "books", "label": "图书"},
        "public_text": "想要一套科普书",
        "value_band": {"code": "100-300", "label": "100至300元"},
        "status": "open",
        "days_waiting": 0,
        "url": f"https://huamu.example/wishes/{wish.pk}/",
    }


def test_feed_labels_are_chinese_whatever_the_readers_language(client):
    WishFactory(open=True, category=WishCategory.BOOKS)

    (item,) = _feed(client, HTTP_ACCEPT_LANGUAGE="en")["wishes"]

    assert item["category"] == {"code": "books", "label": "图书"}


def test_feed_lists_the_longest_waiting_first(client):
    newer = WishFactory(open=True)
    older = WishFactory(open=True, published_at=timezone.now() - datetime.timedelta(days=9))

    wishes = _feed(client)["wishes"]

    assert [w["code"] for w in wishes] == [older.code, newer.code]
    assert wishes[0]["days_waiting"] == 9


def test_feed_is_cacheable_public_json(client):
    response = client.get(FEED)

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=60"}
    assert response["Access-Control-Allow-Origin"] == "*"


def test_feed_writes_chinese_as_utf8_not_escapes(client):
    WishFactory(open=True, public_text="想要一套科普书")

    assert "想要一套科普书" in client.get(FEED).content.decode("utf-8")


def test_feed_is_read_only(client):
    assert client.post(FEED).status_code == 405
    assert client.head(FEED).status_code == 200


@pytest.mark.parametrize("role", ["anonymous", "sponsor", "unverified_sponsor", "staff"])
def test_feed_is_public(client_for, role):
    assert client_for(role).get(FEED).status_code == 200


def test_feed_takes_two_queries_however_many_wishes(client, django_assert_num_queries):
    for _ in range(5):
        WishFactory(open=True)

    # The page of open public wishes (allowlisted columns only), and their children for the
    # privacy guard.
    with django_assert_num_queries(2):
        client.get(FEED)


# --- pages -------------------------------------------------------------------------------------


def _walk(client, url: str = FEED) -> list[dict]:
    """Every document, following `next` from the first page to the last."""
    documents = []
    while url:
        response = client.get(url.removeprefix(settings.SITE_URL))
        assert response.status_code == 200, response.content
        documents.append(json.loads(response.content))
        url = documents[-1]["next"]
        assert len(documents) < 50, "the pages never end"
    return documents


def _waiting(count: int) -> list[Wish]:
    start = timezone.now() - datetime.timedelta(days=30)
    # Two wishes share each publication time: the cursor must still tell them apart.
    return [
        WishFactory(open=True, published_at=start + datetime.timedelta(hours=n // 2))
        for n in range(count)
    ]


def test_following_next_gives_every_open_wish_once_in_waiting_order(client):
    wishes = _waiting(7)

    documents = _walk(client, f"{FEED}?limit=3")

    assert [len(d["wishes"]) for d in documents] == [3, 3, 1]
    codes = [w["code"] for d in documents for w in d["wishes"]]
    assert codes == [w.code for w in sorted(wishes, key=lambda w: (w.published_at, w.pk))]
    assert documents[-1]["next"] is None
    assert all("limit=3" in d["next"] for d in documents[:-1])
    for document in documents:
        _validate(document)


def test_pages_are_at_most_page_size_by_default(client, monkeypatch):
    monkeypatch.setattr(feed, "PAGE_SIZE", 4)
    _waiting(9)

    documents = _walk(client)

    assert [len(d["wishes"]) for d in documents] == [4, 4, 1]
    assert "limit" not in documents[0]["next"]


def test_one_page_when_everything_fits(client):
    _waiting(2)

    assert _feed(client)["next"] is None


def test_a_deep_page_costs_what_the_first_does(client, django_assert_num_queries):
    _waiting(9)
    second = json.loads(client.get(f"{FEED}?limit=3").content)["next"]
    third = json.loads(client.get(second.removeprefix(settings.SITE_URL)).content)["next"]

    with django_assert_num_queries(2):
        client.get(third.removeprefix(settings.SITE_URL))


def test_a_wish_claimed_while_walking_is_left_out_and_nothing_repeats(client):
    wishes = _waiting(6)
    first = json.loads(client.get(f"{FEED}?limit=2").content)
    Wish.objects.filter(pk=wishes[3].pk).update(status=WishStatus.CLAIMED)

    rest = _walk(client, first["next"])

    codes = [w["code"] for w in first["wishes"]] + [w["code"] for d in rest for w in d["wishes"]]
    assert codes == [w.code for w in wishes if w != wishes[3]]


@pytest.mark.parametrize(
    "query",
    [
        "after=nonsense",
        "after=" + "A" * 2000,
        "after=%00",
        "after=%ff%fe",
        "after=MjAyNi0xMS0xNFQwMTozMDowMHw0Mg",  # a time without its zone
        "after=MjAyNi0xMS0xNFQwMTozMDowMCswMDowMHwtMQ",  # a negative id
        "limit=0",
        "limit=501",
        "limit=-1",
        "limit=1.5",
        "limit=abc",
        "limit=" + "9" * 400,
        "limit=%EF%BC%93",  # a full-width 3
    ],
)
def test_a_cursor_or_limit_it_cannot_read_is_a_clear_400(client, query):
    WishFactory(open=True)

    response = client.get(f"{FEED}?{query}", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert set(json.loads(response.content)) == {"error"}
    assert response["Access-Control-Allow-Origin"] == "*"


def test_the_error_is_in_the_readers_language(client):
    response = client.get(f"{FEED}?limit=0", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert "1" in json.loads(response.content)["error"]
    assert "页" in json.loads(response.content)["error"]


# --- conditional requests and the server's cache ------------------------------------------------


def test_an_unchanged_page_is_answered_304_to_its_etag(client):
    WishFactory(open=True)
    first = client.get(FEED)
    etag = first["ETag"]

    again = client.get(FEED, HTTP_IF_NONE_MATCH=etag)

    assert etag.startswith('"') and len(etag) > 10
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag


def test_a_changed_page_has_a_new_etag(client):
    WishFactory(open=True)
    etag = client.get(FEED)["ETag"]
    WishFactory(open=True)

    response = client.get(FEED, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag
    assert len(json.loads(response.content)["wishes"]) == 2


@pytest.fixture
def public_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"feed-{uuid.uuid4().hex}",
        }
    }
    settings.HUAMU_PUBLIC_CACHE = True


def test_each_page_is_kept_on_the_server_until_a_wish_changes(
    client, public_cache, django_assert_num_queries, django_capture_on_commit_callbacks
):
    _waiting(3)
    first = client.get(f"{FEED}?limit=2").content
    second_url = json.loads(first)["next"].removeprefix(settings.SITE_URL)
    client.get(second_url)

    with django_assert_num_queries(0):
        assert client.get(f"{FEED}?limit=2").content == first
        client.get(second_url)

    with django_capture_on_commit_callbacks(execute=True):
        WishFactory(open=True, published_at=timezone.now() - datetime.timedelta(days=90))
    assert client.get(f"{FEED}?limit=2").content != first


# --- the privacy guard on the way out ------------------------------------------------------------


def test_a_wish_whose_text_names_its_child_is_left_out(client, caplog):
    wishes = _waiting(4)
    named = wishes[1]
    # Written past the guard (a script, say): the feed is the last place to stop it.
    Wish.objects.filter(pk=named.pk).update(public_text=f"我是{named.child.real_name}，想要画笔")

    documents = _walk(client, f"{FEED}?limit=2")

    codes = [w["code"] for d in documents for w in d["wishes"]]
    assert codes == [w.code for w in wishes if w != named]
    assert named.child.real_name not in json.dumps(documents, ensure_ascii=False)
    assert named.code in caplog.text
    assert named.child.real_name not in caplog.text


# --- reading a claims file ---------------------------------------------------------------------


def _json(*claims: dict) -> bytes:
    return json.dumps({"version": "1.0", "claims": list(claims)}, ensure_ascii=False).encode()


def _csv(*lines: str, encoding: str = "utf-8") -> bytes:
    header = "wish_code,external_ref,claimant_name,claimed_on,promised_on"
    return "\r\n".join([header, *lines]).encode(encoding)


def test_reads_json_rows_in_order():
    rows = read_platform_claims(
        _json({"wish_code": "HM2026-00001", "external_ref": "A1", "claimant_name": CENTRE}),
        name="claims.json",
    )

    assert [(row.number, row.values["wish_code"], row.values["promised_on"]) for row in rows] == [
        (1, "HM2026-00001", "")
    ]


def test_reads_a_bare_json_list():
    data = json.dumps([{"wish_code": "HM2026-00001"}]).encode()

    assert read_platform_claims(data, name="x.JSON")[0].values["wish_code"] == "HM2026-00001"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_reads_csv_as_excel_saves_it(encoding):
    data = _csv(f"HM2026-00001,A1,{CENTRE},2026/11/3,", "", encoding=encoding)

    (row,) = read_platform_claims(data, name="claims.csv")

    assert row.number == 2
    assert row.values["claimant_name"] == CENTRE
    assert row.values["claimed_on"] == "2026/11/3"


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"{not json", "claims.json", "not valid JSON"),
        (b'{"version": "2.0", "claims": []}', "claims.json", "version 1"),
        (b'{"claims": "x"}', "claims.json", "list of claims"),
        (b"[]", "claims.json", "no claims"),
        (b"wish_code,claimant_name\nHM1,x\n", "claims.csv", "external_ref, claimed_on"),
        (b"x", "claims.xlsx", ".json or .csv"),
    ],
)
def test_unreadable_files_are_refused_whole(data, name, message):
    with translation.override("en"), pytest.raises(PlatformFileError, match=message):
        read_platform_claims(data, name=name)


def test_a_file_too_large_is_refused(settings):
    with pytest.raises(PlatformFileError):
        read_platform_claims(b" " * 2_000_001, name="claims.json")


# --- recording platform claims -----------------------------------------------------------------


@pytest.fixture
def centre(db) -> Sponsor:
    """The practice sub-centre of Beicai, added and verified by staff as a caring unit."""
    return SponsorFactory(
        verified=True,
        name=CENTRE,
        unit_category=UnitCategory.COMMUNITY_ORGANISATION,
        region=RegionFactory(name="北蔡镇"),
    )


def _days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


# A wish published 30 days ago, claimed on the platform 20 days ago, due in 10 days.
PUBLISHED = timezone.now() - datetime.timedelta(days=30)
CLAIMED_ON = str(_days(-20))
PROMISED_ON = str(_days(10))


def _published(**kwargs) -> Wish:
    return WishFactory(open=True, published_at=PUBLISHED, **kwargs)


@pytest.fixture
def published_wish(db) -> Wish:
    """An open wish published 30 days ago."""
    return _published()


def _row(wish: Wish | str, ref: str = "SH-0001", **fields) -> dict:
    return {
        "wish_code": wish if isinstance(wish, str) else wish.code,
        "external_ref": ref,
        "claimant_name": CENTRE,
        "claimed_on": CLAIMED_ON,
        "promised_on": PROMISED_ON,
        **fields,
    }


def _import(*rows: dict, by=None):
    return import_platform_claims(rows=read_platform_claims(_json(*rows), name="c.json"), by=by)


def test_a_platform_claim_is_recorded_with_its_channel_and_reference(
    centre, published_wish, staff
):
    report = _import(_row(published_wish), by=staff)

    (result,) = report.results
    assert result.outcome == Outcome.CREATED
    claim = Claim.objects.get(pk=result.claim_id)
    assert (claim.wish, claim.sponsor, claim.status) == (published_wish, centre, "active")
    assert claim.channel == ClaimChannel.CITY_PLATFORM
    assert (claim.external_ref, claim.claimant_name) == ("SH-0001", CENTRE)
    assert claim.promised_on == _days(10)
    assert claim.claimed_by == staff
    published_wish.refresh_from_db()
    assert published_wish.status == WishStatus.CLAIMED
    assert StatusChange.objects.filter(object_id=claim.pk, to_status="active", by=staff).exists()


def test_a_platform_claim_dates_from_its_day_on_the_platform(centre, published_wish):
    claim_id = _import(_row(published_wish)).results[0].claim_id

    created = Claim.objects.get(pk=claim_id).created_at
    assert timezone.localtime(created).date() == _days(-20)


def test_importing_the_same_file_again_records_nothing_new(centre, published_wish):
    rows = [_row(published_wish), _row(_published(), ref="SH-0002")]
    _import(*rows)

    again = _import(*rows)

    assert [r.outcome for r in again.results] == [Outcome.ALREADY_RECORDED] * 2
    assert Claim.objects.count() == 2
    assert again.refused == 0


def test_the_same_reference_twice_in_one_file_is_recorded_once(centre, published_wish):
    report = _import(_row(published_wish), _row(published_wish))

    assert [r.outcome for r in report.results] == [Outcome.CREATED, Outcome.ALREADY_RECORDED]


def test_the_promised_date_may_be_left_out(centre, published_wish):
    claim_id = _import(_row(published_wish, promised_on="")).results[0].claim_id

    assert Claim.objects.get(pk=claim_id).promised_on is None


def test_each_row_stands_alone(centre, published_wish):
    report = _import(_row("HM2026-99999"), _row(published_wish, ref="SH-0002"))

    assert [r.outcome for r in report.results] == [Outcome.REFUSED, Outcome.CREATED]
    assert (report.created, report.already_recorded, report.refused) == (1, 0, 1)


@pytest.fixture
def refusals(centre, published_wish) -> dict:
    """One row for each reason a platform claim is refused."""
    claimed = ClaimFactory(wish__published_at=PUBLISHED).wish
    fulfilled = WishFactory(status=WishStatus.FULFILLED, published_at=PUBLISHED)
    ClaimFactory(
        wish=WishFactory(open=True),
        channel=ClaimChannel.CITY_PLATFORM,
        external_ref="SH-TAKEN",
        claimant_name=CENTRE,
        sponsor=centre,
        status=ClaimStatus.CANCELLED,
        cancel_reason="测试",
    )
    SponsorFactory(name="待审核中心")
    SponsorFactory(verified=True, individual=True, name="爱心人士")
    return {
        "unknown wish": (_row("HM2026-99999", "R1"), "no wish HM2026-99999"),
        "claimed wish": (_row(claimed, "R2"), "has just been claimed"),
        "fulfilled wish": (_row(fulfilled, "R3"), "not waiting to be claimed"),
        "draft wish": (_row(WishFactory(), "R4"), "not waiting to be claimed"),
        "unknown sponsor": (
            _row(published_wish, "R5", claimant_name="不存在的中心"),
            "No caring unit is named 不存在的中心",
        ),
        "unverified sponsor": (
            _row(published_wish, "R6", claimant_name="待审核中心"),
            "Only verified sponsors",
        ),
        "individual": (
            _row(published_wish, "R7", claimant_name="爱心人士"),
            "No caring unit is named",
        ),
        "reference of another wish": (
            _row(published_wish, "SH-TAKEN"),
            "already recorded for wish",
        ),
        "missing fields": (
            _row(published_wish, "", claimant_name="", claimed_on=""),
            "Missing: Platform reference, Claimant, Claimed on",
        ),
        "bad date": (_row(published_wish, "R8", claimed_on="3 Nov"), "not a date"),
        "future claim": (_row(published_wish, "R9", claimed_on=str(_days(1))), "future"),
        "before publication": (
            _row(published_wish, "R10", claimed_on=str(_days(-31))),
            "before the wish was published",
        ),
        "promised before claimed": (
            _row(published_wish, "R11", promised_on=str(_days(-21))),
            "promised date is before",
        ),
        "reference too long": (_row(published_wish, "R" * 65), "too long"),
    }


@pytest.mark.parametrize(
    "reason",
    [
        "unknown wish",
        "claimed wish",
        "fulfilled wish",
        "draft wish",
        "unknown sponsor",
        "unverified sponsor",
        "individual",
        "reference of another wish",
        "missing fields",
        "bad date",
        "future claim",
        "before publication",
        "promised before claimed",
        "reference too long",
    ],
)
def test_a_row_is_refused_with_its_reason(refusals, reason):
    row, message = refusals[reason]
    claims_before = Claim.objects.count()

    with translation.override("en"):
        (result,) = _import(row).results

    assert result.outcome == Outcome.REFUSED
    assert message in result.message
    assert Claim.objects.count() == claims_before


def test_two_units_of_the_same_name_are_refused(centre, published_wish):
    SponsorFactory(verified=True, name=CENTRE)

    (result,) = _import(_row(published_wish)).results

    assert result.outcome == Outcome.REFUSED
    assert Claim.objects.count() == 0


# --- the command -------------------------------------------------------------------------------


def _file(tmp_path: Path, data: bytes, name: str = "claims.json") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_command_records_the_claims_and_reports_each_row(centre, published_wish, tmp_path, capsys):
    call_command("import_platform_claims", _file(tmp_path, _json(_row(published_wish))))

    out = capsys.readouterr().out
    assert published_wish.code in out
    assert "SH-0001" in out
    assert Claim.objects.filter(channel=ClaimChannel.CITY_PLATFORM).count() == 1


def test_command_reads_csv(centre, published_wish, tmp_path):
    data = _csv(f"{published_wish.code},SH-9,{CENTRE},{CLAIMED_ON},")

    call_command("import_platform_claims", _file(tmp_path, data, "claims.csv"))

    assert Claim.objects.get().external_ref == "SH-9"


def test_command_fails_when_a_row_is_refused_but_keeps_the_others(
    centre, published_wish, tmp_path
):
    data = _json(_row("HM2026-99999", "X1"), _row(published_wish))

    with translation.override("en"), pytest.raises(CommandError, match="1 refused"):
        call_command("import_platform_claims", _file(tmp_path, data))

    assert Claim.objects.get().wish == published_wish


def test_command_run_twice_records_once_and_succeeds(centre, published_wish, tmp_path):
    path = _file(tmp_path, _json(_row(published_wish)))
    call_command("import_platform_claims", path)

    call_command("import_platform_claims", path)

    assert Claim.objects.count() == 1


def test_command_records_who_ran_it(centre, published_wish, tmp_path, staff):
    call_command(
        "import_platform_claims", _file(tmp_path, _json(_row(published_wish))), by="staff"
    )

    assert Claim.objects.get().claimed_by == staff


@pytest.mark.parametrize(
    "args",
    [
        ["/nonexistent/claims.json"],
        ["claims.json", "--by", "nobody"],
    ],
)
def test_command_refuses_a_missing_file_or_user(db, args):
    with pytest.raises(CommandError):
        call_command("import_platform_claims", *args)


def test_command_refuses_an_unreadable_file(db, tmp_path):
    with pytest.raises(CommandError, match="JSON"):
        call_command("import_platform_claims", _file(tmp_path, b"{oops"))


# --- the back-office upload --------------------------------------------------------------------

UPLOAD = reverse("admin:wishes_claim_import_platform")


@pytest.mark.parametrize(
    "role, status",
    [
        ("staff", 200),
        ("superuser", 200),
        ("bare_staff", 403),
        ("sponsor", 302),
        ("coordinator", 302),
        ("plain_user", 302),
        ("anonymous", 302),
    ],
)
def test_upload_page_is_for_staff_who_may_add_claims(client_for, bare_staff, role, status):
    assert client_for(role).get(UPLOAD).status_code == status


def test_upload_records_the_claims_and_shows_each_row(client_for, centre, published_wish, staff):
    upload = SimpleUploadedFile(
        "claims.json", _json(_row(published_wish), _row("HM2026-9", "SH-0002"))
    )

    response = client_for("staff").post(UPLOAD, {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "1 recorded, 0 already recorded, 1 refused." in response.text
    assert "There is no wish HM2026-9." in response.text
    assert Claim.objects.get().claimed_by == staff


def test_upload_of_an_unreadable_file_shows_the_error(client_for, db):
    upload = SimpleUploadedFile("claims.csv", b"foo,bar\n1,2\n")

    response = client_for("staff").post(UPLOAD, {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "lacks the columns" in response.text
    assert Claim.objects.count() == 0


def test_upload_is_refused_without_the_right_to_add_claims(client_for, bare_staff, centre):
    wish = WishFactory(open=True)
    upload = SimpleUploadedFile("claims.json", _json(_row(wish)))

    response = client_for("bare_staff").post(UPLOAD, {"file": upload})

    assert response.status_code == 403
    assert Claim.objects.count() == 0


def test_claims_list_links_to_the_upload_for_staff_only(client_for, bare_staff):
    bare_staff.user_permissions.add(Permission.objects.get(codename="view_claim"))
    changelist = reverse("admin:wishes_claim_changelist")

    assert UPLOAD in client_for("staff").get(changelist).text
    assert UPLOAD not in client_for("bare_staff").get(changelist).text


def test_upload_error_note_is_in_chinese(client_for, db):
    # The page shares the back-office form rows (admin/includes/huamu_form_fields.html).
    upload = SimpleUploadedFile("claims.csv", b"foo,bar\n1,2\n")

    response = client_for("staff").post(UPLOAD, {"file": upload}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 200
    assert "请更正以下错误。" in response.text
    assert "Please correct" not in response.text
