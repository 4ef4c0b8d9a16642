"""Forms of the sponsor pages: sign-up, claim cancellation, the team and notifications."""

import re
import unicodedata
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from huamu.phones import PhoneField, is_mobile, normalise_phone
from sponsors.models import (
    NotificationChannel,
    Sponsor,
    SponsorKind,
    SponsorMember,
    UnitCategory,
)
from wishes.models import MAX_ATTENDEES
from wishes.services import NamedAttendee

# The longest name an attendee may have (Attendee.name).
NAME_LENGTH = 60
# "张三 138 0000 1111", "张三，021-58881234": a name, then digits (and separators) to the end.
_NAME_THEN_PHONE = re.compile(r"(?P<name>.*?\S)[\s,，、]+(?P<phone>\+?[\d０-９][\d０-９\s()\-]*)")


class SponsorRegistrationForm(forms.ModelForm):
    """Sign-up of a unit or an individual, with the login of its first member."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[get_user_model().username_validator],
        help_text=_("For logging in. Letters, digits and @/./+/-/_ only."),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = Sponsor
        fields = ["kind", "name", "unit_category", "region", "contact_name", "phone", "email"]
        labels = {
            "kind": _("You sign up as"),
            "name": _("Name of the unit, or your full name"),
        }
        help_texts = {
            "unit_category": _("Units only; leave empty if you sign up as an individual."),
            "region": _("The sub-district or town of the unit; optional for individuals."),
            "phone": _("A mobile number or a landline with its area code."),
        }
        widgets = {
            "kind": forms.RadioSelect,
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Without this the radio list starts with an empty "---------" choice.
        cast(forms.ChoiceField, self.fields["kind"]).choices = SponsorKind.choices
        # Django's own blank label has no Chinese translation yet; say it ourselves.
        unit_category = cast(forms.ChoiceField, self.fields["unit_category"])
        unit_category.choices = [("", _("Choose…")), *UnitCategory.choices]
        cast(forms.ModelChoiceField, self.fields["region"]).empty_label = _("Choose…")
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        # A password account recovers its password by e-mail; signing up by phone needs none.
        self.fields["email"].required = True

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(
                _("This username is already taken; choose another one."), code="taken"
            )
        return username

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        kind = cleaned.get("kind")
        if kind == SponsorKind.UNIT:
            if not cleaned.get("unit_category"):
                self.add_error("unit_category", _("Choose what kind of unit you are signing up."))
            if not cleaned.get("region") and "region" not in self.errors:
                self.add_error("region", _("Choose the sub-district or town of the unit."))
        elif kind == SponsorKind.INDIVIDUAL and cleaned.get("unit_category"):
            self.add_error(
                "unit_category",
                _("An individual has no unit category; leave this field empty."),
            )
        self._clean_passwords(cleaned)
        return cleaned

    def _clean_passwords(self, cleaned: dict[str, Any]) -> None:
        check_new_password(self, cleaned)

    def registration_data(self) -> dict[str, Any]:
        """The keyword arguments of sponsors.registration.register_sponsor."""
        data = {field: self.cleaned_data[field] for field in self.Meta.fields}
        data["username"] = self.cleaned_data["username"]
        data["password"] = self.cleaned_data["password1"]
        return data


class PhoneSponsorRegistrationForm(SponsorRegistrationForm):
    """The same sign-up for someone who proved their mobile number with a code: no
    username or password to invent (they log in by phone), and e-mail optional."""

    username = None  # type: ignore[assignment]
    password1 = None  # type: ignore[assignment]
    password2 = None  # type: ignore[assignment]

    class Meta(SponsorRegistrationForm.Meta):
        fields = ["kind", "name", "unit_category", "region", "contact_name", "email"]
        help_texts = {
            **SponsorRegistrationForm.Meta.help_texts,
            "email": _("Optional: we also write to you by e-mail if you give one."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        forms.ModelForm.__init__(self, *args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = SponsorKind.choices
        unit_category = cast(forms.ChoiceField, self.fields["unit_category"])
        unit_category.choices = [("", _("Choose…")), *UnitCategory.choices]
        cast(forms.ModelChoiceField, self.fields["region"]).empty_label = _("Choose…")
        self.fields["email"].required = False

    def _clean_passwords(self, cleaned: dict[str, Any]) -> None:
        pass

    def registration_data(self) -> dict[str, Any]:
        return {field: self.cleaned_data[field] for field in self.Meta.fields}


# Longer than any way of writing a mobile number; refused before anything parses it.
PHONE_INPUT_MAX_LENGTH = 40


class _ShortInputForm(forms.Form):
    """A form of one short text field: an overlong value is cut just past the limit before
    anything reads it, so the refusal does not send a megabyte back in the page."""

    short_field = ""

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        value = data.get(self.short_field, "") if data is not None else ""
        if len(value) > PHONE_INPUT_MAX_LENGTH:
            data = data.copy()
            data[self.short_field] = value[: PHONE_INPUT_MAX_LENGTH + 1]
        super().__init__(data, *args, **kwargs)


class MobileNumberForm(_ShortInputForm):
    """The mobile number a text-message code goes to."""

    short_field = "phone"
    # A refusal to send (too many codes) links, in the error summary, to the number.
    error_summary_field = "phone"

    phone = forms.CharField(
        label=_("Mobile number"),
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "autofocus": True}
        ),
    )

    def clean_phone(self) -> str:
        typed = self.cleaned_data["phone"]
        if len(typed) > PHONE_INPUT_MAX_LENGTH:
            raise forms.ValidationError(
                _("Enter a mainland China mobile number, e.g. 13812345678."), code="invalid"
            )
        stored = normalise_phone(typed)
        if not is_mobile(stored):
            raise forms.ValidationError(
                _("Codes are sent by text message: enter a mobile number, not a landline."),
                code="landline",
            )
        return stored


class LoginCodeForm(_ShortInputForm):
    """The 6-digit code from the text message."""

    short_field = "code"
    # A wrong or expired code links, in the error summary, to the code.
    error_summary_field = "code"

    code = forms.CharField(
        label=_("Code from the text message"),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        typed = self.cleaned_data["code"][:PHONE_INPUT_MAX_LENGTH]
        # Full-width digits from a Chinese input method count as digits.
        code = "".join(unicodedata.normalize("NFKC", typed).split())
        if len(self.cleaned_data["code"]) > len(typed) or not (
            code.isascii() and code.isdigit() and len(code) == 6
        ):
            raise forms.ValidationError(_("The code has 6 digits."), code="invalid")
        return code


def check_new_password(form: forms.BaseForm, cleaned: dict[str, Any]) -> None:
    """The two passwords of a new account match and pass the validators (as errors)."""
    password1, password2 = cleaned.get("password1"), cleaned.get("password2")
    if not (password1 and password2):
        return
    if password1 != password2:
        form.add_error("password2", _("The two passwords do not match."))
        return
    # Check against the account to be created, so "too similar to the username" works.
    user = get_user_model()(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
    try:
        password_validation.validate_password(password2, user)
    except forms.ValidationError as error:
        form.add_error("password2", error)


class CancelClaimForm(forms.Form):
    """The reason a sponsor gives for giving a claimed wish back."""

    reason = forms.CharField(
        label=_("Why are you cancelling this claim?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The association's staff read this; the wish goes back to the waiting list."),
    )


class InviteForm(forms.Form):
    """How long a new invitation link stays valid, and a reminder of whom it is for."""

    days = forms.TypedChoiceField(
        label=_("Valid for"),
        coerce=int,
        initial=7,
        choices=[
            (1, _("1 day")),
            (3, _("3 days")),
            (7, _("7 days")),
            (14, _("14 days")),
            (30, _("30 days")),
        ],
    )
    note = forms.CharField(
        label=_("For whom (optional)"),
        max_length=120,
        required=False,
        help_text=_("A reminder for you, e.g. the colleague's name; they do not see it."),
    )


class ColleagueSignupForm(forms.Form):
    """An account for a colleague who joins a unit through an invitation."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        help_text=_("Your colleagues see it on the team page and in the claims' history."),
    )
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[get_user_model().username_validator],
        help_text=_("For logging in. Letters, digits and @/./+/-/_ only."),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    password1 = SponsorRegistrationForm.base_fields["password1"]
    password2 = SponsorRegistrationForm.base_fields["password2"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["email"].widget.attrs["autocomplete"] = "email"

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(
                _("This username is already taken; choose another one."), code="taken"
            )
        return username

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        check_new_password(self, cleaned)
        return cleaned


class ColleaguePhoneSignupForm(forms.Form):
    """The account of an invited colleague who proved their mobile number with a code."""

    name = ColleagueSignupForm.base_fields["name"]
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_("Optional: we also write to you by e-mail if you give one."),
    )


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name


