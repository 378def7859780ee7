"""Donors in the Wagtail admin, for fundraising staff answering donor requests: a list
that names no one (id, first gift, last activity, running gifts), a page per donor where
the email and name are opened, a download of their data (an access request) and the Erase
button. Both call ``donor_records``, as `gazette support export` and `erase` do.

Staff see it with the "view donor" permission and erase with "delete donor" (Settings >
Groups). Nobody adds or edits a donor by hand: donors come only from the payment provider.
The list is searched by a whole email address, through the lookup hash (the addresses are
sealed, so no partial match is possible).
"""

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log
from wagtail.permissions import register_permission_policy

from gazette.accounts import audit
from gazette.personal_records import (
    DataDownloadView,
    EraseLabelIndexMixin,
    RecordInspectMixin,
    RecordViewSetMixin,
    ViewAndEraseOnly,
)

from .donor_records import StillActive, donor_data, erase_donor
from .models import Donor, Gift

LOG_ACTION = "gazette_support.erase_donor"


register_permission_policy(Donor, ViewAndEraseOnly(Donor))


class DonorIndexView(EraseLabelIndexMixin, generic.IndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .annotate(active_gifts=Count("gifts", filter=Q(gifts__status=Gift.Status.ACTIVE)))
        )

    def search_queryset(self, queryset):
        """Only a whole address finds a donor (by its keyed hash); a number finds the id."""
        if not self.is_searching:
            return queryset
        query = self.search_query.strip()
        if query.isdigit():
            return queryset.filter(pk=int(query))
        return queryset.filter(pk__in=Donor.objects.for_email(query).values("pk"))


class DonorInspectView(RecordInspectMixin, generic.InspectView):
    template_name = "support/admin/donor_inspect.html"
    # The email and name are opened in the template: they are not model fields.
    fields = ["language", "customer_id", "created_at", "last_activity_at"]

    download_label = _("Export their data (JSON)")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["gifts"] = (
            self.object.gifts.select_related("article")
            .prefetch_related("payments")
            .order_by("-created_at")
        )
        return context


class DonorEraseView(generic.DeleteView):
    template_name = "newsletters/admin/subscriber_erase.html"  # "Yes, erase" / "No, keep it"
    page_title = _("Erase")

    @property
    def confirmation_message(self):
        return _(
            "Erase this donor? Their recurring gifts are stopped at the payment provider "
            "first. Their email, name and the provider's ids are deleted; the amounts and "
            "dates of their gifts stay for the accounts, linked to no one. This cannot be "
            "undone."
        )

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except StillActive as error:
            messages.error(self.request, str(error))
            return redirect(self.get_success_url())

    def delete_action(self):
        donor = self.object
        result = erase_donor(donor)
        # Labelled by id: the audit log must not keep the address erasure removed.
        data = {"gifts": result.gifts, "payments": result.payments, "stopped": result.cancelled}
        log(
            donor,
            LOG_ACTION,
            user=self.request.user,
            title=f"donor {donor.pk}",
            data=data,
            deleted=True,
        )
        audit.record(
            "privacy.erase",
            request=self.request,
            target_label=f"donor {donor.pk}",
            data={"via": "admin:donor", **data},
        )

    def get_success_message(self):
        # Without the address: messages may be kept in a cookie or the session.
        return _("Donor erased.")


class DonorDataView(DataDownloadView):
    data_function = staticmethod(donor_data)


class DonorViewSet(RecordViewSetMixin, ModelViewSet):
    model = Donor
    name = "donor"
    icon = "user"
    menu_label = _("Donors")
    add_to_admin_menu = True
    menu_order = 260
    inspect_view_enabled = True
    copy_view_enabled = False
    index_view_class = DonorIndexView
    inspect_view_class = DonorInspectView
    data_view_class = DonorDataView
    delete_view_class = DonorEraseView
    form_fields = ["language"]  # required by ModelViewSet; its add and edit views refuse all
    search_fields = ["email_digest"]  # enables the search box; DonorIndexView does the search
    search_backend_name = None
    ordering = "-last_activity_at"
    list_display = [
        "__str__",  # "Donor 12", linked to the donor's page
        DateColumn("created_at", label=_("First gift")),
        DateColumn("last_activity_at", label=_("Last activity")),
        Column("active_gifts", label=_("Active gifts")),
    ]


donor_viewset = DonorViewSet()
