import django_filters

from ..models import Guardian, StudentProfile, User


class UserFilter(django_filters.FilterSet):
    class Meta:
        model = User
        fields = {"role": ["exact", "in"], "is_active": ["exact"], "email_verified": ["exact"]}


class StudentFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter(field_name="user__is_active")
    admitted_after = django_filters.DateFilter(field_name="admission_date", lookup_expr="gte")
    admitted_before = django_filters.DateFilter(field_name="admission_date", lookup_expr="lte")

    class Meta:
        model = StudentProfile
        fields = ["gender", "blood_group", "admission_number"]


class GuardianFilter(django_filters.FilterSet):
    class Meta:
        model = Guardian
        fields = ["student", "parent", "relation", "is_primary"]
