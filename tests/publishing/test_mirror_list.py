import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from gazette.publishing.models import Mirror

pytestmark = pytest.mark.django_db

ONION = "http://lanternexampleonionaddressxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion/"


def test_mirrors_are_listed_in_every_footer_and_as_json(newsroom):
    Mirror.objects.create(address="https://lantern-mirror.example/", note="Fast in Europe")
    Mirror.objects.create(address=ONION, kind=Mirror.Kind.ONION)
    Mirror.objects.create(address="https://retired.example/", active=False)
    for path in ["/", newsroom["lead"].url, "/tags/censorship/"]:
        html = Client().get(path).content.decode()
        assert '<a href="https://lantern-mirror.example/" rel="nofollow">' in html, path
        assert ONION in html and "(Tor Browser)" in html
        assert "retired.example" not in html
    document = json.loads(Client().get("/mirrors.json").content)
    assert document == {
        "primary": "https://lantern.example/",
        "mirrors": [
            {"address": "https://lantern-mirror.example/", "kind": "web", "note": "Fast in Europe"},
            {"address": ONION, "kind": "onion", "note": ""},
        ],
    }


@pytest.mark.parametrize(
    ("address", "kind", "field"),
    [
        ("https://mirror.example/", "onion", "address"),
        (ONION, "web", "kind"),
        ("http://mirror.example/", "web", "address"),
    ],
)
def test_mirror_addresses_are_checked(address, kind, field):
    with pytest.raises(ValidationError) as error:
        Mirror(address=address, kind=kind).full_clean()
    assert field in error.value.message_dict
