"""The newsroom's roles as groups (see ``gazette.accounts.roles``)."""

from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.db import migrations

from gazette.accounts.roles import apply_roles


def create_roles(apps, schema_editor):
    # On a new database Django adds permissions after all migrations ran; the roles need
    # them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_contenttypes(app_config, apps=apps, verbosity=0)
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    apply_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_audit_append_only"),
        ("auth", "__latest__"),
        ("wagtailcore", "__latest__"),
        ("wagtailadmin", "__latest__"),
        ("wagtailimages", "__latest__"),
        ("wagtaildocs", "__latest__"),
        ("newsroom", "__latest__"),
        ("newsletters", "__latest__"),
        ("support", "__latest__"),
        ("publishing", "__latest__"),
        ("insights", "__latest__"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
