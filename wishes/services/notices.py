"""What a claim's sponsor is told about its wish, said the same way by every service."""

from typing import Any

from sponsors.notifications import notify_sponsor
from wishes.models import Claim, Wish
from wishes.privacy.guard import screen_for


def notify_claim_sponsor(claim: Claim, *, wish: Wish, message: str, **context: Any) -> None:
    """Tell the claim's sponsor about its wish: the claim and the wish (and `context`) in the
    mail, the wish's code in the text message, and nothing that names the wish's child."""
    notify_sponsor(
        claim.sponsor,
        message=message,
        context={"claim": claim, "wish": wish, **context},
        sms_params={"code": wish.code},
        screen=screen_for([wish.child]),
    )
