from django.urls import path

from wishes.reports import impact_views

app_name = "impact"

urlpatterns = [
    path("", impact_views.impact, name="index"),
]
