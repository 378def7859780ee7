"""Donation endpoints, under /donate/ (the support page itself is a stored page)."""

from django.urls import path

from . import checkout, donors, webhooks
from .providers import testmode

app_name = "support"
urlpatterns: list = [
    # The appeal's checkout, the test provider, the thank-you (checkout.py, testmode.py).
    path("checkout/", checkout.checkout_view, name="checkout"),
    path("thanks/<str:token>/", checkout.thanks_view, name="thanks"),
    path("test/<str:token>/", testmode.checkout_view, name="test_checkout"),
    path("webhooks/stripe/", webhooks.stripe_webhook, name="stripe_webhook"),
    # The donor's own pages (donors.py).
    path("manage/", donors.request_link_view, name="manage_request"),
    path("manage/<str:token>/", donors.manage_view, name="manage"),
    path("manage/<str:token>/cancel/<int:gift_id>/", donors.cancel_view, name="manage_cancel"),
]
