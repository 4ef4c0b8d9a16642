"""Every read of a child's private data is in the access log: who, what, when, which children.

The walk below opens each page that shows a private field of a child, as the role allowed to
see it, and finds exactly one new row naming the user, the action and the child. Refused and
missing requests leave none; staff filter the log by child and by user; a logged list costs
the same queries for few rows or many.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    CampaignFactory,
    ChildFactory,
    ClaimFactory,
    ConsentFactory,
    FulfilmentFactory,
    FulfilmentPhotoFactory,
    ThankYouLetterFactory,
    WishFactory,
)
from tests.wishes.importing.files import good_row, xlsx_bytes
from wishes.importing import children as importing
from wishes.models import (
    AccessAction,
    AccessLog,
    Campaign,
    Child,
    Consent,
    Fulfilment,
    FulfilmentPhoto,
    ImportBatch,
    School,
    ThankYouLetter,
    Wish,
)
from wishes.privacy.access_log import log_access

pytestmark = pytest.mark.django_db

REAL_NAME = "林小雨"
GUARDIAN = "林大山"
CHILD_WORDS = "我叫林小雨，想要一个天文望远镜"
LETTER_TEXT = "谢谢叔叔阿姨，林小雨会好好学习"


@dataclass
class World:
    child: Child
    consent: Consent
    wish: Wish
    fulfilment: Fulfilment
    photo: FulfilmentPhoto
    letter: ThankYouLetter
    open_wish: Wish
    campaign: Campaign
    batch: ImportBatch
    school: School


@pytest.fixture
def world(school, staff) -> World:
    """A child of `school` with a consent, a claimed wish, an earlier fulfilled wish with a
    photo and a letter; another child's open wish; a checked spreadsheet import."""
    campaign = CampaignFactory(year=2026)
    child = ChildFactory(school=school, real_name=REAL_NAME, guardian_name=GUARDIAN)
    consent = ConsentFactory(child=child, given_by=GUARDIAN)
    wish = ClaimFactory(
        wish__child=child, wish__campaign=campaign, wish__child_words=CHILD_WORDS
    ).wish
    fulfilment = FulfilmentFactory(
        claim__wish__child=child, claim__wish__campaign=CampaignFactory(year=2025)
    )
    photo = FulfilmentPhotoFactory(fulfilment=fulfilment)
    letter = ThankYouLetterFactory(fulfilment=fulfilment, scanned=True, transcription=LETTER_TEXT)
    open_wish = WishFactory(open=True, campaign=campaign, child__school=school)
    batch = ImportBatch(original_name="名单.xlsx", campaign=campaign, created_by=staff)
    batch.file.save("import.xlsx", _spreadsheet(), save=False)
    batch.save()
    importing.check_batch(batch_id=batch.pk)
    return World(
        child, consent, wish, fulfilment, photo, letter, open_wish, campaign, batch, school
    )


def _spreadsheet() -> ContentFile:
    return ContentFile(xlsx_bytes([good_row()]))


def admin_action(changelist: str, action: str, objects: Callable[[World], list]):
    """POST an admin action on the chosen objects, as the list's Run button does."""

    def send(client: Client, world: World):
        data = {
            "action": action,
            "index": "0",
            "select_across": "0",
            "_selected_action": [str(obj.pk) for obj in objects(world)],
        }
        return client.post(reverse(changelist), data)

    return send


def get(name: str, key: Callable[[World], Model] | None = None, query: str = ""):
    def send(client: Client, world: World):
        url = reverse(name, args=[key(world).pk] if key else [])
        return client.get(url + query)

    return send


@dataclass(frozen=True)
class Read:
    """A page that shows a child's private data, and the row it must leave."""

    role: str
    send: Callable[[Client, World], object]
    action: AccessAction
    # The record read, or the model of a page about many.
    subject: Callable[[World], Model | type[Model]]
    # The child the row must name; None when the page shows no child on record yet.
    child: Callable[[World], Child] | None
    # A private value the page shows, to be sure it is such a page (None for files).
    shows: str | None = None


def _child(w: World) -> Child:
    return w.child


