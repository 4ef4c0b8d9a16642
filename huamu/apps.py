from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


def _shorter_session_for_office_roles(sender, request, user, **kwargs) -> None:
    from django.conf import settings

    from huamu.roles import sees_private_data

    # Staff and coordinators see children's private data: their sessions end sooner.
    if sees_private_data(user):
        request.session.set_expiry(settings.HUAMU_OFFICE_SESSION_SECONDS)


class HuamuConfig(AppConfig):
    name = "huamu"

    def ready(self) -> None:
        from django.core import checks

        from huamu.cache import connect_signals
        from huamu.sms.checks import check_sms_settings

        checks.register(check_sms_settings)

        # Public pages are cached until any wish, claim, consent, event or photo changes.
        connect_signals()
        user_logged_in.connect(
            _shorter_session_for_office_roles, dispatch_uid="huamu_office_session_expiry"
        )
