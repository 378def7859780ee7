"""Admin pieces shared by the records of people kept on request of the law: newsletter
subscribers and donors. Staff may view them, download one person's data and erase them,
but never add or edit one by hand (a record made in the admin would carry none of the
person's consent or payment), superusers included."""

import json

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views import generic
from wagtail.admin.widgets.button import Button
from wagtail.permission_policies import ModelPermissionPolicy

from gazette.accounts import audit

NEVER = ("add", "change")


class ViewAndEraseOnly(ModelPermissionPolicy):
    def user_has_permission(self, user, action):
        return action not in NEVER and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        actions = [action for action in actions if action not in NEVER]
        if not actions:
            return get_user_model().objects.none()
        return super().users_with_any_permission(actions)


class DataDownloadView(generic.InspectView):
    """Everything stored about one person, as a JSON download (an access request):
    ``data_function(instance)`` gives it."""

    data_function = None

    def get(self, request, *args, **kwargs):
        data = type(self).data_function(self.object)
        # Labelled by id, never the address (gazette/accounts/audit.py).
        audit.record(
            "privacy.export",
            request=request,
            target=self.object,
            target_label=f"{self.model._meta.model_name} {self.object.pk}",
            data={"via": f"admin:{self.model._meta.model_name}"},
        )
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
        )
        name = f"{self.model._meta.model_name}-{self.object.pk}-{timezone.localdate()}.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class RecordViewSetMixin:
    """For a ModelViewSet: only the view and delete (erase) permissions, and a ``data``
    URL answered by ``data_view_class``."""

    data_view_class = DataDownloadView

    def get_permissions_to_register(self):
        codenames = [f"{action}_{self.model._meta.model_name}" for action in ("view", "delete")]
        return super().get_permissions_to_register().filter(codename__in=codenames)

    def get_urlpatterns(self):
        data_view = self.construct_view(self.data_view_class, **self.get_inspect_view_kwargs())
        return [*super().get_urlpatterns(), path("data/<int:pk>/", data_view, name="data")]


class EraseLabelIndexMixin:
    """For an IndexView: its Delete button says what it does, Erase."""

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        for button in buttons:
            if button.url == self.get_delete_url(instance):
                button.label = _("Erase")
        return buttons


class RecordInspectMixin:
    """For an InspectView: the Download and Erase buttons in the header."""

    download_label = _("Download their data (JSON)")

    @cached_property
    def header_more_buttons(self):
        buttons = [
            Button(
                self.download_label,
                url=reverse(f"{self.model._meta.model_name}:data", args=(self.object.pk,)),
                icon_name="download",
                priority=10,
            )
        ]
        if delete_url := self.get_delete_url():
            buttons.append(Button(_("Erase"), url=delete_url, icon_name="bin", priority=20))
        return buttons
