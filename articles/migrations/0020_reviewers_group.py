"""The Reviewers group (health professionals): they see the pages and the changes waiting for
review, and approve them or send them back. Editors see the changes (their own come back with
a reviewer's comment) but cannot approve them."""

from django.db import migrations

REVIEWERS = {
    "articles": [
        "view_article", "view_section", "view_pagetext", "view_revision", "review_revision",
    ],
}  # fmt: skip
EDITORS = {"articles": ["view_revision"]}


def permissions(apps, wanted):
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codenames in wanted.items()
        for codename in codenames
    ]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; make sure these exist now.
    app_config = apps.get_app_config("articles")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    reviewers, _ = Group.objects.get_or_create(name="Reviewers")
    reviewers.permissions.add(*permissions(apps, REVIEWERS))
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(*permissions(apps, EDITORS))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name="Reviewers").delete()
    for group in Group.objects.filter(name="Editors"):
        group.permissions.remove(*permissions(apps, EDITORS))


class Migration(migrations.Migration):
    dependencies = [("articles", "0019_drafts_and_review")]

    operations = [migrations.RunPython(grant, revoke)]
