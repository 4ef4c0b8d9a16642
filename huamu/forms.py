"""Form pieces every app shares: input bounded before anything else reads it."""

from collections.abc import Iterable
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

# The User model's username length. django-axes writes a failed login's username to a
# varchar(255): a longer one made PostgreSQL fail the login with a 500.
USERNAME_MAX_LENGTH = 150


class BoundedUsernameMixin(forms.Form):
    """Refuse an overlong username before authentication and login throttling see it."""

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if len(username) > USERNAME_MAX_LENGTH:
            raise ValidationError(
                _("A username has at most %(limit)d characters."),
                code="username_too_long",
                params={"limit": USERNAME_MAX_LENGTH},
            )
        return username


class LastTryWarningMixin(AuthenticationForm):
    """After a wrong password, warn when the next wrong one will pause logins, and say for
    how long (django-axes counts the failures per username and address)."""

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError as error:
            if getattr(error, "code", None) != "invalid_login" or not settings.AXES_ENABLED:
                raise
            username = self.cleaned_data.get("username", "")
            failures = AxesProxyHandler.get_failures(self.request, {"username": username})
            if failures == settings.AXES_FAILURE_LIMIT - 1:
                minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
                raise ValidationError(
                    [
                        *error.error_list,
                        ValidationError(
                            ngettext_lazy(
                                "One more wrong password pauses logging in to this account "
                                "from your device for %(minutes)d minute.",
                                "One more wrong password pauses logging in to this account "
                                "from your device for %(minutes)d minutes.",
                                "minutes",
                            ),
                            code="last_try",
                            params={"minutes": minutes},
                        ),
                    ]
                ) from error
            raise


class LoginForm(BoundedUsernameMixin, LastTryWarningMixin):
    """The site's login form (`/accounts/login/`)."""

    # A wrong username or password links, in the error summary, to the username.
    error_summary_field = "username"


class AdminLoginForm(BoundedUsernameMixin, AdminAuthenticationForm):
    """The back office's login form (`/admin/login/`)."""


# The largest id of a BigAutoField, a signed 64-bit integer on every database.
MAX_ID = 2**63 - 1


def parse_ids(values: Iterable[str]) -> list[int]:
    """The values that are ids a table can hold (ASCII digits, 1 to MAX_ID); others dropped.

    `str.isdigit()` alone lets "²" through (int() then fails) and any number of digits
    (SQLite then overflows, and PostgreSQL refuses numbers past bigint).
    """
    return [
        int(value)
        for value in values
        if value.isascii() and value.isdigit() and len(value) <= 19 and 0 < int(value) <= MAX_ID
    ]


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField over integer ids that refuses, before any query, what no id
    column can hold (SQLite overflowed on it with a 500)."""

    def clean(self, value: Any) -> Any:
        for pk in value or []:
            if not parse_ids([str(pk)]):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    # Not a megabyte of it back in the page.
                    params={"pk": Truncator(str(pk)).chars(20)},
                )
        return super().clean(value)
