import json
import re

import pytest
from django.test import Client
from django.utils.timezone import localtime

pytestmark = pytest.mark.django_db


def get(path: str, client: Client | None = None):
    response = (client or Client()).get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response, response.content.decode()


def test_article_page_shows_every_part(newsroom):
    article = newsroom["lead"]
    response, html = get(article.url)
    assert 'class="support-banner"' in html and "Support The Lantern!" in html
    assert f'href="{newsroom["pages"]["support"].url}"' in html
    assert f'<a href="{newsroom["news"].url}">News</a>' in html
    assert '<h1 class="article__headline">Assembly passes media law</h1>' in html
    assert "What happened: assembly passes media law." in html
    assert "The Assembly building in Varn." in html and "Photo: The Lantern" in html
    assert '<a rel="author" href="/authors/anna-petrenko/">Anna Petrenko</a>' in html
    assert '<a rel="author" href="/authors/staff/">Lantern Staff</a>' in html
    assert '<span class="dateline">RIGA</span>' in html
    assert f'datetime="{localtime(article.first_published_at).isoformat()}"' in html
    assert "With reporting by Baltic Wire" in html
    assert '<h2 class="subheading">What the law says</h2>' in html
    assert "<blockquote><p>We will keep reporting.</p></blockquote>" in html
    assert "<b>silences</b>" in html
    assert '<a href="/tags/censorship/" rel="tag">Censorship</a>' in html
    assert "Read more" in html
    assert not response.cookies


def test_related_articles_shared_tags_first_then_section_never_itself(newsroom):
    related = newsroom["lead"].related_articles()
    assert related[0] == newsroom["tagged"]  # shares "Censorship"
    # then the same section, newest first
    assert related[1:] == [newsroom["same_section"], newsroom["older"]]
    assert newsroom["lead"] not in related
    assert newsroom["other"] not in related  # other section, no shared tag: not picked


def test_article_json_ld_is_a_valid_news_article(newsroom):
    article = newsroom["lead"]
    _, html = get(article.url)
    start = html.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    data = json.loads(html[start : html.index("</script>", start)])
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == article.title
    assert (
        data["mainEntityOfPage"]["@id"] == "https://lantern.example/news/assembly-passes-media-law/"
    )
    assert data["datePublished"] == article.first_published_at.isoformat()
    assert data["author"] == [
        {"@type": "Person", "name": "Anna Petrenko"},
        {"@type": "Organization", "name": "Lantern Staff"},
    ]
    assert data["publisher"]["name"] == "The Lantern"
    assert data["image"][0].startswith("https://lantern.example/media/images/")
    assert data["inLanguage"] == "en"


def test_metadata_on_every_page(newsroom):
    for page in [newsroom["lead"], newsroom["news"], newsroom["pages"]["about"]]:
        _, html = get(page.url)
        assert f'<link rel="canonical" href="https://lantern.example{page.url}">' in html
        assert '<meta name="description" content="' in html
        assert '<meta property="og:title" content="' in html
        assert f'<meta property="og:url" content="https://lantern.example{page.url}">' in html
        assert '<html lang="en">' in html
    _, html = get("/")
    assert "<title>The Lantern — Independent news</title>" in html


def test_pages_link_relatively_to_our_own_host(newsroom):
    from wagtail.models import Site

    # A second site (an onion address) makes Wagtail's page.url absolute; ours stay relative.
    Site.objects.create(
        hostname="lanternabcdef.onion", port=80, root_page=Site.objects.get().root_page
    )
    _, html = get(newsroom["lead"].url)
    assert "lanternabcdef.onion" not in html and "http://localhost" not in html
    links = [part.split('"')[0] for part in html.split('href="')[1:]]
    own_absolute = [link for link in links if link.startswith("https://lantern.example")]
    # Only the canonical link and its alternates name the primary domain.
    assert own_absolute == [
        "https://lantern.example/news/assembly-passes-media-law/",
        "https://lantern.example/news/assembly-passes-media-law/",
        "https://lantern.example/news/assembly-passes-media-law/",
    ]


def test_home_page_lead_then_latest_then_sections(newsroom):
    from tests.factories import make_article

    for number in range(4):
        make_article(
            newsroom["business"],
            f"Market report {number}",
            authors=[newsroom["authors"]["ivan"]],
            hours_ago=10 + number,
        )
    _, html = get("/")
    lead_at = html.index("Assembly passes media law")
    latest_at = html.index('id="latest-heading"')
    assert lead_at < latest_at < html.index("Grain exports fall")
    # Six newest after the lead are "Latest"; older ones appear under their section.
    assert html.index('id="section-business"') < html.index("Market report 3")
    assert html.index('id="section-news"') < html.index("Court hears appeal")
    for title in ["Assembly passes media law", "Grain exports fall", "Market report 3"]:
        assert html.count(f">{title}</a>") == 1, title  # nothing is shown twice


