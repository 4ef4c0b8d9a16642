"""Logging in and signing up with a mobile number and a text-message code."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from huamu.errors import TransitionError
from huamu.phones import mask_phone
from huamu.sms import SmsError
from sponsors import phone_login
from sponsors.models import PhoneCode, Sponsor, SponsorKind, VerificationStatus, VerifiedPhone
from sponsors.services import verify_sponsor
from tests.factories import SponsorFactory, SponsorMemberFactory, UserFactory, WishFactory
from wishes.models import StatusChange

PHONE_URL = reverse("phone_login")
CODE_URL = reverse("phone_login_code")
SIGN_UP_URL = reverse("sponsors:register_phone")
pytestmark = pytest.mark.django_db

KNOWN = "13812345678"
UNKNOWN = "13987654321"


@pytest.fixture
def phone_sponsor(db):
    """A member of a verified unit who logs in with KNOWN."""
    member = SponsorMemberFactory(
        user__username="phone_sponsor", sponsor=SponsorFactory(verified=True, name="花木卫生中心")
    )
    VerifiedPhone.objects.create(user=member.user, phone=KNOWN)
    return member.user


def last_code(outbox) -> str:
    assert outbox, "no text message was sent"
    return outbox[-1].params["code"]


def ask_code(client: Client, phone: str, next_url: str = "", **extra):
    data = {"phone": phone}
    if next_url:
        data["next"] = next_url
    return client.post(PHONE_URL, data, **extra)


def same_for_all(html: str, number: str) -> str:
    """A page without what differs anyway: the masked number, the CSRF token and the
    script nonce (new on every response)."""
    html = html.replace(mask_phone(number), "MASKED").replace(number, "NUMBER")
    html = re.sub(r'name="code" value="\d{6}"', "CODE", html)
    html = re.sub(r'nonce="[^"]+"', "NONCE", html)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)


def age_codes(phone: str, by: datetime.timedelta) -> None:
    """Move every code of `phone` into the past, as if `by` had gone by."""
    for row in PhoneCode.objects.filter(phone=phone):
        row.created_at -= by
        row.expires_at -= by
        row.save()


# --- Logging in --------------------------------------------------------------------------


def test_the_login_page_offers_the_text_message_login(client):
    html = client.get(reverse("login") + "?next=/wishes/1/claim/").content.decode()
    assert f'href="{PHONE_URL}?next=/wishes/1/claim/"' in html


def test_a_known_number_logs_in_with_the_code_and_a_sponsor_lands_on_my_claims(
    client, phone_sponsor, sms_outbox
):
    response = ask_code(client, "138 1234 5678")
    assert response.status_code == 302 and response.url == CODE_URL
    assert len(sms_outbox) == 1
    message = sms_outbox[0]
    assert message.phone == KNOWN and message.template == "login_code"
    assert message.text.startswith("【花木圆梦】")
    assert re.fullmatch(r"\d{6}", last_code(sms_outbox))
    assert last_code(sms_outbox) in message.text
    response = client.post(CODE_URL, {"code": last_code(sms_outbox)}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("sponsors:dashboard")
    assert response.context["user"] == phone_sponsor


def test_the_login_honours_a_safe_next_and_ignores_another_site(client, phone_sponsor, sms_outbox):
    wish = WishFactory(open=True)
    claim_url = reverse("wishes:claim", args=[wish.pk])
    ask_code(client, KNOWN, next_url=claim_url)
    response = client.post(CODE_URL, {"code": last_code(sms_outbox)})
    assert response.url == claim_url

    other = Client()
    age_codes(KNOWN, datetime.timedelta(minutes=2))
    ask_code(other, KNOWN, next_url="https://evil.example.org/")
    response = other.post(CODE_URL, {"code": last_code(sms_outbox)})
    assert response.url == reverse("landing")


def test_the_code_is_stored_only_as_a_keyed_hash(client, phone_sponsor, sms_outbox):
    ask_code(client, KNOWN)
    code = last_code(sms_outbox)
    row = PhoneCode.objects.get()
    assert code not in row.code_hash
    assert row.code_hash == phone_login.hash_code(phone=KNOWN, code=code)
    assert row.code_hash != phone_login.hash_code(phone=UNKNOWN, code=code)
    for values in PhoneCode.objects.values_list():
        assert all(code not in str(value) for value in values)


def test_an_expired_code_is_refused(client, phone_sponsor, sms_outbox):
    ask_code(client, KNOWN)
    age_codes(KNOWN, phone_login.CODE_VALID_FOR + datetime.timedelta(seconds=1))
    response = client.post(CODE_URL, {"code": last_code(sms_outbox)})
    assert response.status_code == 200
    assert "验证码已过期" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_code_just_inside_its_five_minutes_works(client, phone_sponsor, sms_outbox):
    ask_code(client, KNOWN)
    age_codes(KNOWN, phone_login.CODE_VALID_FOR - datetime.timedelta(seconds=5))
    response = client.post(CODE_URL, {"code": last_code(sms_outbox)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(phone_sponsor.pk)


def test_the_sixth_try_is_refused_even_with_the_right_code(client, phone_sponsor, sms_outbox):
    ask_code(client, KNOWN)
    code = last_code(sms_outbox)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        html = client.post(CODE_URL, {"code": wrong}).content.decode()
        assert f"还可以再试 {left} 次" in html
    html = client.post(CODE_URL, {"code": wrong}).content.decode()
    assert "错误次数过多" in html
    html = client.post(CODE_URL, {"code": code}).content.decode()
    assert "错误次数过多" in html
    assert "_auth_user_id" not in client.session
    assert PhoneCode.objects.get().tries == 5


def test_a_code_works_once(client, phone_sponsor, sms_outbox):
    ask_code(client, KNOWN)
    code = last_code(sms_outbox)
    client.post(CODE_URL, {"code": code})
    with pytest.raises(TransitionError, match="先获取验证码|Ask for a code first"):
        phone_login.check_login_code(phone=KNOWN, code=code)


def test_only_the_newest_code_counts(client, phone_sponsor, sms_outbox):
    ask_code(client, KNOWN)
    first = last_code(sms_outbox)
    age_codes(KNOWN, datetime.timedelta(minutes=2))
    ask_code(client, KNOWN)
    second = last_code(sms_outbox)
    if first != second:
        assert client.post(CODE_URL, {"code": first}).status_code == 200
    assert client.post(CODE_URL, {"code": second}).status_code == 302


def test_one_code_a_minute_per_number(client, sms_outbox):
    assert ask_code(client, UNKNOWN).status_code == 302
    response = Client().post(PHONE_URL, {"phone": UNKNOWN})
    assert response.status_code == 200
    assert "不到一分钟" in response.content.decode()
    assert len(sms_outbox) == 1 and PhoneCode.objects.count() == 1
    age_codes(UNKNOWN, datetime.timedelta(seconds=61))
    assert ask_code(client, UNKNOWN).status_code == 302
    assert len(sms_outbox) == 2


def test_ten_codes_a_day_per_number(client, sms_outbox):
    for _ in range(phone_login.CODES_PER_NUMBER_PER_DAY):
        assert ask_code(client, UNKNOWN).status_code == 302
        age_codes(UNKNOWN, datetime.timedelta(minutes=2))
    response = ask_code(client, UNKNOWN)
    assert response.status_code == 200
    assert "明天再试" in response.content.decode()
    assert len(sms_outbox) == 10
    # Another number is not affected; a day later this one may have codes again.
    assert ask_code(client, KNOWN).status_code == 302
    age_codes(UNKNOWN, datetime.timedelta(hours=24))
    assert ask_code(client, UNKNOWN).status_code == 302


def test_codes_are_throttled_per_client_address(client, sms_outbox, monkeypatch):
    monkeypatch.setattr(phone_login, "CODES_PER_ADDRESS_PER_HOUR", 3)
    for number in range(3):
        assert ask_code(client, f"1390000000{number}").status_code == 302
    response = ask_code(client, "13900000009")
    assert response.status_code == 200
    assert "您所在的网络" in response.content.decode()
    assert len(sms_outbox) == 3
    # Another address still gets its code.
    assert ask_code(client, "13900000009", REMOTE_ADDR="192.0.2.7").status_code == 302
    assert PhoneCode.objects.filter(ip_address="192.0.2.7").count() == 1


def test_the_address_behind_our_proxy_is_the_forwarded_one(client, settings, monkeypatch):
    settings.BEHIND_PROXY = True
    monkeypatch.setattr(phone_login, "CODES_PER_ADDRESS_PER_HOUR", 1)
    ask_code(client, "13900000001", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert ask_code(client, "13900000002", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert ask_code(client, "13900000003", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302


def test_known_and_unknown_numbers_get_the_same_answer(phone_sponsor, sms_outbox):
    answers = []
    for number in (KNOWN, UNKNOWN):
        client = Client()
        first = ask_code(client, number)
        page = client.get(CODE_URL)
        again = Client().post(PHONE_URL, {"phone": number})
        answers.append(
            (
                first.status_code,
                first.url,
                page.status_code,
                same_for_all(page.content.decode(), number),
                again.status_code,
                same_for_all(again.content.decode(), number),
            )
        )
    assert answers[0] == answers[1]
    # Both numbers got the same kind of message.
    assert [m.phone for m in sms_outbox] == [KNOWN, UNKNOWN]
    assert {m.template for m in sms_outbox} == {"login_code"}


def test_a_wrong_code_reads_the_same_for_known_and_unknown_numbers(phone_sponsor, sms_outbox):
    bodies = []
    for number in (KNOWN, UNKNOWN):
        client = Client()
        ask_code(client, number)
        wrong = f"{(int(last_code(sms_outbox)) + 1) % 10**6:06d}"
        response = client.post(CODE_URL, {"code": wrong})
        bodies.append((response.status_code, same_for_all(response.content.decode(), number)))
    assert bodies[0] == bodies[1]


@pytest.mark.parametrize(
    "typed, message",
    [
        ("abcdefg", "请输入中国大陆电话号码"),
        ("1" * 1_000_000, "请输入中国大陆的手机号码"),
        ("021-58881234", "请输入手机号码，而不是固定电话"),
        ("", "这个字段是必填项"),
        ("１３８１２３４５６７８<script>", "请输入中国大陆电话号码"),
    ],
)
def test_bad_numbers_are_refused_with_a_message(client, sms_outbox, typed, message):
    response = client.post(PHONE_URL, {"phone": typed})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert len(response.content) < 20_000
    assert not sms_outbox and not PhoneCode.objects.exists()


def test_full_width_digits_are_a_number(client, sms_outbox):
    assert ask_code(client, "１３８ １２３４ ５６７８").status_code == 302
    assert sms_outbox[0].phone == KNOWN


@pytest.mark.parametrize("typed", ["abcdef", "12345", "1234567", "x" * 1_000_000, "12345６7"])
def test_bad_codes_are_refused_with_a_message_and_cost_no_try(client, sms_outbox, typed):
    ask_code(client, UNKNOWN)
    response = client.post(CODE_URL, {"code": typed})
    assert response.status_code == 200 and len(response.content) < 20_000
    html = response.content.decode()
    assert "验证码为 6 位数字" in html
    assert PhoneCode.objects.get().tries == 0


def test_the_code_page_without_a_number_goes_back_to_step_one(client):
    assert client.get(CODE_URL).url == PHONE_URL
    assert client.post(CODE_URL, {"code": "123456"}).url == PHONE_URL


def test_a_provider_outage_is_a_polite_message_and_costs_nothing(client, monkeypatch):
    def refuse(**kwargs):
        raise SmsError("provider down")

    monkeypatch.setattr(phone_login, "send_sms", refuse)
    response = ask_code(client, UNKNOWN)
    assert response.status_code == 200
    assert "暂时无法发送短信" in response.content.decode()
    assert not PhoneCode.objects.exists()


def test_an_inactive_account_does_not_log_in(client, phone_sponsor, sms_outbox):
    phone_sponsor.is_active = False
    phone_sponsor.save()
    ask_code(client, KNOWN)
    response = client.post(CODE_URL, {"code": last_code(sms_outbox)})
    assert "_auth_user_id" not in client.session
    assert response.url.startswith(SIGN_UP_URL)


def test_a_logged_in_user_links_a_number_for_phone_login(client, sponsor, sms_outbox):
    client.force_login(sponsor)
    ask_code(client, UNKNOWN)
    client.post(CODE_URL, {"code": last_code(sms_outbox)})
    assert VerifiedPhone.objects.get(phone=UNKNOWN).user == sponsor
    fresh = Client()
    age_codes(UNKNOWN, datetime.timedelta(minutes=2))
    ask_code(fresh, UNKNOWN)
    fresh.post(CODE_URL, {"code": last_code(sms_outbox)})
    assert fresh.session["_auth_user_id"] == str(sponsor.pk)


@pytest.mark.parametrize("role", ["staff", "coordinator"])
def test_accounts_that_see_childrens_data_never_log_in_by_phone(client, role, request, sms_outbox):
    user = request.getfixturevalue(role)
    client.force_login(user)
    ask_code(client, UNKNOWN)
    response = client.post(CODE_URL, {"code": last_code(sms_outbox)}, follow=True)
    assert "只能用密码登录" in response.content.decode()
    assert not VerifiedPhone.objects.exists()
    # Even a number staff gave such an account in the back office does not log it in.
    VerifiedPhone.objects.create(user=user, phone=UNKNOWN)
    fresh = Client()
    age_codes(UNKNOWN, datetime.timedelta(minutes=2))
    ask_code(fresh, UNKNOWN)
    fresh.post(CODE_URL, {"code": last_code(sms_outbox)})
    assert "_auth_user_id" not in fresh.session


def test_one_number_logs_in_to_one_account_only(phone_sponsor):
    other = UserFactory(username="someone")
    with pytest.raises(TransitionError, match="另一个账号|another account"):
        phone_login.link_phone(user=other, phone=KNOWN)
    assert not VerifiedPhone.objects.filter(user=other).exists()


# --- Signing up by phone -----------------------------------------------------------------


def prove(client: Client, phone: str, outbox, next_url: str = ""):
    ask_code(client, phone, next_url=next_url)
    return client.post(CODE_URL, {"code": last_code(outbox)})


def individual(**overrides) -> dict:
    data = {
        "kind": SponsorKind.INDIVIDUAL,
        "name": "陈爱心",
        "unit_category": "",
        "region": "",
        "contact_name": "陈爱心",
        "email": "",
    }
    data.update(overrides)
    return data


def test_sign_up_by_phone_end_to_end_keeps_the_wish(client, sms_outbox, staff):
    wish = WishFactory(open=True)
    claim_url = reverse("wishes:claim", args=[wish.pk])
    # The wish page's sign-up link, then "sign up with your mobile number instead".
    html = client.get(reverse("sponsors:register") + f"?next={claim_url}").content.decode()
    assert f'href="{SIGN_UP_URL}?next={claim_url}"' in html
    response = client.get(SIGN_UP_URL, {"next": claim_url})
    assert response.url == f"{PHONE_URL}?next=%2Fwishes%2F{wish.pk}%2Fclaim%2F"
    response = prove(client, UNKNOWN, sms_outbox, next_url=claim_url)
    assert response.url == f"{SIGN_UP_URL}?next=%2Fwishes%2F{wish.pk}%2Fclaim%2F"
    page = client.get(response.url).content.decode()
    assert "139****4321" in page
    assert 'name="username"' not in page and 'name="password1"' not in page
    response = client.post(SIGN_UP_URL, {**individual(), "next": claim_url})
    assert response.url == reverse("sponsors:dashboard")

    sponsor = Sponsor.objects.get(name="陈爱心")
    user = sponsor.members.get().user
    assert sponsor.status == VerificationStatus.PENDING
    assert sponsor.phone == UNKNOWN and sponsor.email == ""
    assert sponsor.return_to == claim_url
    assert user.verified_phone.phone == UNKNOWN
    assert not user.has_usable_password()
    assert UNKNOWN not in user.username
    assert client.session["_auth_user_id"] == str(user.pk)
    # Without an e-mail address the pending notice promises a text message, not a letter.
    dashboard = client.get(reverse("sponsors:dashboard")).content.decode()
    assert f"我们会第一时间发短信至 {UNKNOWN}" in dashboard
    assert "发邮件至" not in dashboard

    # Verified by staff; back later on another phone, the login lands on the claim page.
    verify_sponsor(sponsor_id=sponsor.pk, by=staff)
    later = Client()
    login_url = later.get(claim_url).url
    assert login_url.startswith(reverse("login"))
    age_codes(UNKNOWN, datetime.timedelta(minutes=2))
    response = prove(later, UNKNOWN, sms_outbox, next_url=claim_url)
    assert response.url == claim_url
    assert later.get(claim_url).status_code == 200


def test_the_phone_sign_up_needs_a_proved_number(client):
    response = client.post(SIGN_UP_URL, individual())
    assert response.status_code == 302 and response.url == PHONE_URL
    assert not Sponsor.objects.exists()


def test_a_proved_number_waits_half_an_hour_for_its_sign_up(client, sms_outbox, monkeypatch):
    prove(client, UNKNOWN, sms_outbox)
    later = timezone.now() + datetime.timedelta(minutes=31)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert client.post(SIGN_UP_URL, individual()).url == PHONE_URL
    assert not Sponsor.objects.exists()


def test_the_phone_sign_up_checks_its_form(client, sms_outbox):
    prove(client, UNKNOWN, sms_outbox)
    response = client.post(SIGN_UP_URL, individual(kind=SponsorKind.UNIT, email="x" * 300))
    assert response.status_code == 200
    html = response.content.decode()
    assert "请选择注册单位的类别" in html
    assert not Sponsor.objects.exists() and not get_user_model().objects.exists()


def test_a_number_taken_meanwhile_leaves_nothing_half_written(client, sms_outbox):
    prove(client, UNKNOWN, sms_outbox)
    VerifiedPhone.objects.create(user=UserFactory(username="quick"), phone=UNKNOWN)
    response = client.post(SIGN_UP_URL, individual())
    assert response.status_code == 200
    assert "另一个账号" in response.content.decode()
    assert not Sponsor.objects.exists()
    assert get_user_model().objects.count() == 1


def test_the_password_sign_up_still_asks_for_an_e_mail(client):
    response = client.post(
        reverse("sponsors:register"),
        {
            **individual(),
            "phone": KNOWN,
            "username": "chen",
            "password1": "Plum-blossom-2026",
            "password2": "Plum-blossom-2026",
        },
    )
    assert response.status_code == 200
    assert not Sponsor.objects.exists()


@pytest.mark.parametrize(
    "role, url, status",
    [
        ("anonymous", PHONE_URL, 200),
        ("anonymous", CODE_URL, 302),
        ("anonymous", SIGN_UP_URL, 302),
        ("sponsor", PHONE_URL, 200),
        ("sponsor", SIGN_UP_URL, 302),
        ("coordinator", PHONE_URL, 200),
        ("staff", PHONE_URL, 200),
        ("plain_user", SIGN_UP_URL, 302),
    ],
)
def test_access(role, url, status, client_for):
    assert client_for(role).get(url).status_code == status


# --- The back office ---------------------------------------------------------------------


def test_staff_see_the_codes_sent_but_never_a_code(client_for, phone_sponsor, sms_outbox):
    ask_code(Client(), KNOWN)
    row = PhoneCode.objects.get()
    client = client_for("staff")
    listing = client.get(reverse("admin:sponsors_phonecode_changelist")).content.decode()
    detail = client.get(reverse("admin:sponsors_phonecode_change", args=[row.pk]))
    assert "138****5678" in listing
    for html in (listing, detail.content.decode()):
        assert KNOWN not in html and row.code_hash not in html
    delete_url = reverse("admin:sponsors_phonecode_delete", args=[row.pk])
    assert client.post(delete_url).status_code == 403
    assert PhoneCode.objects.filter(pk=row.pk).exists()


def test_staff_change_a_lost_login_phone(client_for, phone_sponsor, staff):
    client = client_for("staff")
    verified = VerifiedPhone.objects.get()
    url = reverse("admin:sponsors_verifiedphone_change", args=[verified.pk])
    history = "wishes-statuschange-content_type-object_id"  # the page's read-only history
    response = client.post(
        url,
        {
            "user": phone_sponsor.pk,
            "phone": "139 0000 1111",
            f"{history}-TOTAL_FORMS": "0",
            f"{history}-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    verified.refresh_from_db()
    assert verified.phone == "13900001111"
    change = StatusChange.objects.filter(object_id=verified.pk).latest("pk")
    assert change.by == staff
    assert change.note == f"{mask_phone(KNOWN)} → {mask_phone('13900001111')}"
    assert "13900001111" not in change.note


def test_staff_cannot_give_a_login_phone_to_an_account_that_sees_childrens_data(client_for, staff):
    client = client_for("staff")
    response = client.post(
        reverse("admin:sponsors_verifiedphone_add"),
        {
            "user": staff.pk,
            "phone": UNKNOWN,
            "wishes-statuschange-content_type-object_id-TOTAL_FORMS": "0",
            "wishes-statuschange-content_type-object_id-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "可查看儿童信息的账号只能用密码登录。" in response.text
    assert not VerifiedPhone.objects.filter(user=staff).exists()


@pytest.mark.parametrize("role", ["sponsor", "coordinator", "plain_user"])
def test_only_staff_open_the_phone_admin(client_for, role):
    for name in ("admin:sponsors_phonecode_changelist", "admin:sponsors_verifiedphone_changelist"):
        assert client_for(role).get(reverse(name)).status_code == 302


# --- A colleague joins a unit by phone ---------------------------------------------------


@pytest.fixture
def invite(sponsor):
    from sponsors import teams

    return teams.create_invite(sponsor_id=sponsor.sponsor_member.sponsor_id, by=sponsor)


def test_an_invited_colleague_joins_by_phone(client, invite, sms_outbox):
    from sponsors.models import JoinRequest, JoinStatus

    join_url = reverse("sponsors:join", args=[invite.token])
    page = client.get(join_url).content.decode()
    assert f'href="{PHONE_URL}?next={join_url}"' in page
    response = prove(client, UNKNOWN, sms_outbox, next_url=join_url)
    assert response.url == f"{SIGN_UP_URL}?next=%2Fsponsor%2Fjoin%2F{invite.token}%2F"
    form = client.get(response.url).content.decode()
    assert "上海科技馆" in form and 'name="kind"' not in form
    response = client.post(SIGN_UP_URL, {"name": "王小明", "email": "", "next": join_url})
    assert response.status_code == 200
    assert "sponsors/join_sent.html" in [t.name for t in response.templates]
    request = JoinRequest.objects.get()
    assert request.status == JoinStatus.PENDING
    assert request.user.first_name == "王小明"
    assert request.user.verified_phone.phone == UNKNOWN
    assert not request.user.has_usable_password()
    assert not Sponsor.objects.filter(name="王小明").exists()


def test_an_expired_invitation_is_refused_on_the_phone_path_too(client, invite, sms_outbox):
    join_url = reverse("sponsors:join", args=[invite.token])
    prove(client, UNKNOWN, sms_outbox, next_url=join_url)
    invite.expires_at = timezone.now() - datetime.timedelta(minutes=1)
    invite.save()
    response = client.post(SIGN_UP_URL, {"name": "王小明", "email": "", "next": join_url})
    assert response.status_code == 410
    assert not get_user_model().objects.filter(first_name="王小明").exists()


def test_who_signs_up_by_phone_is_told_of_the_verification_by_text_message(
    client, sms_outbox, staff, django_capture_on_commit_callbacks
):
    from sponsors.models import NotificationChannel

    prove(client, UNKNOWN, sms_outbox)
    client.post(SIGN_UP_URL, individual())
    sponsor = Sponsor.objects.get(name="陈爱心")
    user = sponsor.members.get().user
    assert user.notification_preference.channel == NotificationChannel.SMS
    assert user.notification_preference.mobile == UNKNOWN
    sms_outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        verify_sponsor(sponsor_id=sponsor.pk, by=staff)

    assert [(m.phone, m.template) for m in sms_outbox] == [(UNKNOWN, "sponsor_verified")]
