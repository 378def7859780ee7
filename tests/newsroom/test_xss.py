"""Known XSS payloads typed into every text field staff can edit come out escaped or removed,
both in Django's answer and in the page store.

Each payload in turn goes into every such field (through the models and the publish path, as
tests/factories.py builds a newsroom, so nothing the admin's forms would refuse is left out);
then every reader page showing those fields is parsed as a browser parses it (html5lib) and
searched for live markup: script elements other than ours, event-handler attributes,
javascript:/data:/vbscript: URLs, frames, objects, base and refresh elements, style.
"""

import json
import re
from datetime import timedelta

import html5lib
import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from taggit.models import Tag
from wagtail.models import Site

from gazette.newsletters.models import Issue, IssueArticle, Newsletter
from gazette.newsroom.models import ArticlePage, NewsroomSettings, StandardPage
from gazette.publishing.building import rebuilds_paused, render_paths
from gazette.publishing.models import Mirror
from gazette.publishing.store import PageStore
from gazette.support.models import SupportPage, SupportSettings
from tests.factories import home_page, make_image

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript&#58;alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<p style="width:expression(alert(1))">x</p>',
    "<style>@import 'https://evil.example/x.css';</style>",
    "</title><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "' onmouseover='alert(1)' x='",
    '" onfocus="alert(1)" autofocus="',
    "<details open ontoggle=alert(1)>",
    '<object data="javascript:alert(1)"></object>',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "javascript:alert(1)",
]

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "srcset", "xlink:href"}
FORBIDDEN_ELEMENTS = {"iframe", "frame", "object", "embed", "base", "style", "applet", "frameset"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


def fit(model, field: str, value: str) -> str:
    """What the database holds for ``value`` in a column with a maximum length."""
    limit = model._meta.get_field(field).max_length
    return value[:limit] if limit else value


def fill(instance, value: str, *fields: str) -> None:
    for name in fields:
        setattr(instance, name, fit(type(instance), name, value))


def body(payload: str, image) -> list:
    return [
        ("paragraph", payload),
        ("paragraph", f"<p>Before {payload} after</p>"),
        ("subheading", payload),
        ("pull_quote", {"quote": payload, "attribution": payload}),
        ("image", {"image": image, "caption": payload, "credit": payload}),
    ]


@pytest.fixture
def site(newsroom):
    """The newsroom, with a support page, a newsletter with a sent issue, and mirrors."""
    with rebuilds_paused():
        give = SupportPage(title="Give", slug="give")
        home_page().add_child(instance=give)
        give.save_revision().publish()
    newsletter = Newsletter.objects.create(
        site=Site.objects.get(is_default_site=True),
        name="Weekly",
        slug="weekly",
        from_name="The Lantern",
        from_address="newsletter@lantern.example",
        list_id_domain="lists.lantern.example",
    )
    now = timezone.now()
    issue = Issue.objects.create(
        newsletter=newsletter,
        subject="Issue",
        status=Issue.Status.SENT,
        started_at=now - timedelta(minutes=5),
        finished_at=now,
    )
    IssueArticle.objects.create(issue=issue, article=newsroom["lead"], sort_order=0)
    onion = Mirror.objects.create(address="http://" + "l" * 56 + ".onion/", kind="onion")
    web = Mirror.objects.create(address="https://mirror.example/")
    image = make_image()
    image.get_rendition("width-480")  # renditions are made once, not for every payload
    return {**newsroom, "give": give, "image": image, "newsletter": newsletter, "issue": issue,
            "mirrors": [onion, web]}  # fmt: skip


def put_everywhere(site: dict, payload: str) -> None:
    """``payload`` into every field staff type into that a reader page shows."""
    image = site["image"]
    image.title = fit(type(image), "title", payload)
    image.description = payload  # the alt text
    image.save()
    lead = site["lead"]
    anna = site["authors"]["anna"]
    fill(anna, payload, "name", "role", "bio")
    anna.save()
    with rebuilds_paused():
        fill(lead, payload, "title", "seo_title", "search_description", "standfirst")
        fill(lead, payload, "dateline", "lead_image_caption", "lead_image_credit")
        fill(lead, payload, "source_credit")
        lead.lead_image = image
        lead.body = [
            *body(payload, image),
            ("embed", {"url": payload, "title": payload}),
            (
                "embed",
                {"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ&" + payload, "title": payload},
            ),  # fmt: skip
            ("embed", {"url": "https://vimeo.com/1/" + payload, "title": payload}),
        ]
        lead.tags.set([fit(Tag, "name", payload)])
        lead.save_revision().publish()
        for page in (site["news"], site["pages"]["about"], site["give"]):
            page = page.specific
            page.refresh_from_db()
            fill(page, payload, "title", "seo_title", "search_description")
            page.intro = payload
            if isinstance(page, StandardPage | SupportPage):
                page.intro = f"<p>{payload}</p>{payload}"
                page.body = body(payload, image)
            page.save_revision().publish()
    newsroom = NewsroomSettings.objects.get()
    fill(newsroom, payload, "name", "tagline")
    newsroom.save()
    support = SupportSettings.for_site(Site.objects.get(is_default_site=True))
    fill(support, payload, "appeal_heading", "appeal_message", "appeal_signoff")
    fill(support, payload, "high_risk_notice", "statement_descriptor", "bank_transfer_details")
    support.crypto_addresses = f"{payload}: {payload}\nBitcoin: bc1q{payload}"
    support.save()
    newsletter = site["newsletter"]
    fill(newsletter, payload, "name", "description")
    newsletter.save()
    issue = site["issue"]
    fill(issue, payload, "subject", "preheader", "intro", "support_text")
    issue.save()
    onion, web = site["mirrors"]
    Mirror.objects.filter(pk=onion.pk).update(note=fit(Mirror, "note", payload))
    Mirror.objects.filter(pk=web.pk).update(
        address=fit(Mirror, "address", payload), note=fit(Mirror, "note", payload)
    )


def reader_paths(site: dict) -> list[str]:
    lead = ArticlePage.objects.get(pk=site["lead"].pk)
    tag = lead.tag_list[0]
    newsletter, issue = site["newsletter"], site["issue"]
    return [
        "/",
        lead.relative_path(),
        site["news"].relative_path(),
        f"/tags/{tag.slug}/",
        f"/authors/{site['authors']['anna'].slug}/",
        site["pages"]["about"].relative_path(),
        site["give"].relative_path(),
        newsletter.archive_path(),
        newsletter.issue_path(issue),
    ]


def live_markup(html: bytes) -> list[str]:
    """Everything in the page that could run script or load from elsewhere, but ours."""
    document = html5lib.parse(html, namespaceHTMLElements=False)
    found = []
    for element in document.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        tag = tag.rpartition("}")[2].lower()
        if tag == "script":
            kind, src = element.get("type", ""), element.get("src", "")
            if kind == "application/ld+json" and not src:
                try:
                    json.loads(element.text or "")
                except ValueError:
                    found.append(f"JSON-LD broken open: {element.text!r}")
            elif not (src.startswith("/static/") and set(element.keys()) <= {"src", "defer"}):
                found.append(f"script {dict(element.items())} {element.text!r}")
        if tag in FORBIDDEN_ELEMENTS:
            found.append(f"<{tag}> element")
        if tag == "meta" and element.get("http-equiv"):
            found.append(f"meta http-equiv={element.get('http-equiv')}")
        for name, value in element.items():
            name = name.rpartition("}")[2].lower() if isinstance(name, str) else str(name)
            if name.startswith("on"):
                found.append(f"<{tag} {name}={value!r}>")
            if name == "style" or name == "srcdoc":
                found.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES:
                # As a browser reads a URL: control characters and whitespace dropped.
                url = re.sub(r"[\x00-\x20]", "", value).lower()
                if url.startswith(BAD_SCHEMES):
                    found.append(f"<{tag} {name}={value!r}>")
                if tag in {"img", "script", "link", "source", "iframe"} and name != "href":
                    if not url.startswith("/"):
                        found.append(f"<{tag} {name}={value!r}> loads from elsewhere")
                if tag == "link" and name == "href" and element.get("rel") == "stylesheet":
                    if not url.startswith("/"):
                        found.append(f"stylesheet {value!r} from elsewhere")
    return found


def test_known_xss_payloads_in_every_editable_field_come_out_inert(site, settings, tmp_path):
    settings.GAZETTE_STORE_DIR = tmp_path / "store"
    store = PageStore()
    client = Client()
    problems = []
    for number, payload in enumerate(PAYLOADS):
        put_everywhere(site, payload)
        paths = reader_paths(site)
        render_paths(paths, store=store)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (payload, path)
            stored = store.read(path)
            assert stored is not None, (payload, path)
            for where, html in (("django", response.content), ("store", stored)):
                problems += [f"payload {number} {payload!r} {where} {path}: {problem}"
                             for problem in live_markup(html)]  # fmt: skip
        # The payload did reach the page (escaped), so the fields were really shown.
        assert escape(payload) in client.get(paths[1]).content.decode(), payload
    assert problems == [], "\n".join(problems[:40])


def test_the_check_finds_live_markup():
    """The checker itself: each kind of live markup it looks for is reported."""
    page = (
        b"<!doctype html><title>x</title><script>alert(1)</script>"
        b'<script type="application/ld+json">{"a": "</script><script>alert(2)</script>"}'
        b'<img src=x onerror=alert(1)><a href=" JaVa\tscript:alert(1)">x</a>'
        b'<iframe srcdoc="x"></iframe><p style="color:red">x</p>'
        b'<img src="https://evil.example/pixel.gif">'
        b'<meta http-equiv="refresh" content="0;url=/">'
        b'<script src="/static/newsroom/embeds.js" defer></script>'
    )
    found = "\n".join(live_markup(page))
    for expected in [
        "alert(1)",
        "JSON-LD broken open",
        "onerror",
        "JaVa",
        "<iframe> element",
        "style=",
        "loads from elsewhere",
        "http-equiv=refresh",
    ]:
        assert expected in found, expected
    assert "embeds.js" not in found