class ReassignClaimForm(forms.Form):
    """The team member who fulfils a claim from now on."""

    member = MemberChoiceField(
        label=_("Fulfilled by"), queryset=SponsorMember.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, sponsor: Sponsor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["member"])
        field.queryset = (
            SponsorMember.objects.current().filter(sponsor=sponsor).select_related("user")
        )


class MembersChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name


class EventSignupForm(forms.Form):
    """How many people a sponsor brings to an event, and who: members and typed names."""

    headcount = forms.IntegerField(
        label=_("Number of attendees"),
        min_value=1,
        max_value=MAX_ATTENDEES,
        error_messages={
            "invalid": _("Enter the number of people who will come, e.g. 3."),
            "min_value": _("At least one person comes; withdraw the sign-up otherwise."),
            "max_value": _("At most %(limit_value)s people can come for one sponsor."),
        },
    )
    members = MembersChoiceField(
        label=_("Members of the team who come"),
        queryset=SponsorMember.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Checked in at the door, members earn the event's volunteer hours."),
    )
    others = forms.CharField(
        label=_("Other attendees"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text=_("One person a line: the name, then optionally a phone number."),
    )

    def __init__(self, *args: Any, sponsor: Sponsor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelMultipleChoiceField, self.fields["members"])
        field.queryset = (
            SponsorMember.objects.current()
            .filter(sponsor=sponsor)
            .select_related("user")
            .order_by("pk")
        )

    def clean_others(self) -> list[NamedAttendee]:
        people = []
        for line in self.cleaned_data["others"].splitlines():
            line = line.strip()
            if not line:
                continue
            # A phone number typed after the name, with spaces or dashes as people write it.
            found = _NAME_THEN_PHONE.fullmatch(line)
            name, phone = (found["name"], found["phone"]) if found else (line, "")
            if phone:
                try:
                    phone = normalise_phone(phone)
                except forms.ValidationError:
                    raise forms.ValidationError(
                        _("“%(line)s”: the phone number is not valid.") % {"line": line}
                    ) from None
            name = name.strip()
            if len(name) > NAME_LENGTH:
                raise forms.ValidationError(
                    _("“%(name)s” is too long for a name.") % {"name": name[:20]}
                )
            people.append(NamedAttendee(name=name, phone=phone))
        return people

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        named = len(data.get("members") or []) + len(data.get("others") or [])
        headcount = data.get("headcount")
        if headcount is not None and named > headcount:
            raise forms.ValidationError(
                _("You named %(named)d people but said %(count)d will come.")
                % {"named": named, "count": headcount}
            )
        return data


class NotificationPreferenceForm(forms.Form):
    """How a sponsor's member wants to hear from us: e-mail, text messages or both, and in
    which language; text messages need a mobile number."""

    channel = forms.ChoiceField(
        label=_("How should we tell you?"),
        choices=NotificationChannel.choices,
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(label=_("Language of the messages"), choices=settings.LANGUAGES)
    mobile = PhoneField(
        label=_("Mobile number for text messages"),
        required=False,
        max_length=40,
        help_text=_("Only needed for text messages; 11 digits, e.g. 13812345678."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_mobile(self) -> str:
        mobile = self.cleaned_data.get("mobile") or ""
        if mobile and not is_mobile(mobile):
            raise forms.ValidationError(
                _("Text messages can only go to a mobile number, not a landline."),
                code="landline",
            )
        return mobile

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        channel = cleaned.get("channel")
        wants_sms = channel in (NotificationChannel.SMS, NotificationChannel.BOTH)
        if wants_sms and not cleaned.get("mobile") and "mobile" not in self.errors:
            self.add_error("mobile", _("Enter your mobile number to receive text messages."))
        return cleaned
