"""Reader search, /search/?q= (and /ru/search/): the one reader page answered by Django on
every request, since its results depend on the query. It sets no cookie and keeps nothing:
the query is not logged or stored, and the rate limit counts a keyed hash of the client's
address in the cache only (gazette/ratelimits.py).

Wagtail's search backend looks through the live, public articles of the current language;
links are paths, so the page works on mirrors and onion addresses that run Django.
"""

import re

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from wagtail.models import Locale

from gazette import ratelimits
from gazette.clients import client_address

from .models import ArticlePage
from .models.pages import fetch_teasers

MAX_QUERY = 200
PAGE_SIZE = 10


def over_rate_limit(request) -> bool:
    return ratelimits.over_limit(
        prefix="newsroom:search",
        client_address=client_address(request),
        window=settings.GAZETTE_SEARCH_WINDOW,
        per_client=settings.GAZETTE_SEARCH_PER_CLIENT,
        overall=settings.GAZETTE_SEARCH_GLOBAL,
    )


def search_terms(query: str) -> str:
    """The query's words, lower case, without punctuation. Readers search for words; the
    backends' own syntax (SQLite FTS5 quotes, AND/OR/NEAR, prefixes) is not theirs to use,
    and a stray quote in it is an error in the database (found by tests/fuzz)."""
    return " ".join(re.findall(r"\w+", query.lower()))


def search_articles(query: str, *, language: str):
    """Live, public articles of ``language`` matching the words of ``query``, best first."""
    terms = search_terms(query)
    if not terms:
        return ArticlePage.objects.none()
    locale = Locale.objects.filter(language_code=language).first()
    articles = ArticlePage.objects.live().public()
    if locale is not None:
        articles = articles.filter(locale=locale)
    return articles.search(terms)


@never_cache
@require_GET
def search_view(request):
    from .models import NewsroomSettings

    query = " ".join(request.GET.get("q", "").split())
    language = translation.get_language() or settings.LANGUAGE_CODE
    context = {
        "newsroom": NewsroomSettings.for_request(request),
        "query": query,
        "home_path": "/" if language == settings.LANGUAGE_CODE else f"/{language}/",
        "max_query": MAX_QUERY,
    }
    status = 200
    if not query:
        pass
    elif len(query) > MAX_QUERY or "\x00" in query:
        context["too_long"] = "\x00" not in query
        context["bad_query"] = True
        status = 400
    elif over_rate_limit(request):
        context["rate_limited"] = True
        status = 429
    else:
        paginator = Paginator(search_articles(query, language=language), PAGE_SIZE)
        results = paginator.get_page(request.GET.get("page"))
        results.object_list = fetch_teasers([article.pk for article in results.object_list])
        context["results"] = results
    response = render(request, "newsroom/search.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(settings.GAZETTE_SEARCH_WINDOW)
    return response
