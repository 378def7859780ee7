"""Subscribers in the Wagtail admin: a list with search by address and filters by newsletter
and status, a page per subscriber with their consent, deliveries and suppression, a download
of their data, and the Erase button (``subscribers.erase_subscriber``).

Staff see it with the "view subscriber" permission and erase with "delete subscriber"
(Settings > Groups). Nobody adds or edits a subscriber by hand, superusers included: a
record made in the admin would carry no consent of the reader's.
"""

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django_filters import ChoiceFilter, ModelChoiceFilter
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from gazette.accounts import audit
from gazette.personal_records import (
    DataDownloadView,
    EraseLabelIndexMixin,
    RecordInspectMixin,
    RecordViewSetMixin,
    ViewAndEraseOnly,
)

from .models import Delivery, Newsletter, Subscriber, Subscription, Suppression, normalise_email
from .subscribers import erase_subscriber, subscriber_data

DELIVERIES_SHOWN = 100


register_permission_policy(Subscriber, ViewAndEraseOnly(Subscriber))


class SubscriberFilterSet(WagtailFilterSet):
    newsletter = ModelChoiceFilter(
        label=_("Newsletter"), queryset=Newsletter.objects.all(), method="by_subscription"
    )
    subscription_status = ChoiceFilter(
        label=_("Subscription"), choices=Subscription.Status.choices, method="by_subscription"
    )

    class Meta:
        model = Subscriber
        fields = ["status"]

    def by_subscription(self, queryset, name, value):
        return queryset  # both are applied together, in filter_queryset

    def filter_queryset(self, queryset):
        """Newsletter and subscription status filter one subscription together: "confirmed
        to the weekly", not "confirmed to something, and subscribed to the weekly"."""
        queryset = super().filter_queryset(queryset)
        conditions = {}
        if newsletter := self.form.cleaned_data.get("newsletter"):
            conditions["newsletter"] = newsletter
        if status := self.form.cleaned_data.get("subscription_status"):
            conditions["status"] = status
        if conditions:
            chosen = Subscription.objects.filter(subscriber=OuterRef("pk"), **conditions)
            queryset = queryset.filter(Exists(chosen))
        return queryset


class NewslettersColumn(Column):
    def get_value(self, instance):
        return ", ".join(
            f"{item.newsletter.name} ({item.get_status_display().lower()})"
            for item in instance.subscriptions.all()
        )


class SubscriberIndexView(EraseLabelIndexMixin, generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().prefetch_related("subscriptions__newsletter")

    def search_queryset(self, queryset):
        """A whole address is looked up exactly (the unique index answers at any list
        size); anything else is searched for within addresses."""
        if self.is_searching and "@" in self.search_query:
            try:
                return queryset.filter(email=normalise_email(self.search_query))
            except ValidationError:
                pass
        return super().search_queryset(queryset)


class SubscriberInspectView(RecordInspectMixin, generic.InspectView):
    template_name = "newsletters/admin/subscriber_inspect.html"
    fields = ["email", "name", "language", "status", "created_at"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        subscriber = self.object
        deliveries = Delivery.objects.filter(subscriber=subscriber).select_related(
            "issue__newsletter"
        )
        context.update(
            subscriptions=subscriber.subscriptions.select_related("newsletter").order_by("pk"),
            deliveries=deliveries.order_by("-pk")[:DELIVERIES_SHOWN],
            delivery_count=deliveries.count(),
            suppression=Suppression.objects.filter(email=subscriber.email).first(),
        )
        return context


class SubscriberEraseView(generic.DeleteView):
    template_name = "newsletters/admin/subscriber_erase.html"
    page_title = _("Erase")

    @property
    def confirmation_message(self):
        return _(
            "Erase everything stored about this subscriber: the address, their "
            "subscriptions and consent records, and the record of every newsletter sent to "
            "them? Only a keyed hash of the address is kept, so that it is not imported or "
            "mailed again. This cannot be undone."
        )

    def delete_action(self):
        subscriber_id = self.object.pk
        result = erase_subscriber(self.object.email, user=self.request.user)
        audit.record(
            "privacy.erase",
            request=self.request,
            target_label=f"subscriber {subscriber_id}",
            data={"via": "admin:subscriber", "deliveries": result.deliveries},
        )

    def get_success_message(self):
        # Without the address: messages may be kept in a cookie or the session.
        return _("Subscriber erased.")


class SubscriberDataView(DataDownloadView):
    data_function = staticmethod(lambda subscriber: subscriber_data(subscriber.email))


class SubscriberViewSet(RecordViewSetMixin, ModelViewSet):
    model = Subscriber
    name = "subscriber"
    icon = "mail"
    menu_label = _("Subscribers")
    add_to_admin_menu = True
    menu_order = 250
    inspect_view_enabled = True
    copy_view_enabled = False
    index_view_class = SubscriberIndexView
    inspect_view_class = SubscriberInspectView
    data_view_class = SubscriberDataView
    delete_view_class = SubscriberEraseView
    filterset_class = SubscriberFilterSet
    form_fields = ["name"]  # required by ModelViewSet; its add and edit views refuse everyone
    search_fields = ["email"]
    search_backend_name = None
    ordering = "-created_at"
    list_display = [
        "email",
        "status",
        NewslettersColumn("newsletters", label=_("Newsletters")),
        DateColumn("created_at", label=_("Since")),
    ]


subscriber_viewset = SubscriberViewSet()
