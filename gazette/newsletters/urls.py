from django.urls import path

from . import archive, views, webhooks

app_name = "newsletters"
urlpatterns = [
    path("", views.newsletter_list, name="list"),
    path("signup/", views.signup_view, name="signup"),
    path("confirm/<str:token>/", views.confirm_view, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("webhooks/ses/", webhooks.SESWebhook.as_view(), name="ses_webhook"),
    path("webhooks/postmark/", webhooks.PostmarkWebhook.as_view(), name="postmark_webhook"),
    path("preferences/<str:token>/", views.preferences_view, name="preferences"),
    # The public archive (archive.py); newsletter slugs that would clash with the paths
    # above are refused (Newsletter.clean).
    path("<slug:slug>/", archive.archive_view, name="archive"),
    path("<slug:slug>/latest/", archive.latest_view, name="latest"),
    path("<slug:slug>/<int:issue_id>/", archive.issue_view, name="issue"),
]
