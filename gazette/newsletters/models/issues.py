"""What is sent: an issue of a newsletter and the articles an editor picked for it.

The life of an issue (each move is one function in ``gazette.newsletters.actions``)::

    draft --schedule--> scheduled --its time comes (the worker's clock)--> queued
    draft, scheduled, held --send now--> queued
    queued --a worker prepares the deliveries--> sending --nothing left--> sent
    sending --pause--> paused --resume--> sending
    scheduled or queued, not started within the late window --> held (an editor decides)

"Queued" is ``scheduled`` with ``queued_at`` set: a send task has been asked for.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
from wagtail.models import Orderable, PreviewableMixin

from gazette.newsroom.models import ArticleKind


class Issue(PreviewableMixin, ClusterableModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        SENT = "sent", _("Sent")
        HELD = "held", _("Held: its time passed")

    # What an editor may still change: once deliveries exist, every recipient must get the
    # same issue.
    EDITABLE = (Status.DRAFT, Status.SCHEDULED, Status.HELD)

    newsletter = models.ForeignKey(
        "newsletters.Newsletter",
        verbose_name=_("newsletter"),
        on_delete=models.PROTECT,
        related_name="issues",
    )
    subject = models.CharField(_("subject"), max_length=200)
    preheader = models.CharField(
        _("preheader"),
        max_length=200,
        blank=True,
        help_text=_("The line mail programs show after the subject."),
    )
    intro = models.TextField(_("introduction"), blank=True)
    support_block = models.BooleanField(
        _("show the support block"),
        default=True,
        help_text=_("A short appeal at the end of the issue, linking to the support page."),
    )
    support_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("support page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Leave empty for the newsroom's support page (Settings → Newsroom)."),
    )
    support_text = models.CharField(
        _("support text"),
        max_length=300,
        blank=True,
        help_text=_('Leave empty for "Independent journalism depends on its readers."'),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    held_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    panels = [
        FieldPanel("newsletter"),
        FieldPanel("subject"),
        FieldPanel("preheader"),
        FieldPanel("intro"),
        InlinePanel(
            "articles",
            heading=_("Articles"),
            label=_("Article"),
            help_text=_("In the order readers see them; grouped by kind (news first)."),
        ),
        MultiFieldPanel(
            [
                FieldPanel("support_block"),
                PageChooserPanel("support_page"),
                FieldPanel("support_text"),
            ],
            heading=_("Support block"),
        ),
    ]

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        permissions = [("send_issue", _("Can schedule, send and pause issues"))]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    def pause(self) -> bool:
        """Stop a send: workers finish the chunk in hand and claim no more. False if the
        issue was not sending."""
        return self._move(self.Status.SENDING, self.Status.PAUSED)

    def resume(self) -> bool:
        """Let workers claim again (start one, or a task, to go on). False if not paused."""
        return self._move(self.Status.PAUSED, self.Status.SENDING)

    def _move(self, old: str, new: str) -> bool:
        moved = Issue.objects.filter(pk=self.pk, status=old).update(status=new)
        if moved:
            self.status = new
        return bool(moved)

    def late_by(self, now: datetime) -> timedelta | None:
        """How far past its time a scheduled issue is, if by more than the late window: it
        must then wait for an editor (a newsletter that arrives hours late, after the news
        has moved on, does more harm than one a day late with a note)."""
        if self.status != self.Status.SCHEDULED or self.send_at is None:
            return None
        late = now - self.send_at
        window = timedelta(seconds=settings.GAZETTE_NEWSLETTER_LATE_WINDOW)
        return late if late > window else None

    def picks(self) -> list["IssueArticle"]:
        """The picked articles in the editor's order. Works on an issue being edited (its
        picks still in memory, as the admin's preview has them) as well as a saved one."""
        picks = list(self.articles.select_related("article"))
        return sorted(picks, key=lambda pick: (pick.sort_order or 0, pick.pk or 0))

    def article_groups(self) -> list[tuple[str, list]]:
        """The picked live articles grouped by kind, groups in the newsroom's order of kinds
        (news first), articles in the editor's order within each group. An article
        unpublished after it was picked is left out."""
        groups: dict[str, list] = {}
        for pick in self.picks():
            if pick.article.live:
                groups.setdefault(pick.effective_kind, []).append(pick.article)
        return [(kind.label, groups[kind.value]) for kind in ArticleKind if kind.value in groups]

    def support_path(self, newsroom) -> str:
        """The support block's link ('' for no block): the issue's own page or the
        newsroom's (``newsroom``: its NewsroomSettings), if live."""
        from gazette.newsroom.models.base import page_path

        page = (self.support_page or newsroom.support_page) if self.support_block else None
        return page_path(page) if page is not None and page.live else ""

    def unpublished_articles(self) -> list:
        return [pick.article for pick in self.picks() if not pick.article.live]

    # The admin's preview (Wagtail's preview panel and the issue's sending page): the email
    # exactly as the sending engine renders it. ("Email" has a context: Wagtail's own
    # "Email" is an address, which some languages name with another word.)
    @property
    def preview_modes(self):
        return [("html", pgettext_lazy("preview mode", "Email")), ("text", _("Plain text"))]

    @property
    def default_preview_mode(self) -> str:
        return "html"

    def serve_preview(self, request, mode_name):
        from ..messages import preview_parts  # messages renders issues

        html, text = preview_parts(self)
        if mode_name == "text":
            return HttpResponse(text, content_type="text/plain; charset=utf-8")
        return HttpResponse(html)


class IssueArticle(Orderable):
    issue = ParentalKey(Issue, on_delete=models.CASCADE, related_name="articles")
    article = models.ForeignKey(
        "newsroom.ArticlePage",
        verbose_name=_("article"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=ArticleKind.choices,
        blank=True,
        help_text=_("The group it appears in. Leave empty for the article's own kind."),
    )

    panels = [PageChooserPanel("article", "newsroom.ArticlePage"), FieldPanel("kind")]

    class Meta(Orderable.Meta):
        verbose_name = _("article in an issue")
        verbose_name_plural = _("articles in an issue")

    @property
    def effective_kind(self) -> str:
        return self.kind or self.article.kind


class ProposedDraft(models.Model):
    """That the worker proposed a draft of a newsletter for a week: kept apart from the
    issue, so that a draft the editor deleted is not proposed again."""

    newsletter = models.ForeignKey(
        "newsletters.Newsletter", on_delete=models.CASCADE, related_name="+"
    )
    week = models.DateField(help_text="The Monday of the week, in the newsroom's time zone.")
    issue = models.ForeignKey(
        Issue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["newsletter", "week"], name="one_draft_per_week")
        ]
