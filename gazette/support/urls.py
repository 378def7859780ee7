"""Donation endpoints, under /donate/ (the support page itself is a stored page)."""

from django.urls import path  # noqa: F401 - the patterns below use it

app_name = "support"
urlpatterns: list = [
    # checkout, test provider, thanks (appeal); webhooks (Stripe); manage links (donors)
]
