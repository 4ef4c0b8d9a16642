"""`manage.py check` (and every start) says what the Tencent SMS backend lacks."""

import importlib.util
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks

from huamu.sms import _ALIASES

_CREDENTIALS = ("TENCENT_SMS_SECRET_ID", "TENCENT_SMS_SECRET_KEY", "TENCENT_SMS_APP_ID")


def sms_templates() -> list[str]:
    """The names of our text-message templates (templates/sms/<name>.txt)."""
    folder = Path(settings.BASE_DIR) / "templates" / "sms"
    return sorted(path.stem for path in folder.glob("*.txt"))


def check_sms_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """With SMS_BACKEND=tencent: the SDK, the credentials and a template id for each text."""
    backend = getattr(settings, "SMS_BACKEND", "") or "console"
    if _ALIASES.get(backend, backend) != _ALIASES["tencent"]:
        return []
    found: list[checks.CheckMessage] = []
    if importlib.util.find_spec("tencentcloud") is None:
        found.append(
            checks.Error(
                "SMS_BACKEND=tencent but the SDK is not installed",
                hint="pip install 'huamu-dream-wishes[sms]'",
                id="huamu.E101",
            )
        )
    missing = [name for name in _CREDENTIALS if not getattr(settings, name, "")]
    if missing:
        found.append(
            checks.Error(
                f"SMS_BACKEND=tencent needs {', '.join(missing)}",
                hint="See README, 'Notifications and text messages'.",
                id="huamu.E102",
            )
        )
    without_id = [name for name in sms_templates() if name not in settings.SMS_TEMPLATE_IDS]
    if without_id:
        found.append(
            checks.Warning(
                f"SMS_TEMPLATE_IDS has no template id for {', '.join(without_id)}",
                hint="Those text messages will be logged as not sent.",
                id="huamu.W103",
            )
        )
    return found
