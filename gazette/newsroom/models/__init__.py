"""The newsroom's content model, split by concern and re-exported here so that
``from gazette.newsroom.models import ArticlePage`` keeps working as modules move."""

from .articles import ArticleByline, ArticleKind, ArticlePage, ArticleQuerySet, ArticleTag
from .authors import Author
from .base import ReaderPage
from .pages import HomePage, SectionPage, StandardPage
from .site import NewsroomSettings

__all__ = [
    "ArticleByline",
    "ArticleKind",
    "ArticlePage",
    "ArticleQuerySet",
    "ArticleTag",
    "Author",
    "HomePage",
    "NewsroomSettings",
    "ReaderPage",
    "SectionPage",
    "StandardPage",
]
