"""What the data migrations that give groups their permissions share (0003, 0010, 0015, 0016,
0017, 0020). Django's migration loader skips modules whose names start with "_"."""

from django.contrib.auth.management import create_permissions


def permissions(apps, app_label, codenames):
    """The app's permissions of these codenames, made first if need be: Django normally
    creates permissions after all migrations have run."""
    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)


def grant(apps, group_name, app_label, codenames):
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=group_name)
    group.permissions.add(*permissions(apps, app_label, codenames))


def revoke(apps, group_name, app_label, codenames):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    for group in Group.objects.filter(name=group_name):
        group.permissions.remove(*wanted)
