"""Fill a fresh data directory with a generated newsroom of N articles, fast.

The edition's structure (5 sections, authors, tags, plain pages, settings, one image) goes
through Wagtail's normal APIs; the articles are bulk-inserted: treebeard materialised paths
computed here, ``wagtailcore_page`` rows with ``bulk_create``, the ArticlePage child rows with
``executemany`` (multi-table inheritance), bylines and tags with ``bulk_create``. Every article
shares the one lead image, so each render does the rendition lookups a real article does.
Generated articles have no revisions and are not in the search index.

    .venv/bin/python benchmarks/generate_site.py --articles 100000 --data-dir /tmp/gazette-100k

Uses SQLite in the data directory, or PostgreSQL when DATABASE_URL is set (empty database).
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # treebeard's, as Wagtail's Page uses it
STEPLEN = 4
SECTIONS = [("News", "news"), ("Business", "business"), ("Culture", "culture")]
SECTIONS += [("Opinion", "opinion"), ("World", "world")]
WORDS = (
    "assembly court harbour bridge grain printers border election archive river strike "
    "ministry budget reporters council winter exiles festival mayor railway factory census "
    "museum protest drought forest licence station tribunal market pension"
).split()
KINDS = ["news"] * 6 + ["feature", "analysis", "opinion", "interview"]
THREE_YEARS = 3 * 365 * 24 * 3600


def setup_django(data_dir: Path) -> None:
    """Point Django at ``data_dir`` (before any settings import) and start it."""
    os.environ["GAZETTE_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("GAZETTE_STORE_DIR", str(data_dir / "store"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gazette.demo.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()


def step(number: int) -> str:
    """Treebeard's path step for the ``number``-th child (1-based), base 36, 4 wide."""
    digits = ""
    while True:
        number, remainder = divmod(number, 36)
        digits = ALPHABET[remainder] + digits
        if not number:
            break
    if len(digits) > STEPLEN:
        raise ValueError("too many children for one parent")
    return digits.rjust(STEPLEN, "0")


def make_structure(rng) -> dict:
    """Sections, plain pages, authors, tags, settings and an image, the way editors make them."""
    from io import BytesIO

    from django.core.files.images import ImageFile
    from PIL import Image as PILImage
    from taggit.models import Tag
    from wagtail.images import get_image_model
    from wagtail.models import Locale, Site

    from gazette.newsroom.models import Author, NewsroomSettings, SectionPage, StandardPage

    site = Site.objects.get(is_default_site=True)
    home = site.root_page.specific
    sections = []
    for title, slug in SECTIONS:
        section = SectionPage(title=title, slug=slug, show_in_menus=True, intro=f"{title}.")
        home.add_child(instance=section)
        section.save_revision().publish()
        sections.append(section)
    pages = {}
    for slug, title in [
        ("about", "About us"),
        ("privacy", "Privacy Policy"),
        ("support", "Support us"),
    ]:
        page = StandardPage(title=title, slug=slug, intro=f"<p>{title}.</p>")
        home.add_child(instance=page)
        page.save_revision().publish()
        pages[slug] = page
    NewsroomSettings.objects.update_or_create(
        site=site,
        defaults={
            "name": "The Benchmark Herald",
            "tagline": "Generated news",
            **{f"{slug}_page": page for slug, page in pages.items()},
        },
    )
    english = Locale.get_default()
    authors = Author.objects.bulk_create(
        Author(locale=english, name=f"Reporter {n}", slug=f"reporter-{n}", role="Correspondent")
        for n in range(1, 51)
    )
    tags = Tag.objects.bulk_create(Tag(name=f"Topic {n}", slug=f"topic-{n}") for n in range(1, 201))
    buffer = BytesIO()
    PILImage.new("RGB", (1600, 900), "#336699").save(buffer, "JPEG")
    image = get_image_model().objects.create(
        title="Shared lead image", file=ImageFile(buffer, name="lead.jpg")
    )
    return {"home": home, "sections": sections, "authors": authors, "tags": tags, "image": image}


