from urllib.parse import quote

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language_info
from wagtail.models import Locale, Page, Site

from gazette.publishing import building
from gazette.publishing.mirrorlist import active_mirrors
from gazette.publishing.models import StoredPage
from gazette.publishing.session import current as current_session
from gazette.publishing.session import remember
from gazette.publishing.store import URL_SAFE

from .site import NewsroomSettings


class ReaderPage(Page):
    """What every public page shares: metadata, the canonical link and language alternates.

    Pages must work on any hostname (mirrors, onion addresses), so links inside them are
    relative; only the canonical link and Open Graph URLs name the primary domain.
    """

    # Sections, home and plain pages appear in every page's header or footer, so a change
    # to one of them rebuilds the site; an article's change touches only what shows it.
    change_shows_everywhere = True

    class Meta:
        abstract = True

    # Every change a reader could see goes through these, whether made in the admin, by the
    # scheduled-publishing clock or by code; each queues the page store's rebuild.
    def publish(self, revision, *args, **kwargs):
        result = super().publish(revision, *args, **kwargs)
        building.schedule_rebuild(self.pk)
        return result

    def unpublish(self, *args, **kwargs):
        result = super().unpublish(*args, **kwargs)
        building.schedule_rebuild(self.pk)
        return result

    def move(self, *args, **kwargs):
        result = super().move(*args, **kwargs)
        building.schedule_rebuild(self.pk)
        return result

    def delete(self, *args, **kwargs):
        paths = self.stored_paths()
        result = super().delete(*args, **kwargs)
        building.schedule_render(paths)
        if self.change_shows_everywhere:
            building.schedule_site_build()
        return result

    def stored_paths(self) -> set[str]:
        """The stored pages that show this page (rendered again when it goes away)."""
        return set(StoredPage.objects.filter(page_id=self.pk).values_list("path", flat=True))

    def relative_path(self) -> str:
        """The page's path on any host: '/news/slug/' or '/ru/news/slug/'."""
        return page_path(self)

    def canonical_url(self) -> str:
        return settings.GAZETTE_BASE_URL + self.relative_path()

    def meta_description(self) -> str:
        return self.search_description

    def social_image(self):
        return None

    def social_image_meta(self) -> dict | None:
        """Open Graph image: absolute URL on the primary domain, with its size."""
        image = self.social_image()
        if image is None:
            return None
        rendition = rendition_of(image, "fill-1200x630")
        return {
            "url": settings.GAZETTE_BASE_URL + rendition.url,
            "width": rendition.width,
            "height": rendition.height,
        }

    def newsroom_settings(self, request=None) -> NewsroomSettings:
        if request is not None:
            return remember(
                ("newsroom-settings", request.get_host()),
                lambda: NewsroomSettings.for_request(request),
            )
        site_root = self.path[: 2 * self.steplen]
        return remember(
            ("newsroom-settings", site_root), lambda: NewsroomSettings.for_site(self.get_site())
        )

    def live_translations(self) -> list[tuple[int, str, str]]:
        """(locale id, language code, path) of every live translation, this page included.
        A build fetches these for many pages at once (see ``prefetch_translations``)."""
        return remember(("translations", self.translation_key), self._live_translations)

    def _live_translations(self) -> list[tuple[int, str, str]]:
        pages = self.get_translations(inclusive=True).live().select_related("locale")
        return translation_rows(pages)

    def language_alternates(self) -> list[tuple[str, str]]:
        """(language code, URL) of every live translation, this page included, for hreflang."""
        return [
            (code, settings.GAZETTE_BASE_URL + path) for _id, code, path in self.live_translations()
        ]

    def edition_path(self) -> str:
        """Path of this language edition's front page: '/' or '/ru/'."""
        return front_page_path(self.locale.language_code)

    def edition(self):
        """This language edition's home page."""
        from .pages import HomePage

        return remember(
            ("edition-of", self.path[: 2 * self.steplen], self.locale_id),
            lambda: HomePage.objects.ancestor_of(self, inclusive=True).first(),
        )

    def language_links(self) -> list[dict]:
        """The language switcher: this page's translation where one is live, otherwise the
        other edition's front page."""
        translations = {
            locale_id: path
            for locale_id, _code, path in self.live_translations()
            if locale_id != self.locale_id
        }
        links = []
        for locale in remember("locales", lambda: list(Locale.objects.all())):
            if locale.pk == self.locale_id:
                continue
            path = translations.get(locale.pk) or front_page_path(locale.language_code)
            name = get_language_info(locale.language_code)["name_local"]
            links.append({"code": locale.language_code, "name": name, "url": path})
        return links

    def site_links(self, newsroom: NewsroomSettings) -> dict:
        """The newsroom's about, privacy and support pages in this page's language, where
        live (the footer and the "Support us" banner)."""

        def find():
            links = {}
            for name in ("about", "privacy", "support"):
                page = getattr(newsroom, f"{name}_page")
                page = page.localized if page is not None else None
                if page is not None and page.live:
                    links[name] = {"url": page_path(page), "title": page.title}
            return links

        return remember(("site-links", newsroom.pk, translation.get_language()), find)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        edition = self.edition()
        context["edition"] = edition
        sections = (
            remember(("sections-of", edition.pk), lambda: list(edition.sections()))
            if edition
            else []
        )
        context["sections"] = sections
        context["current_section_id"] = next(
            (section.pk for section in sections if self.path.startswith(section.path)), None
        )
        context["newsroom"] = newsroom = self.newsroom_settings(request)
        context["site_links"] = self.site_links(newsroom)
        context["language_links"] = self.language_links()
        context["mirrors"] = remember("mirrors", active_mirrors)
        context["newsletter_box"] = remember(
            ("newsletter-box", newsroom.site_id), lambda: newsletter_box(newsroom.site_id)
        )
        context["support_offer"] = support_offer(newsroom.site_id)
        return context


