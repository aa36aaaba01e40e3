from django.apps import AppConfig


class CalendarConfig(AppConfig):
    name = "apps.calendar"
    # "calendar" is a standard-library module; a distinct label keeps tables and permissions
    # (school_calendar_calendarevent, school_calendar.view_calendarevent) unambiguous.
    label = "school_calendar"
    verbose_name = "School calendar"

    def ready(self) -> None:
        from apps.accounts.duties import DUTIES, add_duty_permissions
        from apps.accounts.services import on_sign_out_everywhere

        from . import scopes  # noqa: F401  (registers the access rules)
        from .services import feed_tokens_revoke_all

        # Signing a user out everywhere also kills their calendar feed addresses.
        on_sign_out_everywhere(feed_tokens_revoke_all)

        # The school calendar is no secret inside the school: every staff duty reads it (staff
        # see the whole school's calendar, as their permissions are not tied to sections).
        calendar = {
            "school_calendar.view_calendarevent",
            "school_calendar.view_examscheduleentry",
        }
        for duty in list(DUTIES):
            add_duty_permissions(duty, calendar)
