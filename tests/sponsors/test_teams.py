"""A unit's team through its pages: invitations, join requests, members, handing claims on."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from huamu.errors import TransitionError
from sponsors import teams
from sponsors.models import (
    InviteStatus,
    JoinRequest,
    JoinStatus,
    MemberRole,
    SponsorMember,
    TeamInvite,
)
from tests.factories import (
    PASSWORD,
    ClaimFactory,
    SponsorFactory,
    SponsorMemberFactory,
    UserFactory,
    WishFactory,
)
from wishes.models import Claim, StatusChange

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # The services' refusals are read in English here (conftest resets the language after).
    translation.activate("en")


def english_client(user=None) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        assert client.login(username=user.username, password=PASSWORD)
    return client


def changes_of(record) -> list[tuple[str, str]]:
    rows = StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    ).order_by("at", "id")
    return [(row.from_status, row.to_status) for row in rows]


@pytest.fixture
def unit(sponsor):
    """The verified unit of the `sponsor` fixture, whose user is its administrator."""
    return sponsor.sponsor_member.sponsor


@pytest.fixture
def colleague_member(unit):
    """A plain member of the same unit, named 王小明."""
    return SponsorMemberFactory(
        user__username="colleague", user__first_name="王小明", sponsor=unit, role=MemberRole.MEMBER
    )


@pytest.fixture
def invite(unit, sponsor):
    return teams.create_invite(sponsor_id=unit.pk, by=sponsor)


def test_membership_from_invitation_to_handing_the_role_on(
    sponsor, unit, django_capture_on_commit_callbacks, mailoutbox
):
    admin = english_client(sponsor)
    # The administrator makes an invitation and gets its link and QR code.
    response = admin.post(reverse("sponsors:create_invite"), {"days": "7", "note": "小王"})
    invite = TeamInvite.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("sponsors:invite", args=[invite.pk])
    page = admin.get(response.url)
    assert f"/sponsor/join/{invite.token}/" in page.text
    assert "<svg" in page.text
    assert invite.expires_at - timezone.now() > datetime.timedelta(days=6, hours=23)

    # A colleague opens it on their phone, signs up there and so sends the request.
    colleague = english_client()
    join_page = colleague.get(reverse("sponsors:join", args=[invite.token]))
    assert "上海科技馆" in join_page.text
    assert reverse("sponsors:join_signup", args=[invite.token]) in join_page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = colleague.post(
            reverse("sponsors:join_signup", args=[invite.token]),
            {
                "name": "王小明",
                "username": "xiaoming",
                "email": "xiaoming@example.org",
                "password1": "a-long-pass-2026",
                "password2": "a-long-pass-2026",
            },
        )
    assert response.status_code == 200
    assert "Request sent" in response.text
    join = JoinRequest.objects.get()
    assert (join.user.username, join.user.first_name, join.status) == (
        "xiaoming",
        "王小明",
        JoinStatus.PENDING,
    )
    assert [m.to for m in mailoutbox] == [[sponsor.email]]
    assert "王小明" in mailoutbox[0].subject
    # Not a member yet: the sponsor pages stay closed.
    assert colleague.get(reverse("sponsors:dashboard")).status_code == 403

    # The administrator sees the request and approves it.
    assert "王小明" in admin.get(reverse("sponsors:team")).text
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("sponsors:answer_request", args=[join.pk, "approve"]))
    assert mailoutbox[-1].to == ["xiaoming@example.org"]
    assert "上海科技馆" in mailoutbox[-1].subject
    member = SponsorMember.objects.get(user=join.user)
    assert (member.sponsor, member.role) == (unit, MemberRole.MEMBER)
    join.refresh_from_db()
    assert join.status == JoinStatus.APPROVED
    assert join.decided_by == sponsor

    # The new member claims a wish for the unit and is recorded as the one who fulfils it.
    wish = WishFactory(open=True)
    promised = (timezone.localdate() + datetime.timedelta(days=20)).isoformat()
    colleague.post(reverse("wishes:claim", args=[wish.pk]), {"promised_on": promised})
    claim = Claim.objects.get(wish=wish)
    assert (claim.sponsor, claim.member) == (unit, join.user)
    dashboard = colleague.get(reverse("sponsors:dashboard"))
    assert "王小明" in dashboard.text
    mine = colleague.get(reverse("sponsors:team")).text.split("Wishes you fulfil")[1]
    assert wish.code in mine.split("</section>")[0]

    # The administrator hands it to themself, then passes the administrator role on.
    own = sponsor.sponsor_member
    admin.post(reverse("sponsors:reassign_claim", args=[claim.pk]), {"member": own.pk})
    claim.refresh_from_db()
    assert claim.member == sponsor
    assert changes_of(claim)[-1] == ("active", "active")
    admin.post(reverse("sponsors:change_member", args=[member.pk, "pass"]))
    member.refresh_from_db()
    own.refresh_from_db()
    assert (member.role, own.role) == (MemberRole.ADMINISTRATOR, MemberRole.MEMBER)

    # The former administrator may no longer manage the team; the new one removes them.
    response = admin.post(reverse("sponsors:change_member", args=[member.pk, "remove"]))
    assert response.status_code == 403
    colleague.post(reverse("sponsors:change_member", args=[own.pk, "remove"]))
    own.refresh_from_db()
    assert own.role == MemberRole.REMOVED
    assert admin.get(reverse("sponsors:dashboard")).status_code == 403

    # Every step is in the audit trail.
    assert changes_of(invite) == [("", "active"), ("active", "used")]
    assert changes_of(join) == [("", "pending"), ("pending", "approved")]
    assert changes_of(member) == [("", "member"), ("member", "administrator")]
    assert changes_of(own) == [("administrator", "member"), ("member", "removed")]


def test_a_logged_in_user_asks_to_join_and_is_refused(sponsor, unit, invite):
    user = UserFactory(username="visitor")
    client = english_client(user)
    response = client.post(reverse("sponsors:join", args=[invite.token]))
    assert "Request sent" in response.text
    join = JoinRequest.objects.get(user=user)
    english_client(sponsor).post(reverse("sponsors:answer_request", args=[join.pk, "refuse"]))
    join.refresh_from_db()
    assert join.status == JoinStatus.REFUSED
    assert not SponsorMember.objects.filter(user=user).exists()


def test_anonymous_post_to_an_invitation_goes_to_the_login(invite):
    response = english_client().post(reverse("sponsors:join", args=[invite.token]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not JoinRequest.objects.exists()


def test_expired_revoked_and_used_invitations_are_refused_with_a_reason(sponsor, unit):
    expired = teams.create_invite(sponsor_id=unit.pk, by=sponsor, days=1)
    TeamInvite.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    revoked = teams.create_invite(sponsor_id=unit.pk, by=sponsor)
    english_client(sponsor).post(reverse("sponsors:revoke_invite", args=[revoked.pk]))
    used = teams.create_invite(sponsor_id=unit.pk, by=sponsor)
    teams.request_to_join(token=used.token, user=UserFactory())
    client = english_client(UserFactory(username="late"))

    expected = {
        expired.token: "This invitation expired on",
        revoked.token: "This invitation was withdrawn by 上海科技馆",
        used.token: "This invitation has already been used",
        "no-such-token": "This invitation link is not valid",
    }
    for token, message in expected.items():
        for url in (
            reverse("sponsors:join", args=[token]),
            reverse("sponsors:join_signup", args=[token]),
        ):
            response = client.get(url)
            assert response.status_code == 410
            assert message in response.text
        response = client.post(reverse("sponsors:join", args=[token]))
        assert message in response.text
    assert JoinRequest.objects.count() == 1
    assert changes_of(revoked) == [("", "active"), ("active", "revoked")]


def test_a_refused_sign_up_through_an_invitation_leaves_no_account(sponsor, unit, invite):
    teams.request_to_join(token=invite.token, user=UserFactory())
    with pytest.raises(TransitionError):
        from sponsors.registration import register_colleague

        register_colleague(
            token=invite.token, name="李", username="li", email="", password="a-long-pass-2026"
        )
    assert not UserFactory._meta.model.objects.filter(username="li").exists()


@pytest.mark.parametrize("role", ["staff", "bare_staff"])
def test_an_account_of_the_associations_staff_cannot_join_a_unit(request, invite, role):
    # Any account with the back office's flag, with or without the staff role: a unit's
    # member sees the unit's claims, and staff must not act for a sponsor.
    user = request.getfixturevalue(role)
    with pytest.raises(TransitionError, match="staff"):
        teams.request_to_join(token=invite.token, user=user)
    assert not JoinRequest.objects.filter(user=user).exists()


def test_a_member_of_a_sponsor_cannot_join_another(sponsor, other_sponsor, invite):
    with pytest.raises(TransitionError, match="already act for"):
        teams.request_to_join(token=invite.token, user=other_sponsor)
    assert TeamInvite.objects.get().status == InviteStatus.ACTIVE


def test_a_plain_member_is_denied_every_team_action(unit, colleague_member, invite):
    client = english_client(colleague_member.user)
    join = teams.request_to_join(token=invite.token, user=UserFactory())
    claim = ClaimFactory(sponsor=unit)
    # The team page itself is readable, without the administrators' forms.
    page = client.get(reverse("sponsors:team"))
    assert page.status_code == 200
    assert "Make an invitation link" not in page.text
    posts = [
        reverse("sponsors:create_invite"),
        reverse("sponsors:revoke_invite", args=[invite.pk]),
        reverse("sponsors:answer_request", args=[join.pk, "approve"]),
        reverse("sponsors:change_member", args=[colleague_member.pk, "administrator"]),
        reverse("sponsors:reassign_claim", args=[claim.pk]),
    ]
    for url in posts:
        assert client.post(url, {"days": "7", "member": colleague_member.pk}).status_code == 403
    assert client.get(reverse("sponsors:invite", args=[invite.pk])).status_code == 403
    assert client.get(reverse("sponsors:certificate"), {"year": "2026"}).status_code == 403
    assert client.get(reverse("sponsors:fulfilled_list")).status_code == 403
    join.refresh_from_db()
    assert join.status == JoinStatus.PENDING
    colleague_member.refresh_from_db()
    assert colleague_member.role == MemberRole.MEMBER


def test_another_units_administrator_gets_404_for_this_units_things(
    other_sponsor, unit, colleague_member, invite
):
    client = english_client(other_sponsor)
    join = teams.request_to_join(token=invite.token, user=UserFactory())
    claim = ClaimFactory(sponsor=unit)
    posts = [
        reverse("sponsors:revoke_invite", args=[invite.pk]),
        reverse("sponsors:answer_request", args=[join.pk, "approve"]),
        reverse("sponsors:change_member", args=[colleague_member.pk, "remove"]),
        reverse("sponsors:reassign_claim", args=[claim.pk]),
    ]
    for url in posts:
        assert client.post(url, {"member": colleague_member.pk}).status_code == 404
    assert client.get(reverse("sponsors:invite", args=[invite.pk])).status_code == 404
    # Nor can a service be talked into it with another unit's member.
    own = other_sponsor.sponsor_member
    with pytest.raises(TransitionError):
        teams.approve_join_request(request_id=join.pk, by=other_sponsor)
    with pytest.raises(TransitionError):
        teams.remove_member(member_id=colleague_member.pk, by=other_sponsor)
    with pytest.raises(TransitionError):
        from wishes.services import reassign_claim

        reassign_claim(claim_id=claim.pk, to_user_id=own.user_id, by=other_sponsor)


def test_the_last_administrator_can_neither_leave_nor_step_down(sponsor, colleague_member):
    own = sponsor.sponsor_member
    client = english_client(sponsor)
    response = client.post(reverse("sponsors:leave_team"), follow=True)
    assert "only administrator" in response.text
    with pytest.raises(TransitionError, match="only administrator"):
        teams.set_member_role(member_id=own.pk, role=MemberRole.MEMBER, by=sponsor)
    own.refresh_from_db()
    assert own.role == MemberRole.ADMINISTRATOR
    # With a second administrator, the first may go.
    teams.set_member_role(member_id=colleague_member.pk, role=MemberRole.ADMINISTRATOR, by=sponsor)
    client.post(reverse("sponsors:leave_team"))
    own.refresh_from_db()
    assert own.role == MemberRole.REMOVED
    assert StatusChange.objects.filter(note="Left the team").exists()


def test_a_member_leaves_and_may_be_invited_again(sponsor, unit, colleague_member):
    english_client(colleague_member.user).post(reverse("sponsors:leave_team"))
    colleague_member.refresh_from_db()
    assert colleague_member.role == MemberRole.REMOVED
    invite = teams.create_invite(sponsor_id=unit.pk, by=sponsor)
    join = teams.request_to_join(token=invite.token, user=colleague_member.user)
    teams.approve_join_request(request_id=join.pk, by=sponsor)
    colleague_member.refresh_from_db()
    assert colleague_member.role == MemberRole.MEMBER


def test_reassigning_needs_an_active_claim_and_a_member_of_the_unit(
    sponsor, unit, colleague_member, other_sponsor
):
    from wishes.services import reassign_claim

    claim = ClaimFactory(sponsor=unit, member=sponsor)
    with pytest.raises(TransitionError, match="member of the unit"):
        reassign_claim(claim_id=claim.pk, to_user_id=other_sponsor.pk, by=sponsor)
    reassign_claim(claim_id=claim.pk, to_user_id=colleague_member.user_id, by=sponsor)
    with pytest.raises(TransitionError, match="already fulfils"):
        reassign_claim(claim_id=claim.pk, to_user_id=colleague_member.user_id, by=sponsor)
    Claim.objects.filter(pk=claim.pk).update(status="fulfilled")
    with pytest.raises(TransitionError, match="Only an active claim"):
        reassign_claim(claim_id=claim.pk, to_user_id=sponsor.pk, by=sponsor)


def test_staff_claiming_for_a_unit_records_no_member(staff, unit):
    from wishes.services import claim_wish

    claim = claim_wish(wish_id=WishFactory(open=True).pk, sponsor=unit, by=staff)
    assert claim.member is None


def test_an_individual_has_no_team(db):
    person = SponsorMemberFactory(sponsor=SponsorFactory(verified=True, individual=True)).user
    client = english_client(person)
    assert client.get(reverse("sponsors:team")).status_code == 404
    with pytest.raises(TransitionError, match="Only a caring unit"):
        teams.create_invite(sponsor_id=person.sponsor_member.sponsor_id, by=person)


def test_invitations_are_valid_for_a_bounded_time(sponsor, unit):
    for days in (0, 31):
        with pytest.raises(TransitionError):
            teams.create_invite(sponsor_id=unit.pk, by=sponsor, days=days)


def test_the_founder_of_a_sponsor_is_its_administrator(client):
    from sponsors.registration import register_sponsor
    from tests.factories import RegionFactory

    user = register_sponsor(
        kind="unit",
        name="花木社区卫生服务中心",
        unit_category="public_institution",
        region=RegionFactory(),
        contact_name="赵医生",
        phone="13900001111",
        email="zhao@example.org",
        username="zhao",
        password="a-long-pass-2026",
        language="zh-hans",
    )
    assert user.sponsor_member.role == MemberRole.ADMINISTRATOR
    assert user.first_name == "赵医生"


def test_the_migration_makes_each_sponsors_earliest_member_its_administrator(db):
    first = SponsorMemberFactory(role=MemberRole.MEMBER)
    second = SponsorMemberFactory(sponsor=first.sponsor, role=MemberRole.MEMBER)
    SponsorMember.objects.filter(pk=second.pk).update(
        created_at=first.created_at + datetime.timedelta(days=1)
    )
    migration = importlib.import_module("sponsors.migrations.0004_unit_teams")
    migration.mark_first_administrators(apps, None)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.role, second.role) == (MemberRole.ADMINISTRATOR, MemberRole.MEMBER)


def test_the_demo_unit_has_a_second_member_and_a_waiting_request():
    from wishes.management.demo import load_demo_data
    from wishes.management.demo.cast import MUSEUM

    for _run in range(2):  # safe to run again: nothing doubles
        load_demo_data()
        members = SponsorMember.objects.current().filter(sponsor__name=MUSEUM)
        assert sorted(members.values_list("user__username", "role")) == [
            ("unit", MemberRole.ADMINISTRATOR),
            ("unit-colleague", MemberRole.MEMBER),
        ]
        waiting = JoinRequest.objects.get(status=JoinStatus.PENDING)
        assert (waiting.sponsor.name, waiting.user.username) == (MUSEUM, "unit-newcomer")


def test_staff_see_members_with_their_role_and_the_teams_records(
    client_for, unit, colleague_member, invite
):
    staff = client_for("staff")
    members = staff.get(reverse("admin:sponsors_sponsormember_changelist"))
    assert members.status_code == 200
    assert "单位管理员" in members.text
    sponsor_page = staff.get(reverse("admin:sponsors_sponsor_change", args=[unit.pk]))
    assert "单位管理员" in sponsor_page.text
    join = teams.request_to_join(token=invite.token, user=UserFactory())
    for url in (
        reverse("admin:sponsors_teaminvite_change", args=[invite.pk]),
        reverse("admin:sponsors_joinrequest_change", args=[join.pk]),
        reverse("admin:sponsors_joinrequest_changelist"),
    ):
        assert staff.get(url).status_code == 200
    # Staff look; the units' administrators decide.
    assert (
        staff.post(reverse("admin:sponsors_joinrequest_change", args=[join.pk])).status_code == 403
    )


def test_signing_up_from_the_login_page_of_an_invitation_joins_that_unit(invite):
    join_url = reverse("sponsors:join", args=[invite.token])
    response = english_client().get(reverse("sponsors:register"), {"next": join_url})
    assert response.status_code == 302
    assert response.url == reverse("sponsors:join_signup", args=[invite.token])
    # Any other page to return to keeps the ordinary sign-up.
    other = english_client().get(reverse("sponsors:register"), {"next": "/wishes/"})
    assert other.status_code == 200


def test_the_team_page_costs_the_same_few_queries_however_big_the_team(
    sponsor, unit, invite, django_assert_num_queries
):
    for _ in range(3):
        SponsorMemberFactory(sponsor=unit, role=MemberRole.MEMBER)
        ClaimFactory(sponsor=unit)
    teams.request_to_join(token=invite.token, user=UserFactory())
    client = english_client(sponsor)
    # Session, user with its roles; members; the claims you fulfil; requests; invitations;
    # the unit's active claims.
    with django_assert_num_queries(7):
        response = client.get(reverse("sponsors:team"))
    assert response.status_code == 200


def test_the_members_share_the_units_claim_limit(settings, sponsor, unit, colleague_member):
    from wishes.services import claim_wish

    settings.HUAMU_MAX_ACTIVE_CLAIMS_UNIT = 1
    claim_wish(wish_id=WishFactory(open=True).pk, sponsor=unit, by=sponsor)
    with pytest.raises(TransitionError):
        claim_wish(wish_id=WishFactory(open=True).pk, sponsor=unit, by=colleague_member.user)
    assert Claim.objects.filter(sponsor=unit).count() == 1


def test_a_removed_members_claims_go_to_the_administrator_who_removed_them(
    sponsor, unit, colleague_member
):
    live = ClaimFactory(sponsor=unit, member=colleague_member.user)
    done = ClaimFactory(sponsor=unit, member=colleague_member.user, status="fulfilled")
    others = ClaimFactory(sponsor=unit, member=sponsor)

    english_client(sponsor).post(
        reverse("sponsors:change_member", args=[colleague_member.pk, "remove"])
    )

    live.refresh_from_db()
    done.refresh_from_db()
    others.refresh_from_db()
    assert live.member == sponsor
    assert done.member == colleague_member.user  # a fulfilled claim keeps who fulfilled it
    assert others.member == sponsor
    [change] = StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Claim), object_id=live.pk
    )
    assert "is no longer on the team" in change.note and change.by == sponsor


def test_a_leaving_members_claims_go_to_the_units_first_administrator(
    sponsor, unit, colleague_member
):
    live = ClaimFactory(sponsor=unit, member=colleague_member.user)

    english_client(colleague_member.user).post(reverse("sponsors:leave_team"))

    live.refresh_from_db()
    assert live.member == sponsor