def support_offer(site_id: int):
    """What the donation appeal offers (kept for the build: every article shows it)."""
    from gazette.support.appeal import site_offer  # support imports newsroom

    return site_offer(site_id)


def newsletter_box(site_id: int):
    """What the newsletter signup box shows (None if the site has no newsletter)."""
    from gazette.newsletters.signup import signup_box  # newsletters imports newsroom

    return signup_box(site_id)


def page_path(page: Page) -> str:
    """Any page's path on any host, as ``get_url_parts()`` gives it ('' if it has none); in a
    build, without a reverse() for every page."""
    if current_session() is not None:
        return path_under(page.url_path, remember("url-roots", url_roots))
    parts = page.get_url_parts()
    return (parts[2] if parts else None) or ""


def path_under(url_path: str, roots: list[tuple[str, str]]) -> str:
    """The path of the page with this url_path, given ``url_roots()``; '' if none."""
    for root_path, front_page in roots:
        if url_path.startswith(root_path):
            return front_page + quote(url_path[len(root_path) :], safe=URL_SAFE)
    return ""


def url_roots() -> list[tuple[str, str]]:
    """(root url_path, front page path) of each edition, in the order get_url_parts() tries
    them."""
    return [
        (root.root_path, front_page_path(root.language_code)) for root in Site.get_site_root_paths()
    ]


def front_page_path(language_code: str) -> str:
    """Path of an edition's front page: '/' or '/ru/'."""

    def find():
        with translation.override(language_code):
            return reverse("wagtail_serve", args=[""])

    return remember(("front-page-path", language_code), find)


def translation_rows(pages) -> list[tuple[int, str, str]]:
    return [(page.locale_id, page.locale.language_code, page_path(page)) for page in pages]


def prefetch_translations(pages) -> None:
    """Fetch the live translations of many pages in one query, for the running build."""
    session = current_session()
    if session is None:
        return
    keys = {page.translation_key for page in pages}
    found: dict = {key: [] for key in keys}
    translations = (
        Page.objects.live()
        .filter(translation_key__in=keys)
        .select_related("locale")
        .order_by("path")
    )
    for page in translations:
        found[page.translation_key].append(page)
    for key, rows in found.items():
        session.memo[("translations", key)] = translation_rows(rows)


def rendition_of(image, spec: str):
    """``image.get_rendition(spec)``, found once per build."""
    return remember(("rendition", image.pk, spec), lambda: image.get_rendition(spec))