READS = {
    "admin children list": Read(
        "staff",
        get("admin:wishes_child_changelist"),
        AccessAction.LIST_CHILDREN,
        lambda w: Child,
        _child,
        REAL_NAME,
    ),
    "admin child page": Read(
        "staff",
        get("admin:wishes_child_change", _child),
        AccessAction.VIEW_CHILD,
        _child,
        _child,
        GUARDIAN,
    ),
    "admin consents list": Read(
        "staff",
        get("admin:wishes_consent_changelist"),
        AccessAction.LIST_CONSENTS,
        lambda w: Consent,
        _child,
        GUARDIAN,
    ),
    "admin consent page": Read(
        "staff",
        get("admin:wishes_consent_change", lambda w: w.consent),
        AccessAction.VIEW_CONSENT,
        lambda w: w.consent,
        _child,
        GUARDIAN,
    ),
    "admin wishes list": Read(
        "staff",
        get("admin:wishes_wish_changelist"),
        AccessAction.LIST_WISHES,
        lambda w: Wish,
        _child,
        "花木中心小学",
    ),
    "admin wish page": Read(
        "staff",
        get("admin:wishes_wish_change", lambda w: w.wish),
        AccessAction.VIEW_WISH,
        lambda w: w.wish,
        _child,
        CHILD_WORDS,
    ),
    "admin letter page": Read(
        "staff",
        get("admin:wishes_thankyouletter_change", lambda w: w.letter),
        AccessAction.VIEW_LETTER,
        lambda w: w.letter,
        _child,
        LETTER_TEXT,
    ),
    "school overview": Read(
        "coordinator",
        get("school:overview"),
        AccessAction.LIST_CHILDREN,
        lambda w: w.school,
        _child,
        REAL_NAME,
    ),
    "school overview for staff": Read(
        "staff",
        lambda c, w: c.get(reverse("school:overview") + f"?school={w.school.pk}"),
        AccessAction.LIST_CHILDREN,
        lambda w: w.school,
        _child,
        REAL_NAME,
    ),
    "school child page": Read(
        "coordinator",
        get("school:child", _child),
        AccessAction.VIEW_CHILD,
        _child,
        _child,
        GUARDIAN,
    ),
    "school fulfilment roster": Read(
        "coordinator",
        get("school:fulfil"),
        AccessAction.LIST_WISHES,
        lambda w: w.school,
        _child,
        REAL_NAME,
    ),
    "school photos page": Read(
        "coordinator",
        get("school:photos", lambda w: w.fulfilment),
        AccessAction.VIEW_FULFILMENT,
        lambda w: w.fulfilment,
        _child,
        REAL_NAME,
    ),
    "school letter page": Read(
        "coordinator",
        get("school:letter", lambda w: w.fulfilment),
        AccessAction.VIEW_FULFILMENT,
        lambda w: w.fulfilment,
        _child,
        REAL_NAME,
    ),
    "photo file": Read(
        "staff",
        get("files:photo", lambda w: w.photo),
        AccessAction.VIEW_PHOTO,
        lambda w: w.photo,
        _child,
    ),
    "letter scan": Read(
        "coordinator",
        get("files:letter_scan", lambda w: w.letter),
        AccessAction.VIEW_LETTER,
        lambda w: w.letter,
        _child,
    ),
    "campaign export": Read(
        "staff",
        admin_action(
            "admin:wishes_campaign_changelist", "export_campaign", lambda w: [w.campaign]
        ),
        AccessAction.EXPORT_CAMPAIGN,
        lambda w: w.campaign,
        _child,
    ),
    "wish cards": Read(
        "staff",
        admin_action("admin:wishes_wish_changelist", "print_wish_cards", lambda w: [w.open_wish]),
        AccessAction.PRINT_CARDS,
        lambda w: Wish,
        lambda w: w.open_wish.child,
    ),
    "import preview": Read(
        "staff",
        get("admin:wishes_importbatch_preview", lambda w: w.batch),
        AccessAction.PREVIEW_IMPORT,
        lambda w: w.batch,
        None,
        "花木中心小学",
    ),
    "import file": Read(
        "staff",
        get("admin:wishes_importbatch_file", lambda w: w.batch),
        AccessAction.IMPORT_FILE,
        lambda w: w.batch,
        None,
    ),
}


@pytest.mark.parametrize("page", READS)
def test_every_page_showing_a_childs_private_data_leaves_one_row(page, world, client_for, request):
    read = READS[page]
    client = client_for(read.role)
    user = request.getfixturevalue(read.role)

    response = read.send(client, world)

    assert response.status_code == 200
    if read.shows is not None:
        assert read.shows in response.content.decode()
    [log] = AccessLog.objects.all()
    assert (log.user, log.action) == (user, read.action)
    subject = read.subject(world)
    assert log.content_type == ContentType.objects.get_for_model(subject)
    assert log.object_id == (subject.pk if isinstance(subject, Model) else None)
    children = set(log.children.values_list("pk", flat=True))
    if read.child is None:
        assert children == set()
    else:
        assert read.child(world).pk in children
    # The row itself names nobody: ids, the action, the address.
    for value in AccessLog.objects.values().get().values():
        assert REAL_NAME not in str(value)


