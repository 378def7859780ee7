from django import template

from gazette.privacy.retention import kept

register = template.Library()


@register.inclusion_tag("privacy/retention_table.html")
def retention_table():
    """What is kept and for how long, from the settings (no query)."""
    return {"rows": kept()}


@register.simple_tag
def is_privacy_page(page, newsroom) -> bool:
    """True on the newsroom's privacy policy page in any of its languages."""
    chosen = getattr(newsroom, "privacy_page_id", None)
    if not chosen or page is None:
        return False
    return page.pk == chosen or page.translation_key == newsroom.privacy_page.translation_key
