from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.models import TranslatableMixin
from wagtail.search import index


class Author(TranslatableMixin, index.Indexed, models.Model):
    """A byline. Separate from staff accounts: it can be a pseudonym, a desk or "Staff"."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, allow_unicode=True)
    role = models.CharField(
        _("role"), max_length=120, blank=True, help_text=_("e.g. Economics correspondent")
    )
    bio = models.TextField(_("biography"), blank=True)
    is_organisation = models.BooleanField(
        _("is a desk or organisation"),
        default=False,
        help_text=_('Tick for bylines such as "Staff" or a wire agency, not a person.'),
    )

    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("author")
        verbose_name_plural = _("authors")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["locale", "slug"], name="author_slug_per_locale")
        ]

    def __str__(self) -> str:
        return self.name

    def schema_org(self) -> dict:
        return {"@type": "Organization" if self.is_organisation else "Person", "name": self.name}
