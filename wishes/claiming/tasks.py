"""The claims' daily follow-up as a background task (django.tasks)."""

from django.tasks import task

from wishes.claiming.follow_up import follow_up_claims


@task
def follow_up_claims_task() -> dict:
    """The daily follow-up (reminders, overdue digest, old import files) as a task.

    Returns the claims' summary; the removed import files are logged, not returned.
    """
    return follow_up_claims().as_dict()
