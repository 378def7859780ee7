"""StreamField blocks for article and plain-page bodies."""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul", "superscript", "subscript"]

# Hosts whose posts editors may embed. The block never loads anything from them: it shows a
# card that links out, so a reader's browser makes no request to a third party by reading.
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
    """A post from a video or social site, shown as a link card: nothing loads from the
    provider unless the reader follows the link."""

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
        return context


class ArticleBodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, label=_("Paragraph"))
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
    paragraph = blocks.RichTextBlock(features=RICH_TEXT_FEATURES + ["h2", "h3"])
    subheading = blocks.CharBlock(
        max_length=200, icon="title", template="newsroom/blocks/subheading.html"
    )
    image = CaptionedImageBlock()
