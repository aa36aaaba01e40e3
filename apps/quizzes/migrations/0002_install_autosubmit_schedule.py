"""Install the beat entry that submits expired quiz attempts (a fresh deploy has it)."""

from django.db import migrations


def install(apps, schema_editor):
    from apps.quizzes.tasks import install_periodic_tasks

    install_periodic_tasks(apps, using=schema_editor.connection.alias)


def uninstall(apps, schema_editor):
    from apps.quizzes.tasks import AUTO_SUBMIT_PERIODIC_TASK_NAME

    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.using(schema_editor.connection.alias).filter(
        name=AUTO_SUBMIT_PERIODIC_TASK_NAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0001_quizzes_attempts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
