"""Donation endpoints, under /donate/ (the support page itself is a stored page)."""

from django.urls import path

from . import donors, webhooks

app_name = "support"
urlpatterns: list = [
    # checkout, test provider, thanks (appeal)
    path("webhooks/stripe/", webhooks.stripe_webhook, name="stripe_webhook"),
    # The donor's own pages (donors.py).
    path("manage/", donors.request_link_view, name="manage_request"),
    path("manage/<str:token>/", donors.manage_view, name="manage"),
    path("manage/<str:token>/cancel/<int:gift_id>/", donors.cancel_view, name="manage_cancel"),
]
