from django.urls import path

from wishes.school import views as school_views

app_name = "school"

urlpatterns = [
    path("", school_views.overview, name="overview"),
    path("children/<int:pk>/", school_views.child_detail, name="child"),
    path("fulfil/", school_views.fulfil, name="fulfil"),
    path("fulfilments/<int:pk>/photos/", school_views.photos, name="photos"),
    path("fulfilments/<int:pk>/letter/", school_views.letter, name="letter"),
    path("fulfilments/<int:pk>/feedback/", school_views.feedback, name="feedback"),
]
