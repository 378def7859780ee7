"""Donation endpoints, under /donate/ (the support page itself is a stored page)."""

from django.urls import path

from . import webhooks

app_name = "support"
urlpatterns: list = [
    # checkout, test provider, thanks (appeal); manage links (donors)
    path("webhooks/stripe/", webhooks.stripe_webhook, name="stripe_webhook"),
]
