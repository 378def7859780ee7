"""The newsletter admin in Russian, for an editor who chose Russian in their Wagtail account,
and the Russian catalogue itself: every string translated, none fuzzy, the committed .mo
compiled from the committed .po (a forgotten `gazette compilemessages` shows here), and no
string of ours changing what Wagtail or Django says in Russian.

Our catalogue comes first (LOCALE_PATHS), so a msgid we share with Wagtail takes our
translation everywhere in the admin: "Preview" translated for the signup box once named
Wagtail's preview button "Пример выпуска". A word that needs another translation in our
sentence gets a context (pgettext, `{% translate ... context ... %}`).
"""

import shutil
import subprocess
from datetime import timedelta
from gettext import GNUTranslations
from pathlib import Path

import django
import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext, override
from wagtail.users.models import UserProfile

import gazette
from gazette.newsletters.models import Issue
from gazette.newsletters.scheduling import default_send_at
from tests.factories import sign_in_staff

from .conftest import make_issue
from .test_issues_admin import ISSUE_PERMISSIONS, person, sending

CATALOGUE = Path(gazette.__file__).parent / "locale" / "ru" / "LC_MESSAGES"

# Where we say it differently from Wagtail or Django, on purpose.
DIFFERENT_ON_PURPOSE = {
    "slug",  # "адрес": what editors call it, in the page editor too ("слаг" is jargon)
    "Active",  # "Активен", of a subscriber; Wagtail's users listing says "Активный"
    "Embed",  # "Встраиваемый материал"; Wagtail's embeds app: "Встраиваемый код"
    "tags",  # "теги", the spelling readers see; Wagtail's images say "тэги"
    "Latest",  # "Последнее", reader pages; Wagtail's revision comparison says "Последний"
    "Preview",  # "Предпросмотр", as Wagtail's admin says; its images app alone says "Превью"
}


@pytest.fixture
def russian_editor():
    user = person("redaktor", *ISSUE_PERMISSIONS, email="redaktor@lantern.example")
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "ru"
    profile.save()
    client = Client()
    sign_in_staff(client, user)
    return client


@pytest.mark.django_db
def test_the_sending_page_speaks_russian(russian_editor, newsroom, weekly):
    issue = make_issue(weekly, [newsroom["lead"]])
    page = russian_editor.get(sending(issue)).content.decode()
    for text in ("Время отправки", "По часовому поясу редакции.", "Запланировать"):
        assert text in page, text
    assert "Отправить тестовое письмо" in page and "Send a test" not in page

    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    response = russian_editor.post(sending(issue), {"action": "schedule", "send_at": past})
    assert response.status_code == 400
    assert "Это время уже прошло: выберите время в будущем." in response.content.decode()

    friday = timezone.localtime(default_send_at()).strftime("%Y-%m-%d %H:%M")
    response = russian_editor.post(
        sending(issue), {"action": "schedule", "send_at": friday}, follow=True
    )
    page = response.content.decode()
    assert "Выпуск запланирован." in page and "отправка запланирована на" in page


@pytest.mark.django_db
def test_a_refusal_is_one_russian_sentence(russian_editor, newsroom, weekly):
    # The refusal is put together from the status and the action: both must fit the
    # Russian sentence (the status in quotes, the action as an infinitive).
    issue = make_issue(weekly, [newsroom["lead"]], status=Issue.Status.SENT)
    response = russian_editor.post(sending(issue), {"action": "send_now"}, follow=True)
    assert (
        "Выпуск сейчас в статусе «отправлен»: его нельзя отправить сейчас."
        in response.content.decode()
    )


def catalogue(path: Path) -> dict[str, str]:
    with path.open("rb") as file:
        return {k: v for k, v in GNUTranslations(file)._catalog.items() if isinstance(k, str)}


def test_our_strings_leave_wagtails_russian_alone():
    ours = catalogue(CATALOGUE / "django.mo")
    theirs = [Path(django.__file__).parent / "conf" / "locale"]
    theirs += [Path(config.path) / "locale" for config in apps.get_app_configs()]
    clashes = {}
    for locale in theirs:
        mo = locale / "ru" / "LC_MESSAGES" / "django.mo"
        if locale.parent == CATALOGUE.parents[2] or not mo.exists():
            continue
        for msgid, translated in catalogue(mo).items():
            if msgid and msgid in ours and ours[msgid] != translated:
                clashes.setdefault(msgid, (ours[msgid], translated, str(locale.parent.name)))
    assert set(clashes) <= DIFFERENT_ON_PURPOSE, {
        msgid: clash for msgid, clash in clashes.items() if msgid not in DIFFERENT_ON_PURPOSE
    }
    with override("ru"):  # the clashes found when the newsletter strings were translated
        assert gettext("Preview") == "Предпросмотр"
        assert gettext("scheduled") == "запланированное"
        assert gettext("Email") == "Адрес электронной почты"


def test_the_russian_catalogue_is_complete_and_compiled(tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("gettext's msgfmt is not installed")
    fresh = tmp_path / "django.mo"
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", str(fresh), str(CATALOGUE / "django.po")],
        capture_output=True,
        text=True,
    )
    # --check: placeholders of python-format strings match; --statistics counts fuzzy and
    # untranslated entries, which Django would show in English.
    assert result.returncode == 0, result.stderr
    assert "fuzzy" not in result.stderr and "untranslated" not in result.stderr, result.stderr
    with fresh.open("rb") as new, (CATALOGUE / "django.mo").open("rb") as committed:
        assert GNUTranslations(committed)._catalog == GNUTranslations(new)._catalog
