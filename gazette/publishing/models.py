from django.db import models


class StoredPage(models.Model):
    """A path the page store holds, the page it renders (if any) and the articles it shows:
    what tells an article's change which stored pages to render again."""

    path = models.CharField(max_length=1000, unique=True)
    page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shows = models.ManyToManyField("newsroom.ArticlePage", related_name="+", blank=True)
    rendered_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.path
