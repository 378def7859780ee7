"""Sign-in security in the admin: a link on the account page and in the menu."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem


@hooks.register("register_account_menu_item")
def sign_in_security_link(request):
    return {
        "url": reverse("accounts:security"),
        "label": _("Sign-in security"),
        "help_text": _("Security keys, authenticator apps, recovery codes; sign out everywhere."),
    }


@hooks.register("register_admin_menu_item")
def sign_in_security_menu_item():
    return MenuItem(
        _("Sign-in security"), reverse("accounts:security"), icon_name="key", order=10000
    )
