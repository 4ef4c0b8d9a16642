"""What every app shares about background tasks (django.tasks): where they run, and mail."""

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task, task_backends
from django.tasks.backends.immediate import ImmediateBackend


def runs_in_background() -> bool:
    """Whether a queued task runs in a worker (TASKS_BACKEND=database), not in the request."""
    return not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], ImmediateBackend)


def stuck_minutes() -> int:
    """Minutes without progress after which background work counts as abandoned by its
    worker (STUCK_TASK_MINUTES)."""
    return settings.HUAMU_STUCK_TASK_MINUTES


@task
def send_mail_task(subject: str, body: str, recipients: list[str]) -> int:
    """Send one rendered message; a worker retries nothing, a failure stays in its result."""
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
