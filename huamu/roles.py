"""Who a user is to the programme; one definition each, imported wherever a role matters."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def is_office_staff(user: AbstractBaseUser | AnonymousUser, *, perm: str) -> bool:
    """Association staff for one kind of record: active, back-office, and allowed to view it.

    A bare is_staff flag is not enough: the admin refuses such a user, so must every page.
    """
    return bool(user.is_authenticated and user.is_active and user.is_staff and user.has_perm(perm))
