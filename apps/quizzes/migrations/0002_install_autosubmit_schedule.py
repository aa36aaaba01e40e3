"""Formerly installed the auto-submit's beat entry. The entry is now installed after every
migrate by apps.core.periodic (post_migrate), so this migration does nothing forward and imports
no app code; backward it removes the entry by name.
"""

from django.db import migrations

AUTO_SUBMIT_PERIODIC_TASK_NAME = "submit expired quiz attempts"


def uninstall(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.using(schema_editor.connection.alias).filter(
        name=AUTO_SUBMIT_PERIODIC_TASK_NAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0001_quizzes_attempts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, uninstall)]
