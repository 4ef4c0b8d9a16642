from django.urls import path

from wishes import school_views

app_name = "school"

urlpatterns = [
    path("", school_views.overview, name="overview"),
]
