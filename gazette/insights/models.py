"""What the page-view counts keep: numbers per day, and for the current day only, digests
that tell a visitor already counted from a new one. No address, no user agent, no cookie
value and no referrer is stored anywhere (README, "Insights").
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PageDayQuerySet(models.QuerySet):
    def since(self, day):
        return self.filter(day__gte=day)

    def top_pages(self, limit: int):
        """Paths by visitors, then views: a reader who reloads a page counts once."""
        return (
            self.values("path", "page_id")
            .annotate(views_total=models.Sum("views"), visitors_total=models.Sum("visitors"))
            .order_by("-visitors_total", "-views_total", "path")[:limit]
        )


class PageDay(models.Model):
    """One public page's views on one day (the newsroom's time zone), and how many
    different visitors made them."""

    day = models.DateField(_("day"))
    path = models.CharField(_("path"), max_length=1000)
    # The page the path rendered when it was read: ties a path to an article for "Most
    # read" without a lookup by path at read time.
    page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    views = models.PositiveIntegerField(_("views"), default=0)
    visitors = models.PositiveIntegerField(_("visitors"), default=0)

    objects = PageDayQuerySet.as_manager()

    class Meta:
        verbose_name = _("page's day")
        verbose_name_plural = _("pages' days")
        constraints = [
            models.UniqueConstraint(fields=["day", "path"], name="insights_pageday_day_path")
        ]
        indexes = [models.Index(fields=["day", "page"], name="insights_pageday_day_page")]
        permissions = [("view_insights", _("Can see the page-view figures"))]

    def __str__(self) -> str:
        return f"{self.day} {self.path}"


class SiteDay(models.Model):
    """Different visitors to the whole site on one day (the sum over pages would count a
    reader of three pages three times)."""

    day = models.DateField(_("day"), unique=True)
    visitors = models.PositiveIntegerField(_("visitors"), default=0)

    class Meta:
        verbose_name = _("site's day")
        verbose_name_plural = _("site's days")

    def __str__(self) -> str:
        return str(self.day)


class DailySalt(models.Model):
    """The random salt of the visitor digests of one day. A new day's salt deletes the old
    ones: once it is gone, nobody (us included) can tell whose visit a digest was, nor link
    a reader's visits on two days."""

    day = models.DateField(unique=True)
    salt = models.CharField(max_length=64)

    def __str__(self) -> str:
        return str(self.day)


class Seen(models.Model):
    """A digest already counted today: the visitor on the site, or the visitor on one
    page. Today's rows only; the worker's clock deletes older ones."""

    day = models.DateField()
    digest = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "digest"], name="insights_seen_day_digest")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.digest}"
