"""Install the beat entry that flushes the write-behind buffer (a fresh deploy has it).

The interval is read from settings.BATCH_PROCESSOR_INTERVAL when the migration runs; a post_migrate
hook calling apps.core.tasks.install_periodic_tasks() keeps it in step afterwards.
"""

from django.db import migrations


def install(apps, schema_editor):
    from apps.core.tasks import install_periodic_tasks

    install_periodic_tasks(apps, using=schema_editor.connection.alias)


def uninstall(apps, schema_editor):
    from apps.core.tasks import FLUSH_PERIODIC_TASK_NAME

    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.using(schema_editor.connection.alias).filter(
        name=FLUSH_PERIODIC_TASK_NAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