def test_a_list_page_names_exactly_the_children_on_that_page(client_for, world):
    others = [ChildFactory(school=world.school) for _ in range(3)]
    client = client_for("staff")

    client.get(reverse("admin:wishes_child_changelist") + f"?school__id__exact={world.school.pk}")

    log = AccessLog.objects.get()
    shown = {world.child.pk, world.open_wish.child_id, *(c.pk for c in others)}
    assert set(log.children.values_list("pk", flat=True)) == shown


def test_a_second_page_of_the_list_names_only_its_own_children(client_for, world, monkeypatch):
    from wishes.admin import ChildAdmin

    monkeypatch.setattr(ChildAdmin, "list_per_page", 1)
    client = client_for("staff")
    first = client.get(reverse("admin:wishes_child_changelist"))
    second = client.get(reverse("admin:wishes_child_changelist") + "?p=2")

    assert first.status_code == second.status_code == 200
    pages = [set(log.children.values_list("pk", flat=True)) for log in AccessLog.objects.all()]
    assert [len(children) for children in pages] == [1, 1]
    assert pages[0] != pages[1]


# --- what leaves no row ------------------------------------------------------------------------


REFUSED = [
    ("sponsor", get("admin:wishes_child_changelist"), 302),
    ("coordinator", get("admin:wishes_child_change", _child), 302),
    ("bare_staff", get("admin:wishes_child_changelist"), 403),
    ("bare_staff", get("admin:wishes_consent_change", lambda w: w.consent), 403),
    ("plain_user", get("school:overview"), 403),
    ("other_coordinator", get("school:child", _child), 404),
    ("other_coordinator", get("school:photos", lambda w: w.fulfilment), 404),
    ("other_coordinator", get("school:letter", lambda w: w.fulfilment), 404),
    ("other_coordinator", get("files:letter_scan", lambda w: w.letter), 404),
    ("sponsor", get("files:letter_scan", lambda w: w.letter), 404),
    ("sponsor", get("admin:wishes_importbatch_preview", lambda w: w.batch), 302),
    ("bare_staff", get("admin:wishes_importbatch_preview", lambda w: w.batch), 403),
    (
        "sponsor",
        admin_action(
            "admin:wishes_campaign_changelist", "export_campaign", lambda w: [w.campaign]
        ),
        302,
    ),
]


@pytest.mark.parametrize("role, send, status", REFUSED)
def test_a_refused_request_leaves_no_row(role, send, status, world, client_for):
    assert send(client_for(role), world).status_code == status
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        lambda w: reverse("admin:wishes_child_change", args=[999999]),
        lambda w: reverse("admin:wishes_child_changelist") + "?no_such_field=1",
        lambda w: reverse("school:child", args=[999999]),
        lambda w: reverse("school:overview") + "?school=999999",
        lambda w: reverse("admin:wishes_importbatch_preview", args=[999999]),
    ],
)
def test_a_missing_record_or_bad_filter_leaves_no_row(url, world, client_for):
    assert client_for("staff").get(url(world)).status_code in (302, 404)
    assert not AccessLog.objects.exists()


def test_saving_a_record_or_running_an_action_is_not_a_read(client_for, world):
    client = client_for("staff")
    response = admin_action(
        "admin:wishes_wish_changelist", "publish", lambda w: [WishFactory(child=w.child)]
    )(client, world)
    assert response.status_code == 302
    # A download from the list is logged as what it is, not as a look at the list.
    admin_action("admin:wishes_wish_changelist", "print_wish_cards", lambda w: [w.open_wish])(
        client, world
    )
    assert list(AccessLog.objects.values_list("action", flat=True)) == [AccessAction.PRINT_CARDS]


def test_staff_picking_a_school_have_read_nothing_yet(client_for, world):
    response = client_for("staff").get(reverse("school:overview"))
    assert response.status_code == 200
    assert REAL_NAME not in response.content.decode()
    assert not AccessLog.objects.exists()


# --- staff read the log ------------------------------------------------------------------------


ACCESS_LOG = "admin:wishes_accesslog_changelist"


@pytest.fixture
def two_readers(world, client_for, school):
    """Staff read the child and another child; the coordinator reads the first child."""
    other = ChildFactory(school=school, real_name="周小舟", alias="小舟同学")
    staff = client_for("staff")
    staff.get(reverse("admin:wishes_child_change", args=[world.child.pk]))
    staff.get(reverse("admin:wishes_child_change", args=[other.pk]))
    client_for("coordinator").get(reverse("school:child", args=[world.child.pk]))
    return other


