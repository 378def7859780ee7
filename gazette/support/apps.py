from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "gazette.support"
    label = "support"
    verbose_name = _("Reader revenue")

    def ready(self):
        from . import checks  # noqa: F401 - registers the system checks
