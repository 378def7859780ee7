"""A small newsroom for tests, built through the same models and publish path editors use."""

from datetime import timedelta
from io import BytesIO

from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Locale, Page, Site

from gazette.newsroom.models import (
    ArticleByline,
    ArticlePage,
    Author,
    NewsroomSettings,
    SectionPage,
    StandardPage,
)
from gazette.publishing.building import rebuilds_paused


def make_image(title: str = "Harbour at dusk", colour: str = "#336699"):
    buffer = BytesIO()
    PILImage.new("RGB", (1600, 900), colour).save(buffer, "JPEG")
    return get_image_model().objects.create(title=title, file=ImageFile(buffer, name="lead.jpg"))


def home_page():
    return Site.objects.get(is_default_site=True).root_page.specific


def make_section(title: str, slug: str | None = None) -> SectionPage:
    section = SectionPage(title=title, slug=slug or title.lower(), show_in_menus=True)
    home_page().add_child(instance=section)
    section.save_revision().publish()
    return section


def make_author(name: str, *, slug: str | None = None, **fields) -> Author:
    return Author.objects.create(
        locale=Locale.get_default(),
        name=name,
        slug=slug or name.lower().replace(" ", "-"),
        **fields,
    )


def make_article(
    section: SectionPage,
    title: str,
    *,
    authors: list[Author],
    tags: list[str] = (),
    hours_ago: float = 1,
    publish: bool = True,
    **fields,
) -> ArticlePage:
    defaults = {
        "standfirst": f"What happened: {title.lower()}.",
        "body": [("paragraph", f"<p>Report on {title}.</p>")],
        "slug": title.lower().replace(" ", "-"),
    }
    article = ArticlePage(title=title, live=False, **{**defaults, **fields})
    article.bylines = [ArticleByline(author=author) for author in authors]
    article.tags.set(list(tags))
    section.add_child(instance=article)
    if publish:
        article.save_revision().publish()
        when = timezone.now() - timedelta(hours=hours_ago)
        Page.objects.filter(pk=article.pk).update(first_published_at=when, last_published_at=when)
        article.refresh_from_db()
    else:
        article.save_revision()
    return article


def make_newsroom() -> dict:
    """Two sections, three authors (one a desk), five articles, About/Privacy/Support pages.
    The page store is left alone; tests of the store build it themselves."""
    with rebuilds_paused():
        return _make_newsroom()


def _make_newsroom() -> dict:
    site = Site.objects.get(is_default_site=True)
    news, business = make_section("News"), make_section("Business")
    anna = make_author("Anna Petrenko", role="Correspondent")
    ivan = make_author("Ivan Sorokin", role="Economics editor")
    staff = make_author("Lantern Staff", slug="staff", is_organisation=True)
    image = make_image()
    lead = make_article(
        news,
        "Assembly passes media law",
        authors=[anna, staff],
        tags=["Censorship", "Assembly"],
        hours_ago=1,
        dateline="RIGA",
        source_credit="With reporting by Baltic Wire",
        lead_image=image,
        lead_image_caption="The Assembly building in Varn.",
        lead_image_credit="Photo: The Lantern",
        body=[
            ("paragraph", "<p>The Assembly voted on Tuesday.</p>"),
            ("subheading", "What the law says"),
            ("pull_quote", {"quote": "We will keep reporting.", "attribution": "An editor"}),
            ("paragraph", "<p>Critics said the law <b>silences</b> reporters.</p>"),
        ],
    )
    tagged = make_article(
        business, "Printers face new fines", authors=[ivan], tags=["Censorship"], hours_ago=5
    )
    same_section = make_article(news, "Bridge reopens in Oskel", authors=[anna], hours_ago=3)
    older = make_article(news, "Court hears appeal", authors=[anna], tags=["Courts"], hours_ago=30)
    other = make_article(
        business, "Grain exports fall", authors=[ivan], tags=["Economy"], hours_ago=2
    )
    pages = {}
    for slug, title in [
        ("about", "About us"),
        ("privacy", "Privacy Policy"),
        ("support", "Support us"),
    ]:
        page = StandardPage(title=title, slug=slug, intro=f"<p>{title} text.</p>")
        home_page().add_child(instance=page)
        page.save_revision().publish()
        pages[slug] = page
    NewsroomSettings.objects.update_or_create(
        site=site,
        defaults={
            "name": "The Lantern",
            "tagline": "Independent news",
            "about_page": pages["about"],
            "privacy_page": pages["privacy"],
            "support_page": pages["support"],
        },
    )
    return {
        "news": news,
        "business": business,
        "authors": {"anna": anna, "ivan": ivan, "staff": staff},
        "lead": lead,
        "tagged": tagged,
        "same_section": same_section,
        "older": older,
        "other": other,
        "pages": pages,
    }


def make_staff(username: str, *permissions: str, email: str = ""):
    """A user who may enter the Wagtail admin, with ``permissions`` ("app.codename")
    through a group of their own, as roles grant them."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    user = get_user_model().objects.create_user(username, email, "correct horse 42")
    group = Group.objects.create(name=f"{username} group")
    for name in ("wagtailadmin.access_admin", *permissions):
        app_label, codename = name.split(".")
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    user.groups.add(group)
    return user


def second_factor(user):
    """The user's authenticator app (a confirmed TOTP device), made if they have none."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)


def sign_in_staff(client, user):
    """Sign ``user`` into the test client as a full sign-in leaves them: password and a
    second factor shown (staff need both to reach the admin). Returns the client."""
    from gazette.accounts.signin import mark_session

    device = second_factor(user)
    client.force_login(user)
    session = client.session
    mark_session(session, user, device)
    session.save()
    return client
