"""Renders public pages to bytes for the page store, through Django's full request path, so
a stored page is byte for byte what Django would answer (headers aside)."""

from dataclasses import dataclass, field

from django.conf import settings
from django.test import Client

from .dependencies import collecting


@dataclass
class Rendered:
    path: str
    status: int
    body: bytes = b""
    shows: set[int] = field(default_factory=set)
    page_id: int | None = None


class Renderer:
    def __init__(self):
        # No session, no cookies: the page every anonymous reader gets.
        self.client = Client(
            headers={"host": settings.GAZETTE_RENDER_HOST}, raise_request_exception=True
        )

    def render(self, path: str) -> Rendered:
        with collecting() as shown:
            response = self.client.get(path)
        if response.status_code != 200:
            return Rendered(path, response.status_code)
        # Wagtail answers with a TemplateResponse whose context names the page.
        page = (getattr(response, "context_data", None) or {}).get("page")
        return Rendered(
            path,
            200,
            response.content,
            set(shown),
            page_id=getattr(page, "pk", None),
        )
