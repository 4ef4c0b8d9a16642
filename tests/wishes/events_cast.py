"""What the event tests share: the markers planted in the child's private fields, and the
membership of a user; the fixtures (`event`, `later_event`, `colleague`) are in conftest."""

from sponsors.models import SponsorMember

# Planted in the child's private fields: none may reach a roster.
REAL_NAME = "秘真名RNX9"
GUARDIAN = "秘监护人GNX9"
ADDRESS = "秘地址ADX9"
ALIAS = "小树苗"


def unit_of(user) -> SponsorMember:
    return SponsorMember.objects.select_related("sponsor").get(user=user)
