from django.urls import path

from wishes.reports import impact_views, year_report_views

app_name = "impact"

urlpatterns = [
    path("", impact_views.impact, name="index"),
    path("data/<slug:key>.csv", impact_views.impact_csv, name="csv"),
    path("data.xlsx", impact_views.impact_xlsx, name="xlsx"),
    path("year-report/", year_report_views.year_report_page, name="year_report"),
]
