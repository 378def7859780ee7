"""What is sent: an issue of a newsletter and the articles an editor picked for it."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from gazette.newsroom.models import ArticleKind


class Issue(ClusterableModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        SENT = "sent", _("Sent")

    newsletter = models.ForeignKey(
        "newsletters.Newsletter", on_delete=models.PROTECT, related_name="issues"
    )
    subject = models.CharField(_("subject"), max_length=200)
    preheader = models.CharField(
        _("preheader"),
        max_length=200,
        blank=True,
        help_text=_("The line mail programs show after the subject."),
    )
    intro = models.TextField(_("introduction"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("issue")

    def __str__(self) -> str:
        return self.subject

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

    def article_groups(self) -> list[tuple[str, list]]:
        """The picked articles grouped by kind, groups in the newsroom's order of kinds
        (news first), articles in the editor's order within each group."""
        picks = self.articles.select_related("article").order_by("sort_order", "pk")
        groups: dict[str, list] = {}
        for pick in picks:
            groups.setdefault(pick.article.kind, []).append(pick.article)
        return [(kind.label, groups[kind.value]) for kind in ArticleKind if kind.value in groups]


class IssueArticle(Orderable):
    issue = ParentalKey(Issue, on_delete=models.CASCADE, related_name="articles")
    article = models.ForeignKey(
        "newsroom.ArticlePage",
        verbose_name=_("article"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta(Orderable.Meta):
        verbose_name = _("article in an issue")
