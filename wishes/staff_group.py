"""The association's staff group and its permissions, kept in step after every migrate."""

from django.contrib.auth.models import Group, Permission

STAFF_GROUP = "association_staff"

# Staff may view, add and change every domain model; nobody may delete one (records are
# withdrawn, not deleted).
STAFF_APPS = ("wishes", "sponsors")
# Dedicated permissions, given to chosen users one by one and never to the whole group:
# erasing a child's data at the guardian's request cannot be undone.
DEDICATED_PERMISSIONS = ("erase_child",)


def ensure_staff_group() -> Group:
    """Create or update the staff group; idempotent."""
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    permissions = (
        Permission.objects.filter(content_type__app_label__in=STAFF_APPS)
        .exclude(codename__startswith="delete_")
        .exclude(codename__in=DEDICATED_PERMISSIONS)
    )
    user_permissions = Permission.objects.filter(
        content_type__app_label="auth",
        codename__in=["view_user", "add_user", "change_user", "view_group"],
    )
    group.permissions.set([*permissions, *user_permissions])
    return group
