"""Scales, plans, remarks and co-scholastic grades through the API: the rules that keep the
arithmetic honest, and who may write what."""

from __future__ import annotations

import pytest

from apps.exams import services
from apps.exams.models import CoScholasticArea, CoScholasticGrade, GradeScale, TeacherRemark

pytestmark = pytest.mark.django_db
SCALES = "/api/v1/exams/grade-scales/"


def test_a_scale_needs_a_zero_band(cast, api):
    admin = api(cast.admin)
    bands = [{"min_percent": "50", "letter": "P"}, {"min_percent": "33", "letter": "Q"}]
    response = admin.post(SCALES, {"code": "mine", "name": "Mine", "kind": "grades",
                                   "bands": bands}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "zero_band_required"
    bands.append({"min_percent": "0", "letter": "F", "is_pass": False})
    made = admin.post(SCALES, {"code": "mine", "name": "Mine", "kind": "grades", "bands": bands},
                      format="json")  # fmt: skip
    assert made.status_code == 201
    assert [b["min_percent"] for b in made.json()["bands"]] == ["50.00", "33.00", "0.00"]
    assert api(cast.teacher.user).post(SCALES, {}, format="json").status_code == 403
    assert api(cast.admin2).get(f"{SCALES}{made.json()['id']}/").status_code == 404


def test_plan_weights_must_add_up(cast, school_year, api):
    from apps.academics.tests.factories import TermFactory

    sy = school_year
    scale = services.builtin_scales_install(cast.school)["cbse-8"]
    term = TermFactory(year=sy.year)
    body = {
        "name": "P", "school_class": str(sy.klass.pk), "year": str(sy.year.pk),
        "scale": str(scale.pk), "subjects": [{"subject": str(sy.maths.pk)}],
        "terms": [{"term": str(term.pk), "weight": "100", "groups": [
            {"name": "PT", "best_n": 2, "weight": "10"}], "components": [
            {"name": "PT1", "kind": "periodic_test", "max_marks": "20", "group": "PT"},
            {"name": "Exam", "kind": "annual", "max_marks": "80", "weight": "80"}]}],
    }  # fmt: skip
    bad = api(cast.admin).post("/api/v1/exams/plans/", body, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_plan"
    fields = bad.json()["error"]["fields"]["terms"][0]
    assert "groups" in fields and "components" in fields  # best 2 of 1; 90 is not 100
    body["terms"][0]["components"] += [
        {"name": "PT2", "kind": "periodic_test", "max_marks": "20", "group": "PT"},
        {"name": "Notebook", "kind": "notebook", "part": "internal", "max_marks": "5",
         "weight": "10"},
    ]  # fmt: skip
    made = api(cast.admin).post("/api/v1/exams/plans/", body, format="json")
    assert made.status_code == 201, made.content
    assert len(made.json()["terms"][0]["components"]) == 4
    assert (
        api(cast.teacher.user).get(f"/api/v1/exams/plans/{made.json()['id']}/").status_code == 200
    )


def test_the_class_teacher_writes_remarks_and_co_scholastic_grades(cast, school_year, plan, api):
    sy = school_year
    plan_term = plan.terms.get(order=0)
    scale = GradeScale.objects.get(school=cast.school, code="co-scholastic-5")
    area = CoScholasticArea.objects.create(school=cast.school, name="Art education", scale=scale)
    remark = {"section": str(sy.sec_a.pk), "plan_term": str(plan_term.pk),
              "entries": [{"student": str(cast.student.pk), "text": "Sings well."}]}  # fmt: skip
    # Cole teaches Science in 5-A but is not its class teacher
    assert api(cast.colleague.user).post("/api/v1/exams/remarks/", remark,
                                         format="json").status_code == 403  # fmt: skip
    assert api(cast.teacher.user).post("/api/v1/exams/remarks/", remark,
                                       format="json").json() == {"saved": 1}  # fmt: skip
    assert TeacherRemark.objects.get(student=cast.student).text == "Sings well."
    grades = {**remark, "area": str(area.pk),
              "entries": [{"student": str(cast.student.pk), "grade": "Z"}]}  # fmt: skip
    bad = api(cast.teacher.user).post("/api/v1/exams/co-scholastic/", grades, format="json")
    assert bad.status_code == 400
    grades["entries"][0]["grade"] = "A"
    assert api(cast.teacher.user).post("/api/v1/exams/co-scholastic/", grades,
                                       format="json").status_code == 200  # fmt: skip
    assert CoScholasticGrade.objects.get(student=cast.student).grade == "A"
    # the sibling is in 5-B: not enrolled in 5-A
    grades["entries"][0]["student"] = str(cast.sibling.pk)
    assert api(cast.teacher.user).post("/api/v1/exams/co-scholastic/", grades,
                                       format="json").status_code == 400  # fmt: skip
