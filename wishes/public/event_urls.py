from django.urls import path

from wishes.public import events as event_views

app_name = "events"

urlpatterns = [
    path("", event_views.event_list, name="list"),
    path("<int:pk>/", event_views.event_detail, name="detail"),
]
