from django.urls import path

from . import views, webhooks

app_name = "newsletters"
urlpatterns = [
    path("", views.newsletter_list, name="list"),
    path("signup/", views.signup_view, name="signup"),
    path("confirm/<str:token>/", views.confirm_view, name="confirm"),
    path("<slug:slug>/latest/", views.latest_issue, name="latest"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("webhooks/ses/", webhooks.SESWebhook.as_view(), name="ses_webhook"),
    path("webhooks/postmark/", webhooks.PostmarkWebhook.as_view(), name="postmark_webhook"),
    path("preferences/<str:token>/", views.preferences_view, name="preferences"),
]
