from django.conf import settings
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's, without ``Vary: Accept-Language`` on reader pages.

    A reader page's language comes from its path alone (no prefix is English, /ru/ Russian;
    i18n_patterns with prefix_default_language=False), never from the browser, so caches and
    CDNs must not keep a copy per browser language. The admin still follows the browser.
    """

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if request.path.startswith("/" + settings.WAGTAILADMIN_PATH + "/"):
            return response
        vary = [
            value.strip()
            for value in response.get("Vary", "").split(",")
            if value.strip() and value.strip().lower() != "accept-language"
        ]
        if vary:
            response["Vary"] = ", ".join(vary)
        elif "Vary" in response:
            del response["Vary"]
        return response
