"""Children, their wishes, claims, fulfilment, letters and the audit trail.

One module per area; everything is re-exported here, so `from wishes.models import Wish`
keeps working and Django finds every model.
"""

from wishes.models.children import (  # noqa: F401
    RENEWAL_DAYS,
    Child,
    ChildQuerySet,
    ChildState,
    Consent,
    ConsentMethod,
    ConsentQuerySet,
    ConsentState,
    Gender,
    GradeBand,
    HardshipCategory,
    PublicLocation,
    school_year_end,
)
from wishes.models.claims import (  # noqa: F401
    LIVE_CLAIM_STATUSES,
    Claim,
    ClaimChannel,
    ClaimStatus,
)
from wishes.models.events import (  # noqa: F401
    MAX_ATTENDEES,
    MAX_EVENT_HOURS,
    Attendee,
    AttendeeStatus,
    Event,
    EventKind,
    EventSignup,
    SignupStatus,
)
from wishes.models.feedback import (  # noqa: F401
    COMMENT_MAX_LENGTH,
    MAX_RATING,
    MIN_RATING,
    Feedback,
    FeedbackRole,
    FeedbackState,
)
from wishes.models.files import (  # noqa: F401
    download_path,
    import_path,
    letter_path,
    photo_path,
)
from wishes.models.fulfilment import (  # noqa: F401
    Fulfilment,
    FulfilmentPhoto,
    LetterStatus,
    PhotoQuerySet,
    PhotoState,
    ThankYouLetter,
)
from wishes.models.handover import (  # noqa: F401
    DropOffPoint,
    GiftReceipt,
    HandoverReminder,
    MissingGift,
    receipt_path,
)
from wishes.models.jobs import (  # noqa: F401
    Download,
    DownloadKind,
    DownloadStatus,
    ScheduledRun,
    ScheduledRunStatus,
)
from wishes.models.places import (  # noqa: F401
    Region,
    RegionKind,
    School,
    SchoolCoordinator,
)
from wishes.models.records import (  # noqa: F401
    AccessAction,
    AccessLog,
    ImportBatch,
    ImportStatus,
    StatusChange,
    YearTotal,
)
from wishes.models.tallies import Tally  # noqa: F401
from wishes.models.wishes import (  # noqa: F401
    PUBLISHED_STATUSES,
    Campaign,
    Wish,
    WishCategory,
    WishQuerySet,
    WishStatus,
)
