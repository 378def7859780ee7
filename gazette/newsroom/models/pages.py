from array import array

from django.conf import settings
from django.core.paginator import EmptyPage, Paginator
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag
from wagtail.admin.panels import FieldPanel, PageChooserPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField

from gazette.insights.most_read import home_most_read
from gazette.publishing.dependencies import record_shown
from gazette.publishing.session import current as current_session

from ..blocks import RICH_TEXT_FEATURES, PlainBodyBlock
from .articles import ArticlePage
from .authors import Author
from .base import ReaderPage

PAGE_SIZE = 20


def paginate(queryset, number: int, *, key: tuple, allow_empty: bool = True):
    """One page of a listing; pages past the end are 404s, not empty pages.

    In a build, the listing's article ids are fetched once (``key`` names the listing) and
    each page takes its slice, instead of one OFFSET query per page, which costs more the
    deeper the page."""
    session = current_session()
    # A few pages (a publish): one query a page is cheaper than fetching every id.
    bulk = session is not None and session.bulk
    if bulk:
        objects = session.listing(key, lambda: array("q", queryset.values_list("pk", flat=True)))
    else:
        objects = queryset.for_listing()
    paginator = Paginator(objects, PAGE_SIZE, allow_empty_first_page=allow_empty)
    try:
        page = paginator.page(number)
    except EmptyPage as error:
        raise Http404(str(error)) from error
    if bulk:
        # Fetched only if a teaser's HTML is not kept from another listing of the build.
        page.object_list = session.teasers(page.object_list)
    record_shown(page.object_list)
    return page


def fetch_teasers(ids: list[int]) -> list[ArticlePage]:
    """The articles with these ids, ready for teasers (kept for the build, in one)."""
    session = current_session()
    if session is not None:
        return session.teasers(ids)
    return list(ArticlePage.objects.filter(pk__in=ids).for_listing())


class HomePage(RoutablePageMixin, ReaderPage):
    """The front page of one language edition. Also answers /tags/<slug>/ and
    /authors/<slug>/, so those listings exist in every language."""

    lead_article = models.ForeignKey(
        "newsroom.ArticlePage",
        verbose_name=_("lead story"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Leave empty to lead with the newest article."),
    )

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["newsroom.SectionPage", "newsroom.StandardPage", "support.SupportPage"]
    content_panels = [*ReaderPage.content_panels, PageChooserPanel("lead_article")]

    class Meta:
        verbose_name = _("home page")
        verbose_name_plural = _("home pages")

    def sections(self):
        return SectionPage.objects.child_of(self).live().public().in_menu()

    @path("", name="front")
    def front_page(self, request):
        return self.render(request, context_overrides=self.front_page_context())

    def front_page_context(self) -> dict:
        """The lead story, the latest six and four from each section, none twice, and
        the most read. The listings are found as ids, then their articles fetched
        together: one round of teaser queries for the page instead of one per listing."""
        articles = ArticlePage.objects.published().descendant_of(self)
        ids = articles.values_list("pk", flat=True)
        lead = []
        if self.lead_article_id is not None:
            lead = list(ids.filter(pk=self.lead_article_id))
        lead = lead or list(ids[:1])
        latest = list(ids.exclude(pk__in=lead)[:6])
        shown = lead + latest
        blocks = [
            (section, list(ids.child_of(section).exclude(pk__in=shown)[:4]))
            for section in self.sections()
        ]
        # Read most by visitors lately (gazette/insights); may repeat a story shown above.
        most_read = home_most_read(self)
        teasers = {
            article.pk: article
            for article in fetch_teasers(shown + sum((b for _s, b in blocks), []) + most_read)
        }

        def articles_of(block_ids):
            found = [teasers[pk] for pk in block_ids if pk in teasers]
            record_shown(found)
            return found

        return {
            "lead": next(iter(articles_of(lead)), None),
            "latest": articles_of(latest),
            "section_blocks": [(section, articles_of(block)) for section, block in blocks],
            "most_read": articles_of(most_read),
        }

    def _listing(
        self, request, *, listing_path, queryset, number, template, extra, key, allow_empty=True
    ):
        path = listing_path if number == 1 else f"{listing_path}page/{number}/"
        canonical = settings.GAZETTE_BASE_URL + path
        context = {
            **extra,
            "listing_path": listing_path,
            "feed_base": listing_path,
            "canonical_url": canonical,
            # Tags and authors belong to one edition: no translated equivalent to point to.
            "alternates": [(self.locale.language_code, canonical)],
            "articles": paginate(queryset, number, key=key, allow_empty=allow_empty),
        }
        return self.render(request, context_overrides=context, template=template)

    @path("tags/<str:slug>/", name="tag")
    @path("tags/<str:slug>/page/<int:number>/", name="tag")
    def tag_page(self, request, slug, number=1):
        tag = get_object_or_404(Tag, slug=slug)
        queryset = ArticlePage.objects.published().descendant_of(self).tagged([tag.slug])
        return self._listing(
            request,
            key=("tag", self.pk, tag.pk),
            allow_empty=False,  # a tag no article carries any more has no page
            listing_path=f"{self.edition_path()}tags/{tag.slug}/",
            queryset=queryset,
            number=number,
            template="newsroom/tag_page.html",
            extra={
                "tag": tag,
                "meta_title": _("Articles tagged “%(name)s”") % {"name": tag.name},
                "meta_description": _("Articles tagged “%(name)s”") % {"name": tag.name},
            },
        )

    @path("authors/<str:slug>/", name="author")
    @path("authors/<str:slug>/page/<int:number>/", name="author")
    def author_page(self, request, slug, number=1):
        author = get_object_or_404(Author, slug=slug, locale_id=self.locale_id)
        return self._listing(
            request,
            key=("author", self.pk, author.pk),
            listing_path=f"{self.edition_path()}authors/{author.slug}/",
            queryset=ArticlePage.objects.published().descendant_of(self).by_author(author),
            number=number,
            template="newsroom/author_page.html",
            extra={
                "author": author,
                "meta_title": author.name,
                "meta_description": author.bio or author.role or author.name,
            },
        )


class SectionPage(RoutablePageMixin, ReaderPage):
    intro = models.TextField(_("introduction"), blank=True)

    parent_page_types = ["newsroom.HomePage"]
    subpage_types = ["newsroom.ArticlePage"]
    content_panels = [*ReaderPage.content_panels, FieldPanel("intro")]

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def meta_description(self) -> str:
        return self.search_description or self.intro

    @path("", name="first")
    @path("page/<int:number>/", name="page")
    def listing(self, request, number=1):
        articles = ArticlePage.objects.published().child_of(self)
        path = self.relative_path() if number == 1 else f"{self.relative_path()}page/{number}/"
        return self.render(
            request,
            context_overrides={
                "articles": paginate(articles, number, key=("section", self.pk)),
                "canonical_url": settings.GAZETTE_BASE_URL + path,
                "feed_base": self.relative_path(),
            },
        )


class StandardPage(ReaderPage):
    """A plain page: About, Privacy Policy, how to support us."""

    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT_FEATURES)
    body = StreamField(PlainBodyBlock(), verbose_name=_("body"), blank=True)

    parent_page_types = ["newsroom.HomePage", "newsroom.StandardPage"]
    subpage_types = ["newsroom.StandardPage"]
    content_panels = [*ReaderPage.content_panels, FieldPanel("intro"), FieldPanel("body")]

    class Meta:
        verbose_name = _("plain page")
        verbose_name_plural = _("plain pages")
