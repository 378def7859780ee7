"""Sign-in security pages, under the admin path (gazette/urls.py mounts them)."""

from django.urls import include, path
from wagtail.admin.auth import require_admin_access

from . import views

app_name = "accounts"

urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("setup/", views.setup, name="setup"),
    path("setup/app/", views.setup_totp, name="setup_totp"),
    path("", require_admin_access(views.security), name="security"),
    path("recovery-codes/", require_admin_access(views.recovery_codes), name="recovery_codes"),
    path(
        "remove/<str:kind>/<int:pk>/",
        require_admin_access(views.remove_factor),
        name="remove_factor",
    ),
    path(
        "sign-out-everywhere/",
        require_admin_access(views.sign_out_everywhere),
        name="sign_out_everywhere",
    ),
]

webauthn_patterns = [path("webauthn/", include("gazette.accounts.webauthn"))]
