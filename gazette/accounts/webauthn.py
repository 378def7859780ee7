"""django-otp-webauthn's endpoints, with our audit entries and session marks.

Mounted under the admin path with the package's own namespace and names, so its template
tags and JavaScript find them there (gazette/accounts/urls.py).
"""

import json

from django.conf import settings
from django.urls import path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

from . import factors, signin

app_name = "otp_webauthn"


class CompleteRegistration(views.CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        first = not self.request.user.is_verified()
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            device = WebAuthnCredential.objects.get(pk=json.loads(response.content)["id"])
            factors.added(device, request=self.request)
            if first:
                signin.verified(self.request, device, method="webauthn")
        return response


class CompleteAuthentication(views.CompleteCredentialAuthenticationView):
    def complete_auth(self, device):
        super().complete_auth(device)
        signin.verified(self.request, device, method="webauthn")

    def get_success_url(self):
        from .views import next_url

        return next_url(self.request)


class Helper(WebAuthnHelper):
    """The relying party is the host the admin was reached on (Django has checked it
    against ALLOWED_HOSTS): a newsroom's admin may be reached on its onion address as well
    as its domain, and keys registered on one belong to that one. Browsers refuse an IP
    address as a relying party, so keys need a host name (http://localhost for the demo)."""

    def get_relying_party_domain(self) -> str:
        return self.request.get_host().rsplit(":", 1)[0]

    def get_relying_party_name(self) -> str:
        return settings.WAGTAIL_SITE_NAME

    def get_allowed_origins(self) -> list[str]:
        origin = f"{self.request.scheme}://{self.request.get_host()}"
        return [*settings.OTP_WEBAUTHN_ALLOWED_ORIGINS, origin]


urlpatterns = [
    path(
        "registration/begin/",
        views.BeginCredentialRegistrationView.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        CompleteRegistration.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        views.BeginCredentialAuthenticationView.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        CompleteAuthentication.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
