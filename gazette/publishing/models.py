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


class Lease(models.Model):
    """A named lock held in the database, for databases without advisory locks (SQLite):
    the row's unique name is the lock; an expired lease may be taken over."""

    name = models.CharField(max_length=200, unique=True)
    holder = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
