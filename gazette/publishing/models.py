from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class StoredPage(models.Model):
    """A path the page store holds, the page it renders (if any) and the articles it shows:
    what tells an article's change which stored pages to render again."""

    path = models.CharField(max_length=1000, unique=True)
    page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shows = models.ManyToManyField("newsroom.ArticlePage", related_name="+", blank=True)
    rendered_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.path


class Lease(models.Model):
    """A named lock held in the database, for databases without advisory locks (SQLite):
    the row's unique name is the lock; an expired lease may be taken over."""

    name = models.CharField(max_length=200, unique=True)
    holder = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class Mirror(models.Model):
    """Another address the site can be read at: a mirror domain or an onion service.
    Listed in every page's footer and in /mirrors.json, so readers can find the site when
    one address is blocked."""

    class Kind(models.TextChoices):
        WEB = "web", _("Mirror domain")
        ONION = "onion", _("Onion service (Tor)")

    address = models.URLField(
        _("address"),
        unique=True,
        help_text=_("e.g. https://lantern-mirror.example/ or http://<56 characters>.onion/"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.WEB)
    note = models.CharField(_("note for readers"), max_length=200, blank=True)
    active = models.BooleanField(_("shown to readers"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("mirror")
        verbose_name_plural = _("mirrors")

    def __str__(self) -> str:
        return self.address

    def clean(self):
        host = urlsplit(self.address).hostname or ""
        if self.kind == self.Kind.ONION and not host.endswith(".onion"):
            raise ValidationError({"address": _("An onion service's address ends in .onion.")})
        if self.kind == self.Kind.WEB and host.endswith(".onion"):
            raise ValidationError({"kind": _("This is an onion address: choose the onion kind.")})
        if self.kind == self.Kind.WEB and not self.address.startswith("https://"):
            raise ValidationError({"address": _("Mirror domains must use https://.")})

    def as_json(self) -> dict:
        return {"address": self.address, "kind": self.kind, "note": self.note}
