"""The fragments a full build's processes share, and teasers fetched only when needed."""

import subprocess
import sys

import pytest

from gazette.publishing.session import BuildSession, SharedFragments, use_session
from tests.factories import make_article, make_author, make_section

KEY = ("fragment", "teaser.html", (0, 10), "en", 7, False, True, True)


CHILD = f"""
import sys
from gazette.publishing.session import SharedFragments
SharedFragments(sys.argv[1]).put({KEY!r}, "<article>from the other process</article>")
"""


def test_a_fragment_put_by_one_process_is_read_by_another(tmp_path):
    path = str(tmp_path / "fragments.sqlite3")
    shared = SharedFragments(path)
    assert shared.get(KEY) is None
    # A process of its own, not a fork: the test run may have other threads (see
    # test_rendering.py).
    child = subprocess.run([sys.executable, "-c", CHILD, path], capture_output=True, text=True)
    assert child.returncode == 0, child.stderr
    assert shared.get(KEY) == "<article>from the other process</article>"


def test_a_shared_fragment_is_rendered_once_per_build(tmp_path):
    path = str(tmp_path / "fragments.sqlite3")
    renders = []

    def render():
        renders.append(1)
        return "<p>teaser</p>"

    first = BuildSession(bulk=True, shared=SharedFragments(path))
    second = BuildSession(bulk=True, shared=SharedFragments(path))  # the other process
    assert first.remember_shared(KEY, render) == "<p>teaser</p>"
    assert second.remember_shared(KEY, render) == "<p>teaser</p>"
    assert len(renders) == 1


@pytest.mark.django_db
def test_teasers_are_fetched_only_when_a_template_needs_more_than_the_id(
    django_assert_num_queries,
):
    section = make_section("News")
    author = make_author("Ana Reporter")
    articles = [make_article(section, f"Story {n}", authors=[author]) for n in range(3)]
    session = BuildSession(bulk=True)
    with use_session(session):
        with django_assert_num_queries(0):
            teasers = session.teasers([article.pk for article in articles])
            assert [teaser.pk for teaser in teasers] == [article.pk for article in articles]
        titles = [teaser.title for teaser in teasers]  # one round for all three
    assert titles == ["Story 0", "Story 1", "Story 2"]


@pytest.mark.django_db
def test_a_teaser_for_an_article_gone_since_its_listing_was_read_fails_loudly():
    session = BuildSession(bulk=True)
    (teaser,) = session.teasers([987654])
    with pytest.raises(LookupError, match="no longer published"):
        teaser.title  # noqa: B018 - the lookup is the test