def test_section_page_lists_newest_first_and_paginates(newsroom):
    from gazette.newsroom.models import pages
    from tests.factories import make_article

    _, html = get(newsroom["news"].url)
    assert (
        html.index("Assembly passes media law")
        < html.index("Bridge reopens")
        < html.index("Court hears appeal")
    )
    for number in range(pages.PAGE_SIZE):
        make_article(
            newsroom["news"],
            f"Filler {number}",
            authors=[newsroom["authors"]["anna"]],
            hours_ago=100 + number,
        )
    _, html = get("/news/page/2/")
    assert 'rel="prev" href="/news/"' in html
    assert '<link rel="canonical" href="https://lantern.example/news/page/2/">' in html
    assert Client().get("/news/page/9/").status_code == 404


def test_tag_and_author_pages(newsroom):
    _, html = get("/tags/censorship/")
    assert "<title>Articles tagged “Censorship” — The Lantern</title>" in html
    assert '<meta property="og:title" content="Articles tagged “Censorship”">' in html
    assert '<link rel="canonical" href="https://lantern.example/tags/censorship/">' in html
    assert (
        '<link rel="alternate" hreflang="en" href="https://lantern.example/tags/censorship/">'
        in html
    )
    assert "Top story" not in html  # the front page's content is not computed here
    assert "Assembly passes media law" in html and "Printers face new fines" in html
    assert "Grain exports fall" not in html
    _, html = get("/authors/ivan-sorokin/")
    assert "Ivan Sorokin" in html and "Economics editor" in html
    assert "Printers face new fines" in html and "Bridge reopens" not in html
    assert Client().get("/tags/no-such-tag/").status_code == 404
    assert Client().get("/authors/nobody/").status_code == 404


def test_drafts_are_not_shown(newsroom):
    from tests.factories import make_article

    draft = make_article(
        newsroom["news"], "Unpublished scoop", authors=[newsroom["authors"]["anna"]], publish=False
    )
    assert "Unpublished scoop" not in get("/")[1]
    assert "Unpublished scoop" not in get(newsroom["news"].url)[1]
    assert Client().get(draft.url or "/news/unpublished-scoop/").status_code == 404


def test_reader_pages_send_strict_security_headers_and_no_cookies(newsroom):
    for path in [
        "/",
        newsroom["lead"].url,
        newsroom["news"].url,
        "/tags/censorship/",
        "/no-such-page/",
    ]:
        response = Client().get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert not response.cookies, path
        # The language is in the path, so caches must not split on the browser's language.
        assert "Accept-Language" not in response.headers.get("Vary", ""), path


def test_no_inline_script_or_style_in_reader_pages(newsroom):
    for path in ["/", newsroom["lead"].url, newsroom["news"].url]:
        _, html = get(path)
        assert " style=" not in html and "<style" not in html
        scripts = html.split("<script")[1:]
        # Structured data, or a static file's script with nothing inline.
        assert all(
            s.startswith(' type="application/ld+json"') or re.match(r' src="[^"]+"( defer)?></', s)
            for s in scripts
        ), path


def test_russian_edition_lives_under_ru_prefix(newsroom):
    from wagtail.models import Locale

    from tests.factories import home_page

    home = home_page()
    home_ru = home.copy_for_translation(Locale.objects.get(language_code="ru"))
    home_ru.title = "Фонарь"
    home_ru.save_revision().publish()
    response, html = get("/ru/")
    assert '<html lang="ru">' in html
    assert "К содержанию" in html  # the interface is in Russian too
    assert '<a href="/" hreflang="en" lang="en">English</a>' in html
    assert '<link rel="alternate" hreflang="en" href="https://lantern.example/">' in html
    assert '<link rel="alternate" hreflang="ru" href="https://lantern.example/ru/">' in html
    _, html = get("/")
    assert '<a href="/ru/" hreflang="ru" lang="ru">Русский</a>' in html
    assert "Skip to content" in html
    # A Russian browser asking for an English page still gets it in English.
    assert "Skip to content" in Client(headers={"accept-language": "ru"}).get("/").content.decode()
