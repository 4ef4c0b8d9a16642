from django.urls import path

from wishes.claiming import views as claim_views
from wishes.public import views

app_name = "wishes"

urlpatterns = [
    path("", views.wish_list, name="list"),
    path("<int:pk>/", views.wish_detail, name="detail"),
    path("<int:pk>/share.png", views.wish_share_image, name="share_image"),
    path("<int:pk>/gift-received/", views.gift_received, name="gift_received"),
    path("<int:pk>/claim/", claim_views.claim, name="claim"),
    path("batch-claim/", claim_views.batch_claim, name="batch_claim"),
    # The campaign's poster for notice boards (PDF) and WeChat groups (PNG).
    path("poster/<int:year>.png", views.campaign_poster_image, name="poster_image"),
    path("poster/<int:year>.pdf", views.campaign_poster_document, name="poster_document"),
]
