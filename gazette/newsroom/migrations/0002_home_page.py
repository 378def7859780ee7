"""Replace Wagtail's placeholder welcome page with the newsroom's home page and add the Russian
locale, so a freshly migrated site is a working (empty) newsroom."""

from django.db import migrations


def create_home_page(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    Locale = apps.get_model("wagtailcore.Locale")
    HomePage = apps.get_model("newsroom.HomePage")

    english, _ = Locale.objects.get_or_create(language_code="en")
    Locale.objects.get_or_create(language_code="ru")

    page_type = ContentType.objects.get_for_model(Page)
    placeholder = Page.objects.filter(depth=2, slug="home", content_type=page_type).first()
    if placeholder is None:
        return
    path = placeholder.path
    placeholder.delete()
    home_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="newsroom")
    home = HomePage.objects.create(
        title="Home",
        draft_title="Home",
        slug="home",
        content_type=home_type,
        path=path,
        depth=2,
        numchild=0,
        url_path="/home/",
        locale=english,
    )
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "Gazette"},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("newsroom", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_home_page, migrations.RunPython.noop)]
