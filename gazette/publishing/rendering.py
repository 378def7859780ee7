"""Renders public pages to bytes for the page store.

The views are Django's and Wagtail's own, so a stored page is byte for byte what Django
would answer to an anonymous reader (headers aside; tests/publishing/test_rendering.py
compares the two for every page of a site). What a build skips is the per-request work that
does not change the bytes: the middleware, finding the Site by host name, and walking the page
tree one query per level. Pages are found instead through maps kept in the build session:
articles a chunk at a time (``prepare``), the few other pages once per build.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.test import Client, RequestFactory
from django.urls import Resolver404, resolve
from django.utils import translation
from wagtail import hooks
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.models import Page, Site, get_page_models

from .dependencies import collecting
from .session import build_session, current


@dataclass
class Rendered:
    path: str
    status: int
    body: bytes = b""
    shows: set[int] = field(default_factory=set)
    page_id: int | None = None


class Renderer:
    def __init__(self):
        # No session, no cookies: the page every anonymous reader gets.
        self.client = Client(
            headers={"host": settings.GAZETTE_RENDER_HOST}, raise_request_exception=True
        )
        self.factory = RequestFactory(headers={"host": settings.GAZETTE_RENDER_HOST})
        # The current chunk's articles by path: replaced by each ``prepare``, so a build
        # holds one chunk of whole articles (bodies included) at a time.
        self.articles: dict[str, Page] = {}

    def render(self, path: str) -> Rendered:
        with build_session(), collecting() as shown:
            response, page = self._respond(path)
        if response.status_code != 200:
            return Rendered(path, response.status_code)
        if page is None:
            # Through the test client: Wagtail's TemplateResponse names the page.
            page = (getattr(response, "context_data", None) or {}).get("page")
        return Rendered(path, 200, response.content, set(shown), getattr(page, "pk", None))

    # Finding pages without walking the tree

    def prepare(self, paths: Iterable[str]) -> None:
        """Find the articles among ``paths`` in one round of queries, with what their pages
        show (images, bylines, tags, translations), for the running build session."""
        from gazette.newsroom.models import ArticlePage
        from gazette.newsroom.models.base import prefetch_translations

        session = current()
        self.articles = {}
        if session is None:
            return
        wanted = {}
        for path in paths:
            url_path = self._url_path(path)
            if url_path is not None:
                wanted[url_path] = path
        if not wanted:
            return
        articles = list(
            ArticlePage.objects.published().filter(url_path__in=list(wanted)).for_page()
        )
        for article in articles:
            self.articles[wanted[article.url_path]] = article
        session.keep_articles(articles)
        prefetch_translations(articles)

    def _url_path(self, path: str) -> str | None:
        """The Wagtail url_path a public path would have, if it names a page."""
        if not path.endswith("/"):
            return None
        path = unquote(path)  # url_path holds a slug as typed, not as links quote it
        for front_page, root_path in self._editions():
            if path.startswith(front_page):
                return root_path + path[len(front_page) :]
        return None

    def _editions(self) -> list[tuple[str, str]]:
        """(front page path, root url_path) of each edition, '/ru/' before '/': the inverse
        of the mapping ``page_path()`` uses, first site first."""
        from gazette.newsroom.models.base import url_roots

        def find():
            editions = {}
            for root_path, front_page in url_roots():
                editions.setdefault(front_page, root_path)
            return sorted(editions.items(), key=lambda item: len(item[0]), reverse=True)

        return current().remember("editions", find)

    def _other_pages(self) -> dict[str, Page]:
        """Every public page that is not an article, by path: few, so found once."""
        from gazette.newsroom.models import ArticlePage
        from gazette.newsroom.models.base import page_path

        def find():
            roots = [root_path for _front_page, root_path in self._editions()]
            # Model by model: each query joins a small table, where one query for "not an
            # article" would go through the whole page table.
            models = [
                model
                for model in get_page_models()
                if model is not Page and not issubclass(model, ArticlePage)
            ]
            pages = {}
            for model in models:
                for page in model.objects.live().public().exact_type(model):
                    if any(page.url_path.startswith(root) for root in roots):
                        path = page_path(page)
                        if path:
                            pages[path] = page
            return pages

        return current().remember("other-pages", find)

    def _route(self, path: str, request):
        """(page, args, kwargs) as Wagtail's router would find them; None if it is not a
        page of ours (Django's URLs decide) or not found."""
        article = self.articles.get(path)
        if article is not None:
            return article, (), {}
        pages = self._other_pages()
        owner_path = path
        while owner_path not in pages:
            if owner_path == "/":
                return None
            owner_path = owner_path[: owner_path.rstrip("/").rfind("/") + 1]
        page = pages[owner_path]
        if isinstance(page, RoutablePageMixin):
            try:
                match = page.resolve_subpage("/" + unquote(path[len(owner_path) :]))
            except Http404:
                return None
            request.routable_resolver_match = match
            return page, (match.func, match.args, match.kwargs), {}
        return (page, (), {}) if owner_path == path else None

    # Answering

    def _respond(self, path: str) -> tuple[HttpResponse, Page | None]:
        language = translation.get_language_from_path(path) or settings.LANGUAGE_CODE
        with translation.override(language):
            try:
                match = resolve(unquote(path))  # as Django resolves PATH_INFO
            except Resolver404:
                return HttpResponse(status=404), None
            request = self._request(path, language)
            try:
                if match.url_name != "wagtail_serve":
                    return self._finish(match.func(request, *match.args, **match.kwargs)), None
                route = self._route(path, request)
                if route is None:
                    # Not found here: let Wagtail's router have the last word.
                    return self.client.get(path), None
                page, args, kwargs = route
                for hook in hooks.get_hooks("before_serve_page"):
                    result = hook(page, request, args, kwargs)
                    if isinstance(result, HttpResponse):
                        return self._finish(result), page
                return self._finish(page.serve(request, *args, **kwargs)), page
            except Http404:
                return HttpResponse(status=404), None

    def _request(self, path: str, language: str):
        request = self.factory.get(path)
        request.user = AnonymousUser()
        request.LANGUAGE_CODE = language
        session = current()
        # What Wagtail keeps on a request, kept for the whole build.
        request._wagtail_cached_site_root_paths = session.remember(
            "site-root-paths", Site.get_site_root_paths
        )
        site = session.remember("site", lambda: Site.find_for_request(request))
        request._wagtail_site = site
        return request

    @staticmethod
    def _finish(response: HttpResponse) -> HttpResponse:
        render = getattr(response, "render", None)
        if render is not None:
            response = render() or response
        return response
