import json
from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.db.models import Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, TitleFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page, PageManager
from wagtail.query import PageQuerySet
from wagtail.search import index

from gazette.publishing.dependencies import record_shown
from gazette.publishing.session import current as current_session
from gazette.publishing.session import remember

from ..blocks import ArticleBodyBlock
from .base import ReaderPage, rendition_of

_NEVER = datetime.min.replace(tzinfo=UTC)

# JSON inside <script>: escape what could end the element, as Django's json_script does.
_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


# Newest first, the larger id first among equals. The id is the page table's own (Django's
# "pk" would name the article table's page_ptr_id), so that the database can walk the index
# on first_published_at, which ends in that id, and stop after a page's worth: a section's
# newest four articles at 100,000 articles take 4 ms instead of 200 ms on SQLite.
NEWEST_FIRST = (
    models.F("first_published_at").desc(),
    RawSQL('"wagtailcore_page"."id"', ()).desc(),
)


FEW_TAGGED = 2000


class ArticleKind(models.TextChoices):
    NEWS = "news", _("News")
    FEATURE = "feature", _("Feature")
    ANALYSIS = "analysis", _("Analysis")
    OPINION = "opinion", _("Opinion")
    INTERVIEW = "interview", _("Interview")


class ArticleQuerySet(PageQuerySet):
    def published(self):
        """Live, public articles, newest first."""
        return self.live().public().order_by(*NEWEST_FIRST)

    def for_listing(self):
        """What a teaser or a feed item needs, fetched in a fixed number of queries; not the
        body, which would make a listing of 20 read 20 whole articles."""
        return self.for_page().defer_streamfields()

    def for_page(self):
        """What an article's own page needs besides its body, in a fixed number of queries."""
        return self.select_related("lead_image", "locale").prefetch_related(
            "bylines__author", "tagged_items__tag", "lead_image__renditions"
        )

    # Subqueries rather than joins with DISTINCT, which PostgreSQL would run over whole page
    # rows, bodies included.
    def tagged(self, tag_slugs):
        return self._carrying(ArticleTag.objects.filter(tag__slug__in=tag_slugs))

    def with_tag_ids(self, tag_ids):
        return self._carrying(ArticleTag.objects.filter(tag_id__in=tag_ids))

    def _carrying(self, links):
        # Few articles carry the tags: name them, so the database sorts only those. Many:
        # a subquery, so it walks the newest articles and stops after a page's worth
        # (which, for a rare tag, would mean walking the whole archive).
        if links.count() <= FEW_TAGGED:
            return self.filter(pk__in=list(links.values_list("content_object_id", flat=True)))
        return self.filter(pk__in=links.values("content_object_id"))

    def by_author(self, author):
        return self.filter(pk__in=ArticleByline.objects.filter(author=author).values("page_id"))


ArticleManager = PageManager.from_queryset(ArticleQuerySet)


class ArticleTag(TaggedItemBase):
    content_object = ParentalKey(
        "newsroom.ArticlePage", on_delete=models.CASCADE, related_name="tagged_items"
    )


