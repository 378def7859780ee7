"""The weekly draft: on the draft day (Thursday) the worker's clock proposes an issue of each
weekly newsletter from the week's published articles, for an editor to cut, reorder and
schedule. One proposal per newsletter and week, however many workers run the clock and
however often; a draft the editor deleted is not proposed again (``ProposedDraft``)."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from gazette.insights.most_read import most_read_ids
from gazette.newsroom.models import ArticleKind, ArticlePage

from .models import Issue, IssueArticle, Newsletter, ProposedDraft
from .scheduling import default_send_at, draft_is_due, week_of

PER_KIND = 3  # a draft offers at most this many articles of each kind...
MOST = 10  # ...and this many in all: the editor cuts, rarely adds
MOST_READ = 3  # the week's most read lead the draft, whatever their kind


def week_articles(newsletter: Newsletter, *, now: datetime) -> list[ArticlePage]:
    """The newsletter's site's articles first published in the seven days before ``now``:
    the week's most read first (gazette/insights), then the newest of each kind, news
    first."""
    root = newsletter.site.root_page
    recent = (
        ArticlePage.objects.published()
        .descendant_of(root)
        .filter(first_published_at__gt=now - timedelta(days=7), first_published_at__lte=now)
        .defer_streamfields()
    )
    read_most = most_read_ids(recent, days=7, limit=MOST_READ, until=timezone.localdate(now))
    articles = {article.pk: article for article in recent}
    ordered = [articles[pk] for pk in read_most if pk in articles]
    by_kind: dict[str, list[ArticlePage]] = {}
    for article in articles.values():
        picked = by_kind.setdefault(article.kind, [])
        if article.pk not in read_most and len(picked) < PER_KIND:
            picked.append(article)
    ordered += [article for kind in ArticleKind for article in by_kind.get(kind.value, [])]
    return ordered[:MOST]


def propose_draft(newsletter: Newsletter, *, now: datetime | None = None) -> Issue | None:
    """This week's draft of ``newsletter``, unless it was proposed already (None then)."""
    now = now or timezone.now()
    week = week_of(now)
    if ProposedDraft.objects.filter(newsletter=newsletter, week=week).exists():
        return None
    articles = week_articles(newsletter, now=now)
    subject = articles[0].title if articles else newsletter.name
    others = "; ".join(article.title for article in articles[1:3])
    try:
        with transaction.atomic():
            # The proposal row first: a second worker that got this far fails here, before
            # it has made an issue.
            proposal = ProposedDraft.objects.create(newsletter=newsletter, week=week)
            issue = Issue.objects.create(
                newsletter=newsletter,
                subject=subject[:200],
                preheader=others[:200],
                send_at=default_send_at(now),
            )
            IssueArticle.objects.bulk_create(
                IssueArticle(issue=issue, article=article, sort_order=number)
                for number, article in enumerate(articles)
            )
            proposal.issue = issue
            proposal.save(update_fields=["issue"])
    except IntegrityError:
        return None
    return issue


def propose_weekly_drafts(*, now: datetime | None = None) -> list[Issue]:
    """The clock's part: propose the drafts that are due and not yet proposed."""
    now = now or timezone.now()
    if not draft_is_due(now):
        return []
    newsletters = Newsletter.objects.filter(kind=Newsletter.Kind.WEEKLY).select_related("site")
    proposed = [propose_draft(newsletter, now=now) for newsletter in newsletters]
    return [issue for issue in proposed if issue is not None]
