"""Create one group per role of DESIGN §2. Their model permissions are kept in step with
govdata/roles.py after every migrate (govdata.apps.sync_role_permissions)."""

from django.db import migrations

ROLE_GROUPS = ["bureau_officer", "department_liaison", "auditor", "operator_user", "audit_firm_user"]


def create_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
