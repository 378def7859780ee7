from urllib.parse import urlsplit

from django import template
from django.utils import translation
from wagtail.images.templatetags.wagtailimages_tags import PictureNode
from wagtail.images.templatetags.wagtailimages_tags import image as parse_image_tag

from gazette.newsroom.models.base import page_path
from gazette.newsroom.sanitize import render_rich_text
from gazette.publishing.session import current as current_session

register = template.Library()


@register.filter
def href(page) -> str:
    """A page's path on whatever host the reader came through: Wagtail's ``page.url`` turns
    absolute as soon as a second Site exists (an onion address, a mirror), and pages must
    work on all of them."""
    return "" if page is None else page_path(page)


@register.filter
def clean_richtext(value):
    """Wagtail's ``richtext`` filter, its HTML cleaned with nh3 (see newsroom/sanitize.py)."""
    return render_rich_text(value)


@register.filter
def web_url(value) -> str:
    """``value`` if it is an http(s) URL or a path on this site, else '': a javascript: or
    data: address imported or scripted into a URL field (the admin's forms refuse them)
    must not become a link."""
    url = str(value or "").strip()
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https") or (not scheme and url.startswith("/")):
        return url
    return ""


@register.tag
def buildcache(parser, token):
    """``{% buildcache "name" key ... %}...{% endbuildcache %}``: the block is rendered once
    per build for the same keys and language, and its output reused (a teaser shown on many
    listing pages, the footer of every page). Outside a build it is rendered every time.

    The output must depend only on the keys, the language and what stays the same for the
    whole build (newsroom settings, sections, mirrors).

    A last word ``shared`` shares the output with the build's other processes (a teaser:
    one per article, too many to keep in memory, each shown on several listings)."""
    bits = token.split_contents()[1:]
    shared = bool(bits) and bits[-1] == "shared"
    if shared:
        bits = bits[:-1]
    if not bits:
        raise template.TemplateSyntaxError("buildcache needs a name")
    nodelist = parser.parse(("endbuildcache",))
    parser.delete_first_token()
    return BuildCacheNode(nodelist, [parser.compile_filter(bit) for bit in bits], shared)


def _hashable(value):
    if isinstance(value, str | int | float | bool | type(None)):
        return value
    if isinstance(value, list | tuple | dict):
        return repr(value)
    raise template.TemplateSyntaxError(
        f"buildcache keys must be plain values, not {type(value).__name__}"
    )


class BuildCacheNode(template.Node):
    def __init__(self, nodelist, keys, shared=False):
        self.nodelist = nodelist
        self.keys = keys
        self.shared = shared

    def render(self, context):
        session = current_session()
        if session is None:
            return self.nodelist.render(context)
        key = (
            "fragment",
            self.origin.name if self.origin else "",
            self.token.position if self.token else None,
            translation.get_language(),
            *(_hashable(key.resolve(context)) for key in self.keys),
        )
        remember = session.remember_shared if self.shared else session.remember
        return remember(key, lambda: self.nodelist.render(context))


class PictureWithParsedFilters(PictureNode):
    """Wagtail's ``{% picture %}`` node, keeping the Filter objects it makes from its specs.
    Wagtail's node makes new ones on every render, and each new Filter parses its operations
    again (``inspect.getcallargs`` per operation): ~1 ms of a listing teaser's picture. A
    Filter holds nothing specific to an image, so one set serves every render."""

    def get_filters(self):
        filters = self.__dict__.get("_parsed_filters")
        if filters is None:
            filters = self._parsed_filters = super().get_filters()
        return filters


@register.tag("picture")
def picture(parser, token):
    """``{% picture %}`` exactly as Wagtail parses it (load this library after
    wagtailimages_tags), rendered by ``PictureWithParsedFilters``."""
    node = parse_image_tag(parser, token)
    node.__class__ = PictureWithParsedFilters  # same fields; only get_filters differs
    return node
