"""`{% staff_dashboard as board %}`: the staff dashboard's data for the admin front page."""

from django import template

from wishes.reports.dashboard import StaffDashboard, staff_dashboard

register = template.Library()


@register.simple_tag(takes_context=True, name="staff_dashboard")
def staff_dashboard_tag(context: template.Context) -> StaffDashboard | None:
    """The dashboard of the logged-in staff user; None for anyone else."""
    request = context.get("request")
    user = getattr(request, "user", None)
    # The admin lets only active staff reach its front page; this is a second lock.
    if user is None or not (user.is_active and user.is_staff):
        return None
    return staff_dashboard(user)
