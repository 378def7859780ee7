from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail import views as wagtail_views
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from gazette.accounts import urls as accounts_urls
from gazette.accounts.views import SignInView
from gazette.newsroom.search import search_view
from gazette.publishing import feeds, mirrorlist, sitemaps
from gazette.ratelimits import limit_posts

urlpatterns = [
    # Staff sign-in: the password step (throttled) and second factors, before Wagtail's own.
    path(settings.WAGTAILADMIN_PATH + "/login/", SignInView.as_view(), name="wagtailadmin_login"),
    path(settings.WAGTAILADMIN_PATH + "/security/", include(accounts_urls)),
    path(settings.WAGTAILADMIN_PATH + "/security/", include(accounts_urls.webauthn_patterns)),
    path(settings.WAGTAILADMIN_PATH + "/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("newsletters/", include("gazette.newsletters.urls")),
    path("donate/", include("gazette.support.urls")),
    path("insights/", include("gazette.insights.urls")),
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
    path("search/", search_view, name="search"),
    # Wagtail's two public POSTs (a page's password, the front-end sign-in), as Wagtail
    # routes them but rate-limited; the same names, so reverse() gives the same paths.
    path(
        "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/",
        limit_posts("wagtail:page-password")(wagtail_views.authenticate_with_password),
        name="wagtailcore_authenticate_with_password",
    ),
    path(
        "_util/login/",
        limit_posts("wagtail:login")(
            auth_views.LoginView.as_view(
                template_name=getattr(
                    settings, "WAGTAIL_FRONTEND_LOGIN_TEMPLATE", "wagtailcore/login.html"
                )
            )
        ),
        name="wagtailcore_login",
    ),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)