class ArticleByline(Orderable):
    page = ParentalKey("newsroom.ArticlePage", on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(
        "newsroom.Author", verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )

    panels = [FieldPanel("author")]


class ArticlePage(ReaderPage):
    standfirst = models.TextField(
        _("standfirst"), max_length=400, help_text=_("One or two sentences under the headline.")
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=ArticleKind.choices, default=ArticleKind.NEWS
    )
    dateline = models.CharField(
        _("dateline"),
        max_length=80,
        blank=True,
        help_text=_("Where it was reported from, e.g. RIGA"),
    )
    lead_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("lead image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lead_image_caption = models.CharField(_("lead image caption"), max_length=400, blank=True)
    lead_image_credit = models.CharField(_("lead image credit"), max_length=200, blank=True)
    body = StreamField(ArticleBodyBlock(), verbose_name=_("body"))
    source_credit = models.CharField(
        _("source credit"),
        max_length=200,
        blank=True,
        help_text=_('A wire agency or another outlet, e.g. "With reporting by Baltic Wire".'),
    )
    tags = ClusterTaggableManager(through=ArticleTag, blank=True, verbose_name=_("tags"))

    objects = ArticleManager()
    change_shows_everywhere = False

    parent_page_types = ["newsroom.SectionPage"]
    subpage_types: list[str] = []

    content_panels = [
        TitleFieldPanel("title", heading=_("Headline")),
        FieldPanel("standfirst"),
        FieldPanel("kind"),
        InlinePanel("bylines", label=_("Byline"), min_num=1),
        FieldPanel("dateline"),
        MultiFieldPanel(
            [
                FieldPanel("lead_image"),
                FieldPanel("lead_image_caption"),
                FieldPanel("lead_image_credit"),
            ],
            heading=_("Lead image"),
        ),
        FieldPanel("body"),
        FieldPanel("source_credit"),
        FieldPanel("tags"),
    ]

    search_fields = [
        *Page.search_fields,
        index.SearchField("standfirst"),
        index.SearchField("body"),
        index.FilterField("kind"),
    ]

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    @cached_property
    def authors(self):
        return [byline.author for byline in self.bylines.all()]

    @cached_property
    def tag_list(self) -> list:
        """The tags in the order the editor added them (one query, none when prefetched
        with ``for_listing()``)."""
        items = sorted(self.tagged_items.all(), key=lambda item: item.pk or 0)
        return [item.tag for item in items]

    def stored_paths(self) -> set[str]:
        from gazette.publishing.paths import paths_for_article

        return paths_for_article(self)

    def tag_links(self) -> list[tuple[str, str]]:
        prefix = self.edition_path()
        return [(tag.name, f"{prefix}tags/{tag.slug}/") for tag in self.tag_list]

    def byline_links(self) -> list[tuple[str, str]]:
        prefix = self.edition_path()
        return [(author.name, f"{prefix}authors/{author.slug}/") for author in self.authors]

    @cached_property
    def section(self):
        parent_path = self.path[: -self.steplen]
        return remember(("page-at", parent_path), lambda: self.get_parent().specific)

    @property
    def kind_label(self) -> str:
        """The kind, shown beside the section unless it would only repeat it
        (news in News, an opinion piece in Opinion)."""
        if self.kind == ArticleKind.NEWS or self.section.slug.startswith(self.kind):
            return ""
        return self.get_kind_display()

    @property
    def lead_image_alt(self) -> str:
        """The caption already describes the picture to everyone; alt text would repeat it."""
        if self.lead_image is None or self.lead_image_caption:
            return ""
        return self.lead_image.description or ""

    @property
    def was_updated(self) -> bool:
        """Shown as "Updated" only when a later publish came well after the first one."""
        first, last = self.first_published_at, self.last_published_at
        return bool(first and last and (last - first).total_seconds() > 600)

    def meta_description(self) -> str:
        return self.search_description or self.standfirst

    def social_image(self):
        return self.lead_image

    def related_articles(self, limit: int = 4) -> list["ArticlePage"]:
        """'Read more': articles sharing a tag, then from the same section; newest first,
        never this one."""
        session = current_session()
        if session is not None and session.bulk:
            picked = session.teasers(self.related_ids(limit))
            record_shown(picked)
            return picked
        published = (
            ArticlePage.objects.published().filter(locale_id=self.locale_id).exclude(pk=self.pk)
        )
        tag_ids = [tag.pk for tag in self.tag_list]
        picked = list(published.with_tag_ids(tag_ids).for_listing()[:limit]) if tag_ids else []
        if len(picked) < limit:
            picked += list(
                published.child_of(self.get_parent())
                .exclude(pk__in=[page.pk for page in picked])
                .for_listing()[: limit - len(picked)]
            )
        record_shown(picked)
        return picked

    def related_ids(self, limit: int = 4) -> list[int]:
        """What ``related_articles`` picks, from the newest few articles of each tag and
        section, found once per build: the newest ``limit`` articles sharing a tag with this
        one are each among the newest ``limit + 1`` of that tag (this one may be there too)."""
        by_tag = remember(
            ("related-by-tag", self.locale_id, limit),
            lambda: newest_by_tag(self.locale_id, limit + 1),
        )
        candidates = {}
        for tag in self.tag_list:
            for when, pk in by_tag.get(tag.pk, ()):
                if pk != self.pk:
                    candidates[pk] = when
        ranked = sorted(candidates.items(), key=lambda item: (item[1], item[0]), reverse=True)
        picked = [pk for pk, _when in ranked[:limit]]
        if len(picked) < limit:
            parent_path = self.path[: -self.steplen]
            in_section = remember(
                ("related-in-section", parent_path, limit),
                lambda: newest_in_section(parent_path, 2 * limit + 1),
            )
            for _when, pk in in_section:
                if len(picked) == limit:
                    break
                if pk != self.pk and pk not in picked:
                    picked.append(pk)
        return picked

    def structured_data_json(self) -> str:
        """schema.org NewsArticle as JSON-LD (https://schema.org/NewsArticle,
        https://developers.google.com/search/docs/appearance/structured-data/article)."""
        base = settings.GAZETTE_BASE_URL
        newsroom = self.newsroom_settings()
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "mainEntityOfPage": {"@type": "WebPage", "@id": self.canonical_url()},
            "headline": self.title[:110],
            "description": self.meta_description(),
            "inLanguage": self.locale.language_code,
            "articleSection": self.section.title,
            "datePublished": self.first_published_at.isoformat()
            if self.first_published_at
            else None,
            "dateModified": (self.last_published_at or self.first_published_at).isoformat()
            if self.first_published_at
            else None,
            "author": [author.schema_org() for author in self.authors],
            "publisher": {
                "@type": "NewsMediaOrganization",
                "name": newsroom.name,
                "url": base + "/",
            },
            "isAccessibleForFree": True,
        }
        if self.lead_image:
            data["image"] = [base + rendition_of(self.lead_image, "fill-1200x675").url]
        tags = [tag.name for tag in self.tag_list]
        if tags:
            data["keywords"] = tags
        if self.dateline:
            data["dateline"] = self.dateline
        if self.source_credit:
            data["creditText"] = self.source_credit
        text = json.dumps({k: v for k, v in data.items() if v is not None}, ensure_ascii=False)
        return mark_safe(text.translate(_JSON_SCRIPT_ESCAPES))  # noqa: S308 - escaped above


def newest_by_tag(locale_id: int, count: int) -> dict[int, list[tuple]]:
    """Each tag's newest ``count`` published articles in one language, as
    (first_published_at, id), in one query for all tags."""
    published = ArticlePage.objects.published().filter(locale_id=locale_id)
    rows = (
        ArticleTag.objects.filter(content_object__in=published.order_by().values("pk"))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[models.F("tag_id")],
                order_by=[
                    models.F("content_object__first_published_at").desc(),
                    models.F("content_object_id").desc(),
                ],
            )
        )
        .filter(rank__lte=count)
        .values_list("tag_id", "content_object__first_published_at", "content_object_id")
    )
    newest: dict[int, list[tuple]] = {}
    for tag_id, when, pk in rows:
        newest.setdefault(tag_id, []).append((when or _NEVER, pk))
    return newest


def newest_in_section(section_path: str, count: int) -> list[tuple]:
    articles = ArticlePage.objects.published().filter(
        path__startswith=section_path, depth=len(section_path) // Page.steplen + 1
    )
    return [
        (when or _NEVER, pk)
        for when, pk in articles.values_list("first_published_at", "pk")[:count]
    ]
