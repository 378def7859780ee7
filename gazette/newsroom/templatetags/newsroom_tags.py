from django import template

register = template.Library()


@register.filter
def href(page) -> str:
    """A page's path on whatever host the reader came through: Wagtail's ``page.url`` turns
    absolute as soon as a second Site exists (an onion address, a mirror), and pages must
    work on all of them."""
    if page is None:
        return ""
    parts = page.get_url_parts()
    return parts[2] if parts else ""
