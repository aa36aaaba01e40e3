"""Admin forms bound to the signed-in user's school: choices and the `school` field."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext

from ..access import (
    is_platform_superuser,
    is_school_scoped,
)
from .permissions import direct_school_field, school_id_of


# --- Forms ------------------------------------------------------------------------------------
class SchoolBoundFormMixin:
    """A ModelForm that knows the school it is filled in for (set per request by the admin).

    For school users the school FK is not on the form; it is set on a new instance here, and
    kept out of the validation exclusions so constraints involving it are checked. For
    superusers it checks that every school-scoped choice belongs to the row's school.
    """

    bound_school_id: Any = None
    school_fk_name: str | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fk = self._school_fk()
        if self.bound_school_id and fk is not None and self.instance._state.adding:
            setattr(self.instance, fk.attname, self.bound_school_id)

    def _school_fk(self):
        if not self.school_fk_name:
            return None
        return self._meta.model._meta.get_field(self.school_fk_name)

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        fk = self._school_fk()
        if fk is not None and getattr(self.instance, fk.attname, None) is not None:
            exclude.discard(fk.name)
        return exclude

    def _row_school_id(self):
        fk = self._school_fk()
        if fk is None:
            return None
        if self.bound_school_id:
            return self.bound_school_id
        chosen = self.cleaned_data.get(fk.name) if fk.name in self.fields else None
        if chosen is not None:
            return chosen.pk
        return getattr(self.instance, fk.attname, None)

    def clean(self):
        cleaned = super().clean()
        school_id = self._row_school_id()
        if school_id is None:
            return cleaned
        for name, value in list(cleaned.items()):
            try:
                field = self._meta.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not field.is_relation or field.name == self.school_fk_name or value is None:
                continue
            related = field.related_model
            if related is None or not is_school_scoped(related):
                continue
            values = value if isinstance(value, list | tuple | models.QuerySet) else [value]
            for item in values:
                other = school_id_of(item)
                if other is not None and str(other) != str(school_id):
                    self.add_error(name, gettext("Choose a record of the same school."))
                    break
        return cleaned


def bind_form_to_school(form_class, request, model, readonly_fields=()):
    """A subclass of `form_class` bound to the request user's school (see SchoolBoundFormMixin)."""
    fk = direct_school_field(model)
    attrs: dict[str, Any] = {
        "bound_school_id": None if is_platform_superuser(request.user) else request.user.school_id,
        "school_fk_name": fk.name if fk is not None else None,
    }
    declared = getattr(form_class, "declared_fields", {})
    attrs.update(dict.fromkeys(f for f in readonly_fields if f in declared))
    bases = (form_class,)
    if not issubclass(form_class, SchoolBoundFormMixin):
        bases = (SchoolBoundFormMixin, form_class)
    return type(form_class.__name__, bases, attrs)