def insert_articles(count: int, structure: dict, rng, batch: int = 5000) -> None:
    import json
    import uuid
    from datetime import timedelta

    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone
    from wagtail.models import Page

    from gazette.newsroom.models import ArticleByline, ArticlePage, ArticleTag

    sections, authors, tags = structure["sections"], structure["authors"], structure["tags"]
    image_id = structure["image"].pk
    content_type = ContentType.objects.get_for_model(ArticlePage)
    locale_id = structure["home"].locale_id
    now = timezone.now()
    children = [0] * len(sections)
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    table = ArticlePage._meta.db_table
    columns = (
        "page_ptr_id, standfirst, kind, dateline, lead_image_id, lead_image_caption, "
        "lead_image_credit, body, source_credit"
    )
    insert = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s{cast}, %s)"  # noqa: S608 - names are ours
    # Popular tags are far more common than rare ones, as on a real site.
    tag_weights = [1 / rank for rank in range(1, len(tags) + 1)]
    for start in range(0, count, batch):
        numbers = range(start, min(start + batch, count))
        pages, details = [], []
        for n in numbers:
            index = n % len(sections)
            section = sections[index]
            children[index] += 1
            words = rng.sample(WORDS, 4)
            title = f"{words[0].title()} {words[1]} and the {words[2]} {n}"
            slug = f"story-{n + 1}"
            when = now - timedelta(seconds=(count - n) * THREE_YEARS / count)
            pages.append(
                Page(
                    content_type=content_type,
                    locale_id=locale_id,
                    translation_key=uuid.uuid4(),
                    path=section.path + step(children[index]),
                    depth=section.depth + 1,
                    numchild=0,
                    title=title,
                    draft_title=title,
                    slug=slug,
                    url_path=f"{section.url_path}{slug}/",
                    live=True,
                    has_unpublished_changes=False,
                    first_published_at=when,
                    last_published_at=when,
                )
            )
            body = [
                {
                    "type": "paragraph",
                    "value": f"<p>Paragraph {p} about the {' '.join(rng.sample(WORDS, 8))}.</p>",
                    "id": str(uuid.uuid4()),
                }
                for p in range(1, 6)
            ]
            details.append((f"What happened with the {words[3]}.", rng.choice(KINDS), body))
        with transaction.atomic():
            Page.objects.bulk_create(pages)
            rows = [
                (page.pk, standfirst, kind, "RIGA", image_id, "", "", json.dumps(body), "")
                for page, (standfirst, kind, body) in zip(pages, details, strict=True)
            ]
            with connection.cursor() as cursor:
                cursor.executemany(insert, rows)
            bylines, tagged = [], []
            for page in pages:
                for order, author in enumerate(rng.sample(authors, rng.choice((1, 1, 1, 2)))):
                    bylines.append(ArticleByline(page_id=page.pk, author=author, sort_order=order))
                picked = {tag.pk for tag in rng.choices(tags, tag_weights, k=rng.randint(1, 3))}
                tagged += [ArticleTag(content_object_id=page.pk, tag_id=tag) for tag in picked]
            ArticleByline.objects.bulk_create(bylines)
            ArticleTag.objects.bulk_create(tagged)
        print(f"\r  {numbers.stop}/{count} articles", end="", flush=True)
    print()
    for section, number in zip(sections, children, strict=True):
        Page.objects.filter(pk=section.pk).update(numchild=number)


def verify(sample_paths: list[str]) -> None:
    """Treebeard's own check (what `fixtree` runs; fixtree itself has no dry-run mode and
    deletes what it finds broken), subclass rows present, and a few articles served."""
    from django.conf import settings
    from django.test import Client
    from wagtail.models import Page

    from gazette.newsroom.models import ArticlePage

    problems = Page.find_problems()
    if any(problems):
        raise SystemExit(f"tree problems (alpha, path, orphans, depth, numchild): {problems}")
    pages = Page.objects.filter(content_type__model="articlepage").count()
    if pages != ArticlePage.objects.count():
        raise SystemExit(f"{pages} article pages but {ArticlePage.objects.count()} article rows")
    client = Client(headers={"host": settings.GAZETTE_RENDER_HOST})
    for path in sample_paths:
        status = client.get(path).status_code
        print(f"  GET {path} -> {status}")
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
    print("  tree check (Page.find_problems, as fixtree): no problems")


def generate_site(*, articles: int, seed: int = 1) -> dict:
    """Migrate and fill the configured database; Django must be set up. Returns timings."""
    import random

    from django.core.management import call_command

    from gazette.publishing.building import rebuilds_paused

    rng = random.Random(seed)
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    migrated = time.monotonic()
    with rebuilds_paused():  # the benchmarks build the store themselves
        structure = make_structure(rng)
        insert_articles(articles, structure, rng)
    done = time.monotonic()
    sections = structure["sections"]
    verify(["/", *(f"/{sections[(n - 1) % len(sections)].slug}/story-{n}/" for n in (1, articles))])
    return {"migrate": migrated - started, "generate": done - migrated, "total": done - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path, help="a new directory (default: under /tmp)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="gazette-bench-", dir="/tmp"))
    if (data_dir / "gazette.sqlite3").exists():
        parser.error(f"{data_dir} already holds a database: give a fresh directory")
    data_dir.mkdir(parents=True, exist_ok=True)
    setup_django(data_dir)
    print(f"Generating {args.articles} articles in {data_dir}")
    times = generate_site(articles=args.articles, seed=args.seed)
    rate = args.articles / times["generate"] if times["generate"] else 0
    print(
        f"Generated in {times['total']:.1f} s (migrate {times['migrate']:.1f} s, content "
        f"{times['generate']:.1f} s, {rate:.0f} articles/s); data dir {data_dir}"
    )


if __name__ == "__main__":
    main()
