"""The public archive of sent issues: /newsletters/<slug>/ lists a newsletter's issues,
/newsletters/<slug>/<id>/ is an issue's web version (the email's "Read in your browser"
link), and /newsletters/<slug>/latest/ is the newest one (the signup box's "Preview" link).

These are reader pages: rendered into the page store like articles (``archive_paths`` is part
of the site's paths), linking relatively so that they work on mirrors and onion addresses,
without cookies. /latest/ is a stored copy of the newest issue rather than a redirect, so the
pages that link to it stay as they are when an issue goes out: only the archive is rendered
again (``issue_sent``).
"""

from collections.abc import Iterator

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET
from wagtail.models import Site

from gazette.publishing.dependencies import record_shown

from .models import Issue, Newsletter
from .signup import site_newsletters


def archive_paths() -> Iterator[str]:
    """Every path of the archive, for the page store."""
    newsletters = Newsletter.objects.order_by("pk")
    for newsletter in newsletters:
        yield newsletter.archive_path()
        issues = list(newsletter.sent_issues().only("pk"))
        if issues:
            yield newsletter.latest_path()
        for issue in issues:
            yield newsletter.issue_path(issue)


def issue_sent(issue: Issue) -> None:
    """Put a newly sent issue into the stored archive. The first issue of the newsletter
    the signup box previews also gives every page with the box its "Preview" link, so the
    whole site is rendered then (once in a newsletter's life)."""
    from gazette.publishing.building import schedule_render, schedule_site_build

    newsletter = issue.newsletter
    paths = [newsletter.archive_path(), newsletter.latest_path(), newsletter.issue_path(issue)]
    schedule_render(paths)
    boxed = site_newsletters(newsletter.site_id)[:1]
    first = newsletter.sent_issues().count() == 1
    if first and boxed and boxed[0].pk == newsletter.pk:
        schedule_site_build()


# Views. Each renders the same bytes for every reader (the store keeps them).


def _newsletter(request, slug: str) -> Newsletter:
    site = Site.find_for_request(request) or Site.objects.get(is_default_site=True)
    return get_object_or_404(Newsletter, site=site, slug=slug)


def _page(request, template: str, newsletter: Newsletter, context: dict):
    from gazette.newsroom.models import NewsroomSettings

    from .views import privacy_path

    context = {
        "newsroom": NewsroomSettings.for_request(request),
        "newsletter": newsletter,
        "archive_path": newsletter.archive_path(),
        # The signup form, for the newsletter shown.
        "newsletters": site_newsletters(newsletter.site_id),
        "chosen": [newsletter.slug],
        "source": request.path,
        "privacy_path": privacy_path(request),
        **context,
    }
    return TemplateResponse(request, f"newsletters/{template}", context)


@require_GET
def archive_view(request, slug: str):
    newsletter = _newsletter(request, slug)
    issues = newsletter.sent_issues().only("pk", "subject", "started_at", "finished_at")
    context = {
        "issues": [(issue, newsletter.issue_path(issue)) for issue in issues],
        "canonical_url": settings.GAZETTE_BASE_URL + newsletter.archive_path(),
    }
    return _page(request, "issue_archive.html", newsletter, context)


@require_GET
def issue_view(request, slug: str, issue_id: int):
    newsletter = _newsletter(request, slug)
    issue = get_object_or_404(newsletter.sent_issues(), pk=issue_id)
    return _issue_page(request, newsletter, issue)


@require_GET
def latest_view(request, slug: str):
    """The newest issue, under a path that stays the same from one issue to the next; its
    canonical link names the issue's own path."""
    newsletter = _newsletter(request, slug)
    issue = newsletter.sent_issues().first()
    if issue is None:
        raise Http404
    return _issue_page(request, newsletter, issue)


def _issue_page(request, newsletter: Newsletter, issue: Issue):
    from gazette.newsroom.models import NewsroomSettings
    from gazette.newsroom.models.base import page_path

    groups = issue.article_groups()
    record_shown(article for _label, articles in groups for article in articles)
    context = {
        "issue": issue,
        "groups": [
            (label, [(article, page_path(article)) for article in articles])
            for label, articles in groups
        ],
        "support_path": issue.support_path(NewsroomSettings.for_request(request)),
        "canonical_url": settings.GAZETTE_BASE_URL + newsletter.issue_path(issue),
    }
    return _page(request, "issue_page.html", newsletter, context)
