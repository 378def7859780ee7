"""Rich text is cleaned with nh3 (https://nh3.readthedocs.io) when a page is rendered.

Wagtail's editor already filters rich text to the enabled features when an editor saves it,
but rich text also arrives by other ways: imports, the demo loader, scripts and the shell,
API clients, and old revisions an editor reverts to, saved before a feature was turned off.
Cleaning at render time covers all of them in one place, and the page store is rendered once
per publish (not per reader), so the cost (microseconds a paragraph, nh3 is Rust) is paid
once. Cleaning on save as well would only repeat it.

What stays is what our rich text features produce (blocks.RICH_TEXT_FEATURES, with h2/h3 on
plain pages) once Wagtail has expanded its internal links: no images, media or embeds (those
are blocks with their own templates), no attributes but a link's href, and only http(s),
mailto and tel links besides paths on our own site. Plain text fields need nothing of this:
Django's templates escape them.
"""

import nh3
from django.utils.safestring import SafeString, mark_safe
from wagtail.rich_text import RichText, expand_db_html

ALLOWED_TAGS = {
    "p",
    "br",
    "b",
    "strong",
    "i",
    "em",
    "a",
    "ol",
    "ul",
    "li",
    "sup",
    "sub",
    "h2",
    "h3",
    "h4",
    "blockquote",
}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    # Contents of these go with them, not left behind as text.
    clean_content_tags={"script", "style", "iframe", "noscript", "template", "object"},
    strip_comments=True,
    # Links keep no rel of the editor's; external ones open in the same tab, so no opener leaks.
    link_rel=None,
)


def clean_html(html: str) -> SafeString:
    """HTML from rich text (already expanded from Wagtail's database format), cleaned."""
    return mark_safe(_cleaner.clean(str(html)))  # noqa: S308 - nh3 has just cleaned it


def render_rich_text(value) -> SafeString:
    """A RichTextField's value or a RichText block value, expanded and cleaned."""
    if isinstance(value, RichText):
        value = value.source
    return clean_html(expand_db_html(value or ""))