def test_staff_filter_the_log_by_child(client_for, world, two_readers):
    response = client_for("staff").get(
        reverse(ACCESS_LOG) + f"?children__id__exact={world.child.pk}"
    )

    rows = list(response.context["cl"].result_list)
    assert len(rows) == 2
    assert all(world.child in row.children.all() for row in rows)
    assert {row.user.username for row in rows} == {"staff", "coordinator"}
    # The sidebar offers the children in the log by alias, never by name.
    html = response.content.decode()
    assert str(two_readers) in html
    assert REAL_NAME not in html


def test_staff_filter_the_log_by_user(client_for, coordinator, world, two_readers):
    response = client_for("staff").get(reverse(ACCESS_LOG) + f"?user__id__exact={coordinator.pk}")

    [row] = response.context["cl"].result_list
    assert row.user == coordinator
    assert row.action == AccessAction.VIEW_CHILD


def test_the_log_counts_all_children_of_a_row_also_when_filtered_by_one(client_for, world):
    client = client_for("staff")
    client.get(reverse("admin:wishes_child_changelist"))
    expected = AccessLog.objects.get().children.count()
    assert expected >= 2

    response = client.get(reverse(ACCESS_LOG) + f"?children__id__exact={world.child.pk}")

    [row] = response.context["cl"].result_list
    assert row.children_count == expected


def test_the_log_is_read_by_action_and_child_alias_too(client_for, world, two_readers):
    client = client_for("staff")
    by_action = client.get(reverse(ACCESS_LOG), {"action__exact": AccessAction.VIEW_CHILD})
    assert by_action.context["cl"].result_count == 3
    by_alias = client.get(reverse(ACCESS_LOG), {"q": two_readers.alias})
    [row] = by_alias.context["cl"].result_list
    assert list(row.children.all()) == [two_readers]


def test_a_childs_page_links_to_its_rows_in_the_log(client_for, world):
    html = client_for("staff").get(reverse("admin:wishes_child_change", args=[world.child.pk]))
    link = reverse(ACCESS_LOG) + f"?children__id__exact={world.child.pk}"
    assert link in html.content.decode()


def test_a_row_cannot_be_changed_in_the_admin(client_for, world, two_readers):
    client = client_for("staff")
    row = AccessLog.objects.first()
    url = reverse("admin:wishes_accesslog_change", args=[row.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"path": "/changed/"}).status_code == 403
    row.refresh_from_db()
    assert row.path != "/changed/"


# --- cost ---------------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "changelist, add_one",
    [
        ("admin:wishes_child_changelist", lambda school: ChildFactory(school=school)),
        ("admin:wishes_consent_changelist", lambda school: ConsentFactory(child__school=school)),
        ("admin:wishes_wish_changelist", lambda school: WishFactory(child__school=school)),
    ],
)
def test_a_logged_list_costs_the_same_queries_for_few_rows_or_many(
    changelist, add_one, client_for, school
):
    client = client_for("staff")
    add_one(school)
    url = reverse(changelist)
    # Content types and the session warm up on a first look.
    _queries(client, url)
    few = _queries(client, url)
    for _ in range(20):
        add_one(school)
    many = _queries(client, url)

    assert many == few
    last = AccessLog.objects.order_by("pk").last()
    assert last.children.count() == 21


# --- the helper and the rows written before ------------------------------------------------------


def test_the_helper_names_given_children_once_each(rf, staff, world):
    request = rf.get("/somewhere/")
    request.user = staff
    log = log_access(
        request,
        action=AccessAction.LIST_CHILDREN,
        subject=Child,
        children=[world.child.pk, world.child.pk, world.open_wish.child_id],
    )
    assert log.object_id is None
    assert set(log.children.values_list("pk", flat=True)) == {
        world.child.pk,
        world.open_wish.child_id,
    }


def test_rows_written_before_the_migration_get_their_child(world):
    migration = importlib.import_module("wishes.migrations.0008_access_log_reads")
    kinds = {model: ContentType.objects.get_for_model(model) for model in (Child, FulfilmentPhoto)}
    rows = [
        AccessLog.objects.create(
            action=AccessAction.VIEW_CHILD, content_type=kinds[Child], object_id=world.child.pk
        ),
        AccessLog.objects.create(
            action=AccessAction.VIEW_PHOTO,
            content_type=kinds[FulfilmentPhoto],
            object_id=world.photo.pk,
        ),
    ]

    migration.name_the_children(apps, None)

    for row in rows:
        assert list(row.children.all()) == [world.child]
