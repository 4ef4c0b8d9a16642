from django.urls import path

from sponsors import event_views, notification_views, phone_views, team_views, views

app_name = "sponsors"

urlpatterns = [
    path("sponsors/register/", views.register, name="register"),
    path("sponsors/register/phone/", phone_views.register_phone, name="register_phone"),
    path("sponsor/", views.dashboard, name="dashboard"),
    path("sponsor/claims/<int:pk>/", views.claim_detail, name="claim"),
    path("sponsor/claims/<int:pk>/cancel/", views.cancel_claim, name="cancel_claim"),
    path("sponsor/claims/<int:pk>/feedback/", views.feedback, name="feedback"),
    path("sponsor/claims/<int:pk>/reassign/", team_views.reassign, name="reassign_claim"),
    path("sponsor/events/<int:pk>/", event_views.signup, name="event_signup"),
    path("sponsor/events/<int:pk>/withdraw/", event_views.withdraw, name="withdraw_signup"),
    path("sponsor/hours/", event_views.hours, name="hours"),
    path("sponsor/notifications/", notification_views.notifications, name="notifications"),
    path("sponsor/phone/", phone_views.add_phone, name="add_phone"),
    path("sponsor/phone/code/", phone_views.add_phone_code, name="add_phone_code"),
    path("sponsor/team/", team_views.team, name="team"),
    path("sponsor/team/invites/", team_views.create_invite, name="create_invite"),
    path("sponsor/team/invites/<int:pk>/", team_views.invite_detail, name="invite"),
    path("sponsor/team/invites/<int:pk>/revoke/", team_views.revoke_invite, name="revoke_invite"),
    path(
        "sponsor/team/requests/<int:pk>/<str:answer>/",
        team_views.answer_request,
        name="answer_request",
    ),
    path(
        "sponsor/team/members/<int:pk>/<str:change>/",
        team_views.change_member,
        name="change_member",
    ),
    path("sponsor/team/leave/", team_views.leave_team, name="leave_team"),
    path("sponsor/join/<str:token>/", team_views.join, name="join"),
    path("sponsor/join/<str:token>/signup/", team_views.join_signup, name="join_signup"),
    path("sponsor/certificate/", team_views.certificate, name="certificate"),
    path("sponsor/fulfilled.csv", team_views.fulfilled_list, name="fulfilled_list"),
]
