"""A platform superuser belongs to no school. An account that is both (possible before) keeps
its school and role and loses the superuser flag: the API already treated it as a school user.
Full names and uploaded images are checked (`validate_person_name`, `ImageUpload`): validators
only, no change to the columns."""

from django.db import migrations, models

import apps.accounts.models
import apps.core.uploads


def demote_superusers_with_a_school(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(is_superuser=True, school__isnull=False).update(is_superuser=False)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="school",
            name="logo",
            field=models.ImageField(
                blank=True,
                upload_to="schools/logos/",
                validators=[apps.core.uploads.ImageUpload()],
                verbose_name="logo",
            ),
        ),
        migrations.AlterField(
            model_name="studentprofile",
            name="photo",
            field=models.ImageField(
                blank=True,
                upload_to="students/photos/",
                validators=[apps.core.uploads.ImageUpload()],
                verbose_name="photo",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="profile_picture",
            field=models.ImageField(
                blank=True,
                upload_to="users/pictures/",
                validators=[apps.core.uploads.ImageUpload()],
                verbose_name="profile picture",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="full_name",
            field=models.CharField(
                max_length=150,
                validators=[apps.accounts.models.validate_person_name],
                verbose_name="full name",
            ),
        ),
        migrations.RunPython(demote_superusers_with_a_school, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(("is_superuser", False), ("school__isnull", True), _connector="OR"),
                name="user_superuser_has_no_school",
            ),
        ),
    ]
