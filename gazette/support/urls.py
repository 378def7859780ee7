"""Donation endpoints, under /donate/ (the support page itself is a stored page)."""

from django.urls import path

from . import checkout
from .providers import testmode

app_name = "support"
urlpatterns: list = [
    path("checkout/", checkout.checkout_view, name="checkout"),
    path("thanks/<str:token>/", checkout.thanks_view, name="thanks"),
    path("test/<str:token>/", testmode.checkout_view, name="test_checkout"),
    # webhooks (Stripe); manage links (donors)
]
