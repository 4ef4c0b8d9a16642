from django.urls import path

from wishes.files import views as media_views

app_name = "files"

urlpatterns = [
    path("photos/<int:pk>/", media_views.photo, name="photo"),
    path("photos/<int:pk>/thumbnail/", media_views.photo_thumbnail, name="photo_thumbnail"),
    path("letters/<int:pk>/", media_views.letter_scan, name="letter_scan"),
    path("letters/<int:pk>/preview/", media_views.letter_preview, name="letter_preview"),
]
