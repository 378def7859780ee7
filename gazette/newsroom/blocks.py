"""StreamField blocks for article and plain-page bodies."""

import re
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

from .sanitize import render_rich_text

RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul", "superscript", "subscript"]

# Hosts whose posts editors may embed. Reading the page never loads anything from them: a
# post is a card that links out; a video (PLAYERS) is a placeholder whose button, once the
# reader clicks it, puts the provider's player in its place (newsroom/embeds.js).
EMBED_PROVIDERS = {
    "youtube.com": "YouTube",
    "youtu.be": "YouTube",
    "vimeo.com": "Vimeo",
    "x.com": "X",
    "twitter.com": "X",
    "t.me": "Telegram",
    "instagram.com": "Instagram",
    "facebook.com": "Facebook",
    "soundcloud.com": "SoundCloud",
    "bsky.app": "Bluesky",
    "mastodon.social": "Mastodon",
}


_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_VIMEO_ID = re.compile(r"[0-9]{1,12}")


def _youtube_player(parts) -> str | None:
    host = (parts.hostname or "").lower()
    path = [segment for segment in parts.path.split("/") if segment]
    if host == "youtu.be":
        video = path[0] if path else ""
    elif path[:1] == ["watch"]:
        video = parse_qs(parts.query).get("v", [""])[0]
    elif len(path) >= 2 and path[0] in ("shorts", "embed", "live", "v"):
        video = path[1]
    else:
        return None
    if not _YOUTUBE_ID.fullmatch(video):
        return None
    # youtube-nocookie.com: YouTube's embed that sets no cookie until the video is played.
    return f"https://www.youtube-nocookie.com/embed/{video}"


def _vimeo_player(parts) -> str | None:
    path = [segment for segment in parts.path.split("/") if segment]
    video = path[-1] if path else ""
    if not _VIMEO_ID.fullmatch(video):
        return None
    # dnt=1: Vimeo's player then sets no cookies and keeps no session data.
    return f"https://player.vimeo.com/video/{video}?dnt=1"


# Providers whose videos play on the page after the reader's click. Their player origins are
# the only frame sources the reader pages' CSP allows (publishing/headers.py).
PLAYERS = {"YouTube": _youtube_player, "Vimeo": _vimeo_player}


def player_url(url: str) -> str | None:
    """The provider's player for a video address, or None (not a video we can play)."""
    finder = PLAYERS.get(embed_provider(url) or "")
    parts = urlsplit(url)
    if finder is None or parts.scheme != "https":
        return None
    return finder(parts)


class SanitizedRichTextBlock(blocks.RichTextBlock):
    """Wagtail's RichTextBlock, its HTML cleaned with nh3 when rendered (see sanitize.py)."""

    # Migrations name the block as Wagtail's: it stores the same data, only renders it more
    # carefully, and the existing migrations need not change.
    canonical_module_path = "wagtail.blocks.RichTextBlock"

    def render_basic(self, value, context=None):
        return render_rich_text(value)


def embed_provider(url: str) -> str | None:
    host = (urlsplit(url).hostname or "").lower()
    for domain, name in EMBED_PROVIDERS.items():
        if host == domain or host.endswith("." + domain):
            return name
    return None


class PullQuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(label=_("Quote"))
    attribution = blocks.CharBlock(label=_("Attribution"), required=False, max_length=200)

    class Meta:
        icon = "openquote"
        template = "newsroom/blocks/pull_quote.html"


class CaptionedImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=400)
    credit = blocks.CharBlock(label=_("Credit"), required=False, max_length=200)

    class Meta:
        icon = "image"
        template = "newsroom/blocks/captioned_image.html"


class SafeEmbedBlock(blocks.StructBlock):
    """A post from a video or social site. Nothing loads from the provider while the page is
    read: a post is a link card; a YouTube or Vimeo video is a placeholder with a button
    that loads the player (telling the reader the provider will see their address) and a
    plain link, which is all a reader without JavaScript, or a mirror's reader, needs."""

    url = blocks.URLBlock(label=_("Address of the post or video"))
    title = blocks.CharBlock(label=_("What it shows"), max_length=200)

    class Meta:
        icon = "media"
        template = "newsroom/blocks/safe_embed.html"

    def clean(self, value):
        value = super().clean(value)
        if urlsplit(value["url"]).scheme != "https" or not embed_provider(value["url"]):
            raise blocks.StructBlockValidationError(
                block_errors={
                    "url": ValidationError(
                        _("Embeds must be https links to one of: %(providers)s.")
                        % {"providers": ", ".join(sorted(set(EMBED_PROVIDERS.values())))}
                    )
                }
            )
        return value

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["provider"] = embed_provider(value["url"])
        context["player_url"] = player_url(value["url"])
        return context


class ArticleBodyBlock(blocks.StreamBlock):
    paragraph = SanitizedRichTextBlock(features=RICH_TEXT_FEATURES, label=_("Paragraph"))
    subheading = blocks.CharBlock(
        label=_("Subheading"),
        max_length=200,
        form_classname="title",
        icon="title",
        template="newsroom/blocks/subheading.html",
    )
    pull_quote = PullQuoteBlock(label=_("Pull quote"))
    image = CaptionedImageBlock(label=_("Image"))
    embed = SafeEmbedBlock(label=_("Embed"))


class PlainBodyBlock(blocks.StreamBlock):
    paragraph = SanitizedRichTextBlock(features=RICH_TEXT_FEATURES + ["h2", "h3"])
    subheading = blocks.CharBlock(
        max_length=200, icon="title", template="newsroom/blocks/subheading.html"
    )
    image = CaptionedImageBlock()
