from django.apps import AppConfig


class AcademicsConfig(AppConfig):
    name = "apps.academics"
    label = "academics"
    verbose_name = "Academic structure"

    def ready(self) -> None:
        from apps.accounts.duties import ACCOUNTANT, TRANSPORT_MANAGER, add_duty_permissions

        from . import scopes  # noqa: F401  (registers access rules and the taught-students provider)

        # Fees are charged per class and buses run by class lists: these duties read the school's
        # structure and who is enrolled where, nothing more (timetables stay with teaching staff).
        structure = {
            f"academics.view_{name}"
            for name in ("academicyear", "term", "schoolclass", "section", "subject", "enrollment")
        }
        add_duty_permissions(ACCOUNTANT, structure)
        add_duty_permissions(TRANSPORT_MANAGER, structure)
