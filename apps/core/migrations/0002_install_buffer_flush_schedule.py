"""Formerly installed the buffer flush's beat entry. The entry is now installed after every
migrate by apps.core.periodic (post_migrate), so this migration does nothing forward and imports
no app code; backward it removes the entry by name.
"""

from django.db import migrations

FLUSH_PERIODIC_TASK_NAME = "flush write-behind buffer"


def uninstall(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.using(schema_editor.connection.alias).filter(
        name=FLUSH_PERIODIC_TASK_NAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, uninstall)]
