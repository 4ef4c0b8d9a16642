"""Authentication backend that loads a user's roles with the user, in one query."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class RoleAwareBackend(ModelBackend):
    """Django's model backend; the request's user arrives with its sponsor and school.

    Every page asks whether the user is a sponsor member or a school coordinator (the
    navigation shows their links), so joining them here saves two queries a page.
    """

    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            # The login phone too: sponsors' pages offer to add one when there is none.
            user = user_model._default_manager.select_related(
                "sponsor_member__sponsor__region", "school_coordinator__school", "verified_phone"
            ).get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
