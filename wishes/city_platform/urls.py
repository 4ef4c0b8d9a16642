from django.urls import path

from wishes.city_platform import views as feed_views

app_name = "feed"

urlpatterns = [
    path("wishes.json", feed_views.wishes_feed, name="wishes"),
]
