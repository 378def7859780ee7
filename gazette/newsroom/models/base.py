from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language_info
from wagtail.models import Locale, Page

from gazette.publishing import building
from gazette.publishing.mirrorlist import active_mirrors
from gazette.publishing.models import StoredPage

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
        return self.get_url_parts()[2]

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
        rendition = image.get_rendition("fill-1200x630")
        return {
            "url": settings.GAZETTE_BASE_URL + rendition.url,
            "width": rendition.width,
            "height": rendition.height,
        }

    def newsroom_settings(self, request=None) -> NewsroomSettings:
        if request is not None:
            return NewsroomSettings.for_request(request)
        return NewsroomSettings.for_site(self.get_site())

    def language_alternates(self) -> list[tuple[str, str]]:
        """(language code, URL) of every live translation, this page included, for hreflang."""
        return [
            (page.locale.language_code, settings.GAZETTE_BASE_URL + page.relative_path())
            for page in self.get_translations(inclusive=True).live().select_related("locale")
        ]

    def edition_path(self) -> str:
        """Path of this language edition's front page: '/' or '/ru/'."""
        with translation.override(self.locale.language_code):
            return reverse("wagtail_serve", args=[""])

    def edition(self):
        """This language edition's home page."""
        from .pages import HomePage

        return HomePage.objects.ancestor_of(self, inclusive=True).first()

    def language_links(self) -> list[dict]:
        """The language switcher: this page's translation where one is live, otherwise the
        other edition's front page."""
        translations = {
            page.locale_id: page.relative_path()
            for page in self.get_translations().live().select_related("locale")
        }
        links = []
        for locale in Locale.objects.exclude(pk=self.locale_id):
            path = translations.get(locale.pk)
            if path is None:
                with translation.override(locale.language_code):
                    path = reverse("wagtail_serve", args=[""])
            name = get_language_info(locale.language_code)["name_local"]
            links.append({"code": locale.language_code, "name": name, "url": path})
        return links

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        edition = self.edition()
        context["edition"] = edition
        sections = list(edition.sections()) if edition else []
        context["sections"] = sections
        context["current_section_id"] = next(
            (section.pk for section in sections if self.path.startswith(section.path)), None
        )
        context["newsroom"] = self.newsroom_settings(request)
        context["mirrors"] = active_mirrors()
        return context
