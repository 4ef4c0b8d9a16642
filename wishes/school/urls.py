from django.urls import path

from wishes.school import event_views
from wishes.school import views as school_views

app_name = "school"

urlpatterns = [
    path("", school_views.overview, name="overview"),
    path("children/<int:pk>/", school_views.child_detail, name="child"),
    path("fulfil/", school_views.fulfil, name="fulfil"),
    path("fulfilments/<int:pk>/photos/", school_views.photos, name="photos"),
    path("fulfilments/<int:pk>/letter/", school_views.letter, name="letter"),
    path("events/<int:pk>/", event_views.signups, name="event_signups"),
    path("events/<int:pk>/roster.pdf", event_views.roster, name="event_roster"),
    path("events/<int:pk>/check-in/", event_views.check_in, name="event_check_in"),
    path("events/<int:pk>/check-in/<int:attendee>/", event_views.tick, name="event_tick"),
    path("fulfilments/<int:pk>/feedback/", school_views.feedback, name="feedback"),
]
