"""Loads the demo newsroom, The Lantern, from data/newsroom.json: sections, authors, articles
with drawn lead images, plain pages, the support page and its appeal, a year of donations
(gazette.support.demo), a month of page views (gazette.insights.demo), its two newsletters
(weekly and breaking news), and a Russian edition's front page."""

import json
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Locale, Page, Site

from gazette.insights.demo import load_page_views
from gazette.newsletters.models import Newsletter
from gazette.newsroom.models import (
    ArticleByline,
    ArticlePage,
    Author,
    HomePage,
    NewsroomSettings,
    SectionPage,
    StandardPage,
)
from gazette.publishing.building import rebuilds_paused
from gazette.support.demo import load_donation_history
from gazette.support.models import SupportPage, SupportSettings

from .images import draw_image

DATA = Path(__file__).parent / "data" / "newsroom.json"


def stream(blocks: list[dict]) -> list[tuple]:
    return [(block["type"], block["value"]) for block in blocks]


def publish(page: Page, *, at=None) -> None:
    page.save_revision().publish()
    if at is not None:
        Page.objects.filter(pk=page.pk).update(first_published_at=at, last_published_at=at)


def load_demo(*, now=None, progress=None) -> HomePage:
    """Build the demo newsroom under the site's home page. Run on an empty database only.
    The page store is built once at the end (`build_site`), not after every publish."""
    with rebuilds_paused(), transaction.atomic():
        return _load(now=now, progress=progress)


def _load(*, now, progress) -> HomePage:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    now = now or timezone.now()
    english = Locale.objects.get(language_code="en")
    site = Site.objects.get(is_default_site=True)
    home = site.root_page.specific
    home.title = data["newsroom"]["name"]
    home.seo_title = f"{data['newsroom']['name']}: {data['newsroom']['tagline']}"
    home.search_description = data["newsroom"]["tagline"]
    publish(home)
    site.site_name = data["newsroom"]["name"]
    address = urlsplit(settings.GAZETTE_BASE_URL)
    site.hostname = address.hostname
    site.port = address.port or 80
    site.save()

    sections = {}
    for item in data["sections"]:
        section = SectionPage(
            title=item["title"], slug=item["slug"], intro=item["intro"], show_in_menus=True
        )
        home.add_child(instance=section)
        publish(section)
        sections[item["slug"]] = section

    authors = {
        item["slug"]: Author.objects.create(
            locale=english,
            slug=item["slug"],
            name=item["name"],
            role=item.get("role", ""),
            bio=item.get("bio", ""),
            is_organisation=item.get("is_organisation", False),
        )
        for item in data["authors"]
    }

    Image = get_image_model()
    for number, item in enumerate(data["articles"]):
        picture = item["image"]
        image = Image.objects.create(
            title=item["headline"][:255],
            description=picture["caption"][:255],
            file=ImageFile(
                BytesIO(draw_image(picture["motif"], picture["palette"], seed=number)),
                name=f"{item['slug']}.jpg",
            ),
        )
        article = ArticlePage(
            title=item["headline"],
            slug=item["slug"],
            standfirst=item["standfirst"],
            kind=item["kind"],
            dateline=item["dateline"],
            source_credit=item["source_credit"],
            lead_image=image,
            lead_image_caption=picture["caption"],
            lead_image_credit=picture["credit"],
            body=stream(item["body"]),
        )
        article.bylines = [ArticleByline(author=authors[slug]) for slug in item["authors"]]
        article.tags.set(item["tags"])
        sections[item["section"]].add_child(instance=article)
        publish(article, at=now - timedelta(hours=item["hours_ago"]))
        if progress:
            progress(number + 1, len(data["articles"]))

    pages = {}
    for item in data["pages"]:
        kind = SupportPage if item.get("type") == "support" else StandardPage
        page = kind(
            title=item["title"], slug=item["slug"], intro=item["intro"], body=stream(item["body"])
        )
        home.add_child(instance=page)
        publish(page)
        pages[item["slug"]] = page

    NewsroomSettings.objects.update_or_create(
        site=site,
        defaults={
            "name": data["newsroom"]["name"],
            "tagline": data["newsroom"]["tagline"],
            "about_page": pages.get("about"),
            "privacy_page": pages.get("privacy"),
            "support_page": pages.get("support"),
        },
    )

    SupportSettings.objects.update_or_create(site=site, defaults=data["support"])

    # A year of donations for the Fundraising dashboard, given from the pages above.
    load_donation_history(now=now)
    # A month of page views for the Insights page and the home page's "Most read".
    readable = [home, *sections.values(), *ArticlePage.objects.published().descendant_of(home)]
    load_page_views(readable, until=timezone.localdate(now))

    for item in data["newsletters"]:
        # The demo's mail domain is fictional (.example, RFC 2606): mail goes to whatever
        # SMTP server the settings name, and no real domain's reputation is involved.
        Newsletter.objects.update_or_create(
            site=site,
            slug=item["slug"],
            defaults={
                "name": item["name"],
                "kind": item["kind"],
                "description": item["description"],
                "from_name": data["newsroom"]["name"],
                "from_address": "newsletter@lantern.example",
                "list_id_domain": "lists.lantern.example",
            },
        )

    # The Russian edition's front page; its articles come with the translation workflow.
    russian = Locale.objects.get(language_code="ru")
    home_ru = home.copy_for_translation(russian)
    home_ru.title = "Фонарь"
    home_ru.seo_title = "Фонарь: независимые новости о Кестрии"
    home_ru.search_description = "Независимые новости о Кестрии"
    publish(home_ru)
    return home
