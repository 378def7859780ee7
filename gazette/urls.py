from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from gazette.accounts import urls as accounts_urls
from gazette.accounts.views import SignInView
from gazette.publishing import feeds, mirrorlist, sitemaps

urlpatterns = [
    # Staff sign-in: the password step (throttled) and second factors, before Wagtail's own.
    path(settings.WAGTAILADMIN_PATH + "/login/", SignInView.as_view(), name="wagtailadmin_login"),
    path(settings.WAGTAILADMIN_PATH + "/security/", include(accounts_urls)),
    path(settings.WAGTAILADMIN_PATH + "/security/", include(accounts_urls.webauthn_patterns)),
    path(settings.WAGTAILADMIN_PATH + "/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("newsletters/", include("gazette.newsletters.urls")),
    path("donate/", include("gazette.support.urls")),
    path("robots.txt", sitemaps.robots_txt),
    path("mirrors.json", mirrorlist.mirrors_json),
    path("sitemap.xml", sitemaps.sitemap_index),
    path("sitemaps/pages.xml", sitemaps.pages_sitemap),
    path("sitemaps/news.xml", sitemaps.news_sitemap),
    path("sitemaps/articles-<int:number>.xml", sitemaps.articles_sitemap),
]

# English, the default language, has no prefix; Russian pages live under /ru/.
urlpatterns += i18n_patterns(
    re_path(
        r"^(?P<prefix>(?:[\w-]+/){0,2})(?P<name>rss\.xml|atom\.xml|feed\.json)$",
        feeds.feed,
    ),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)
