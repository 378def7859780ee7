"""The support page: the fuller donation form, the notice for readers in high-risk
countries, and the manual methods (bank transfer, cryptocurrency addresses with QR codes
drawn on our server). A stored page like any other: its words come from the page, what it
offers from SupportSettings (so saving those rebuilds the site, wagtail_hooks.py)."""

import segno
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField

from gazette.newsroom.blocks import RICH_TEXT_FEATURES, PlainBodyBlock
from gazette.newsroom.models.base import ReaderPage
from gazette.publishing.session import remember


def qr_svg(text: str, *, title: str) -> str:
    """``text`` as a QR code in inline SVG, drawn here: a QR image from a web service would
    tell that service who looks at our donation addresses. No style attributes (strict CSP);
    sized by CSS through its viewBox."""
    code = segno.make(text, error="m")
    svg = code.svg_inline(scale=4, omitsize=True, title=title, svgclass="crypto-qr")
    return mark_safe(svg)  # noqa: S308 - segno escapes the title; the rest is its own markup


class SupportPage(ReaderPage):
    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT_FEATURES)
    body = StreamField(PlainBodyBlock(), verbose_name=_("body"), blank=True)

    parent_page_types = ["newsroom.HomePage"]
    subpage_types: list[str] = []
    content_panels = [*ReaderPage.content_panels, FieldPanel("intro"), FieldPanel("body")]
    template = "support/support_page.html"

    class Meta:
        verbose_name = _("support page")
        verbose_name_plural = _("support pages")

    def get_context(self, request, *args, **kwargs):
        from .appeal import SupportSettings

        context = super().get_context(request, *args, **kwargs)
        site_id = context["newsroom"].site_id
        support = remember(
            ("support-settings", site_id),
            lambda: SupportSettings.objects.get_or_create(site_id=site_id)[0],
        )
        context["support"] = support
        context["crypto"] = [
            (name, address, qr_svg(address, title=f"{name}: {address}"))
            for name, address in support.crypto_address_list()
        ]
        return context
