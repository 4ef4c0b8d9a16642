from django.urls import path

from wishes import views

app_name = "wishes"

urlpatterns = [
    path("", views.wish_list, name="list"),
    path("<int:pk>/", views.wish_detail, name="detail"),
]
