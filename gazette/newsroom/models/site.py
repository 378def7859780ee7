from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, PageChooserPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting


@register_setting(icon="site")
class NewsroomSettings(BaseSiteSetting):
    """Who the newsroom is; shown in every page's header, footer and metadata."""

    name = models.CharField(_("newsroom name"), max_length=120, default="Gazette")
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    support_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("support page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_('Where the "Support us" banner leads.'),
    )
    privacy_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("privacy policy page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    about_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("about page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("tagline"),
        PageChooserPanel("support_page"),
        PageChooserPanel("about_page"),
        PageChooserPanel("privacy_page"),
    ]

    class Meta:
        verbose_name = _("newsroom")
        verbose_name_plural = _("newsroom settings")
