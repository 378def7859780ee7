from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewslettersConfig(AppConfig):
    name = "gazette.newsletters"
    label = "newsletters"
    verbose_name = _("Newsletters")

    def ready(self):
        # anymail's tracking signal is how its webhook views hand over provider events;
        # the receiver only passes them on to bounces.record_event.
        from anymail.signals import tracking

        from .webhooks import on_tracking

        tracking.connect(on_tracking, dispatch_uid="gazette.newsletters.bounces")
