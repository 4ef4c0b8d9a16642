from django.urls import path

from wishes.files import views as file_views

app_name = "files"

urlpatterns = [
    path("photos/<int:pk>/", file_views.photo, name="photo"),
    path("photos/<int:pk>/thumbnail/", file_views.photo_thumbnail, name="photo_thumbnail"),
    path("letters/<int:pk>/", file_views.letter_scan, name="letter_scan"),
    path("letters/<int:pk>/preview/", file_views.letter_preview, name="letter_preview"),
    path("letters/<int:pk>/draft/", file_views.letter_draft, name="letter_draft"),
    path("consents/<int:pk>/signed-form/", file_views.signed_form, name="signed_form"),
    path("receipts/<int:pk>/parcel/", file_views.parcel_photo, name="parcel_photo"),
]
