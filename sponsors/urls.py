from django.urls import path

from sponsors import views

app_name = "sponsors"

urlpatterns = [
    path("sponsors/register/", views.register, name="register"),
    path("sponsor/", views.dashboard, name="dashboard"),
    path("sponsor/claims/<int:pk>/", views.claim_detail, name="claim"),
    path("sponsor/claims/<int:pk>/cancel/", views.cancel_claim, name="cancel_claim"),
]
