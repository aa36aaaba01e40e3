"""Every operation in the OpenAPI schema, called by every persona, against school one's objects.

The matrix says who is allowed; everyone else must be refused (401/403) or not find the object
(404). A new endpoint without a row here fails `test_matrix_covers_every_operation`.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator

from apps.core import audit

ALL = {"admin", "teacher", "student", "parent", "accountant", "admin2"}
PUBLIC = ALL | {"anon"}
ADMINS = {"admin", "admin2"}  # admin2 acts on their own school for collection endpoints
# The storekeeper (staff with the Store manager duty) walks the inventory operations only: the
# duty's rights elsewhere are the school's name (`accounts.view_school`), nothing to walk.
STOREKEEPING = {"storekeeper"}
STORE_OBJECT = {"admin", "storekeeper"}

MATRIX: dict[tuple[str, str], set[str]] = {
    # auth: anyone may try to sign in; the rest needs a session
    ("POST", "/api/v1/auth/token/"): PUBLIC,
    ("POST", "/api/v1/auth/token/refresh/"): PUBLIC,
    ("POST", "/api/v1/auth/password/reset/"): PUBLIC,
    ("POST", "/api/v1/auth/password/reset/confirm/"): PUBLIC,
    ("POST", "/api/v1/auth/logout/"): ALL,
    ("POST", "/api/v1/auth/password/change/"): ALL,
    # signed-in devices: everyone lists their own; the session is the parent's
    ("GET", "/api/v1/auth/sessions/"): ALL,
    ("DELETE", "/api/v1/auth/sessions/{id}/"): {"parent"},
    ("GET", "/api/v1/me/"): ALL,
    # the caller's own dashboard: every member of a school (figures only from their own rows)
    ("GET", "/api/v1/dashboard/"): ALL,
    ("PATCH", "/api/v1/me/"): ALL,
    # the school
    ("GET", "/api/v1/schools/"): ALL,
    ("GET", "/api/v1/schools/{id}/"): ALL - {"admin2"},
    ("PATCH", "/api/v1/schools/{id}/"): {"admin"},
    # users
    ("GET", "/api/v1/users/"): ADMINS | {"accountant"},
    ("POST", "/api/v1/users/"): ADMINS,
    ("GET", "/api/v1/users/{id}/"): {"admin", "accountant"},
    ("PATCH", "/api/v1/users/{id}/"): {"admin"},
    ("POST", "/api/v1/users/{id}/activate/"): {"admin"},
    ("POST", "/api/v1/users/{id}/deactivate/"): {"admin"},
    ("POST", "/api/v1/users/{id}/send-password-reset/"): {"admin"},
    # students (teachers see whom they teach: nobody until classes exist)
    ("GET", "/api/v1/students/"): ALL,
    ("POST", "/api/v1/students/"): ADMINS,
    ("GET", "/api/v1/students/export/"): ADMINS | {"accountant"},
    ("POST", "/api/v1/students/import/"): ADMINS,
    ("GET", "/api/v1/students/{id}/"): {"admin", "student", "parent", "accountant"},
    ("PATCH", "/api/v1/students/{id}/"): {"admin"},
    ("POST", "/api/v1/students/{id}/activate/"): {"admin"},
    ("POST", "/api/v1/students/{id}/deactivate/"): {"admin"},
    # teachers and staff
    ("GET", "/api/v1/teachers/"): ADMINS | {"teacher"},
    ("POST", "/api/v1/teachers/"): ADMINS,
    ("GET", "/api/v1/teachers/{id}/"): {"admin", "teacher"},
    ("PATCH", "/api/v1/teachers/{id}/"): {"admin"},
    ("POST", "/api/v1/teachers/{id}/activate/"): {"admin"},
    ("POST", "/api/v1/teachers/{id}/deactivate/"): {"admin"},
    ("GET", "/api/v1/staff/"): ADMINS,
    ("POST", "/api/v1/staff/"): ADMINS,
    ("GET", "/api/v1/staff/{id}/"): {"admin"},
    ("PATCH", "/api/v1/staff/{id}/"): {"admin"},
    ("POST", "/api/v1/staff/{id}/activate/"): {"admin"},
    ("POST", "/api/v1/staff/{id}/deactivate/"): {"admin"},
    # guardian links
    ("GET", "/api/v1/guardians/"): ALL,
    ("POST", "/api/v1/guardians/"): ADMINS,
    ("GET", "/api/v1/guardians/{id}/"): {"admin", "parent", "student", "accountant"},
    ("PATCH", "/api/v1/guardians/{id}/"): {"admin"},
    ("DELETE", "/api/v1/guardians/{id}/"): {"admin"},
    # audit log
    ("GET", "/api/v1/audit-log/"): ADMINS,
    ("GET", "/api/v1/audit-log/{id}/"): {"admin"},
    # academic structure: readable by the whole school (staff by permission: the accountant's
    # duty reads the structure and enrollments, not assignments or timetables); admins write.
    # The objects are in a section the cast's teacher does not teach (see _object_ids).
    ("GET", "/api/v1/academic-years/"): ALL,
    ("POST", "/api/v1/academic-years/"): ADMINS,
    ("GET", "/api/v1/academic-years/{id}/"): ALL - {"admin2"},
    ("PATCH", "/api/v1/academic-years/{id}/"): {"admin"},
    ("DELETE", "/api/v1/academic-years/{id}/"): {"admin"},
    ("POST", "/api/v1/academic-years/{id}/set-current/"): {"admin"},
    ("GET", "/api/v1/terms/"): ALL,
    ("POST", "/api/v1/terms/"): ADMINS,
    ("GET", "/api/v1/terms/{id}/"): ALL - {"admin2"},
    ("PATCH", "/api/v1/terms/{id}/"): {"admin"},
    ("DELETE", "/api/v1/terms/{id}/"): {"admin"},
    ("GET", "/api/v1/classes/"): ALL,
    ("POST", "/api/v1/classes/"): ADMINS,
    ("GET", "/api/v1/classes/{id}/"): ALL - {"admin2"},
    ("PATCH", "/api/v1/classes/{id}/"): {"admin"},
    ("DELETE", "/api/v1/classes/{id}/"): {"admin"},
    ("GET", "/api/v1/sections/"): ALL,
    ("POST", "/api/v1/sections/"): ADMINS,
    ("GET", "/api/v1/sections/{id}/"): ALL - {"admin2"},
    ("PATCH", "/api/v1/sections/{id}/"): {"admin"},
    ("DELETE", "/api/v1/sections/{id}/"): {"admin"},
    ("GET", "/api/v1/sections/{id}/students/"): ALL - {"admin2"},  # rows cut to the caller
    ("GET", "/api/v1/subjects/"): ALL,
    ("POST", "/api/v1/subjects/"): ADMINS,
    ("GET", "/api/v1/subjects/{id}/"): ALL - {"admin2"},
    ("PATCH", "/api/v1/subjects/{id}/"): {"admin"},
    ("DELETE", "/api/v1/subjects/{id}/"): {"admin"},
    ("GET", "/api/v1/teaching-assignments/"): ALL - {"accountant"},
    ("POST", "/api/v1/teaching-assignments/"): ADMINS,
    ("GET", "/api/v1/teaching-assignments/{id}/"): {"admin", "teacher", "student", "parent"},
    ("DELETE", "/api/v1/teaching-assignments/{id}/"): {"admin"},
    ("GET", "/api/v1/timetable/"): ALL - {"accountant"},
    ("POST", "/api/v1/timetable/"): ADMINS,
    ("GET", "/api/v1/timetable/{id}/"): {"admin", "teacher", "student", "parent"},
    ("PATCH", "/api/v1/timetable/{id}/"): {"admin"},
    ("DELETE", "/api/v1/timetable/{id}/"): {"admin"},
    # enrollments: the student's own, the parent's child's; the teacher does not teach it
    ("GET", "/api/v1/enrollments/"): ALL,
    ("POST", "/api/v1/enrollments/"): ADMINS,
    ("GET", "/api/v1/enrollments/{id}/"): {"admin", "student", "parent", "accountant"},
    ("PATCH", "/api/v1/enrollments/{id}/"): {"admin"},
    ("DELETE", "/api/v1/enrollments/{id}/"): {"admin"},
    # attendance: registers are taken by admins and teachers (the service then checks class
    # teacher / period teacher: a refusal there is a 400/403 with a reason, here the empty body
    # is a 400); marks are read by the school, students and parents their own (a student's own
    # list and summary need no parameters); staff only with the permission no duty grants.
    ("GET", "/api/v1/attendance/"): ALL - {"accountant"},
    ("POST", "/api/v1/attendance/mark/"): ADMINS | {"teacher"},
    ("GET", "/api/v1/attendance/summary/"): ALL - {"accountant"},
    ("GET", "/api/v1/attendance/section-summary/"): ADMINS | {"teacher"},
    ("GET", "/api/v1/attendance/register/"): ADMINS | {"teacher"},
    ("GET", "/api/v1/attendance/not-taken/"): ADMINS | {"teacher"},
    # calendar: school-wide events for everyone, the object is an event (and a paper) of the
    # section the cast's student is enrolled in (not taught by the cast's teacher); every staff
    # duty reads the calendar; admins write. Feed tokens are personal: the object is the
    # parent's. The feed itself is authorised by its token alone, so no JWT opens it.
    ("GET", "/api/v1/calendar-events/"): ALL,
    ("POST", "/api/v1/calendar-events/"): ADMINS,
    ("GET", "/api/v1/calendar-events/{id}/"): {"admin", "student", "parent", "accountant"},
    ("PATCH", "/api/v1/calendar-events/{id}/"): {"admin"},
    ("DELETE", "/api/v1/calendar-events/{id}/"): {"admin"},
    ("GET", "/api/v1/exam-schedule/"): ALL,
    ("POST", "/api/v1/exam-schedule/"): ADMINS,
    ("GET", "/api/v1/exam-schedule/{id}/"): {"admin", "student", "parent", "accountant"},
    ("PATCH", "/api/v1/exam-schedule/{id}/"): {"admin"},
    ("DELETE", "/api/v1/exam-schedule/{id}/"): {"admin"},
    ("GET", "/api/v1/calendar-feed-tokens/"): ALL,
    ("POST", "/api/v1/calendar-feed-tokens/"): ALL,
    ("GET", "/api/v1/calendar-feed-tokens/{id}/"): {"parent"},
    ("DELETE", "/api/v1/calendar-feed-tokens/{id}/"): {"parent"},
    ("POST", "/api/v1/calendar-feed-tokens/{id}/revoke/"): {"parent"},
    ("GET", "/api/v1/calendar/feed/{token}.ics"): set(),
    # notifications: everyone has an inbox; the object is the parent's, so only they find it
    ("GET", "/api/v1/notifications/"): ALL,
    ("GET", "/api/v1/notifications/unread-count/"): ALL,
    ("POST", "/api/v1/notifications/read-all/"): ALL,
    ("GET", "/api/v1/notifications/{id}/"): {"parent"},
    ("POST", "/api/v1/notifications/{id}/read/"): {"parent"},
    # push devices and preferences: everyone's own (an empty body is a 400 for everyone)
    ("POST", "/api/v1/notifications/devices/"): ALL,
    ("DELETE", "/api/v1/notifications/devices/"): ALL,
    ("GET", "/api/v1/notifications/preferences/"): ALL,
    ("PUT", "/api/v1/notifications/preferences/"): ALL,
    ("POST", "/api/v1/notifications/webhooks/twilio/"): PUBLIC,  # unsigned: a 400 for all
    ("POST", "/api/v1/notifications/webhooks/msg91/"): PUBLIC,
    ("POST", "/api/v1/notifications/webhooks/sendgrid/"): PUBLIC,
    ("POST", "/api/v1/notifications/unsubscribe/{token}/"): set(),  # a bad token: 404
    # the school's notification settings and circulars: its admins only
    ("GET", "/api/v1/notifications/school-settings/"): ADMINS,
    ("PUT", "/api/v1/notifications/school-settings/"): ADMINS,
    ("GET", "/api/v1/notifications/circulars/"): ADMINS,
    ("POST", "/api/v1/notifications/circulars/"): ADMINS,  # an empty body: 400
    ("GET", "/api/v1/notifications/circulars/{id}/"): {"admin"},
    ("PATCH", "/api/v1/notifications/circulars/{id}/"): {"admin"},
    ("GET", "/api/v1/notifications/circulars/{id}/preview/"): {"admin"},
    ("POST", "/api/v1/notifications/circulars/{id}/schedule/"): {"admin"},
    ("POST", "/api/v1/notifications/circulars/{id}/cancel/"): {"admin"},
    # quizzes: the object is a published quiz of the section the cast's student is in (the
    # cast's teacher does not teach it, so finds nothing); admins and teachers set quizzes
    # (a teacher's empty body is a 400), students and parents read their section's; only
    # students start attempts. The attempt is the student's, submitted: its student reads,
    # autosaves (the empty body is a 400) and re-submits it (a no-op), its parent reads it.
    ("GET", "/api/v1/quizzes/"): ALL - {"accountant"},
    ("POST", "/api/v1/quizzes/"): ADMINS | {"teacher"},
    ("GET", "/api/v1/quizzes/{id}/"): {"admin", "student", "parent"},
    ("PATCH", "/api/v1/quizzes/{id}/"): {"admin"},
    ("DELETE", "/api/v1/quizzes/{id}/"): {"admin"},
    ("POST", "/api/v1/quizzes/{id}/publish/"): {"admin"},
    ("POST", "/api/v1/quizzes/{id}/close/"): {"admin"},
    ("POST", "/api/v1/quizzes/{id}/release/"): {"admin"},
    ("GET", "/api/v1/quizzes/{id}/accommodations/"): {"admin"},
    ("POST", "/api/v1/quizzes/{id}/accommodations/"): {"admin"},
    ("POST", "/api/v1/quizzes/{id}/attempts/"): {"student"},
    ("GET", "/api/v1/quizzes/{id}/results/"): {"admin", "student", "parent"},
    ("GET", "/api/v1/quizzes/{id}/analytics/"): {"admin"},
    ("GET", "/api/v1/attempts/"): ALL - {"accountant"},
    ("GET", "/api/v1/attempts/{id}/"): {"admin", "student", "parent"},
    ("PUT", "/api/v1/attempts/{id}/answers/"): {"student"},
    ("POST", "/api/v1/attempts/{id}/submit/"): {"student"},
    ("POST", "/api/v1/attempts/{id}/override/"): {"admin"},
    # the question bank (MongoDB): school admins and teachers; the object is the cast's
    # teacher's, so they may edit it as its author and the admin as admin. Empty bodies are 400s.
    ("GET", "/api/v1/questions/"): ADMINS | {"teacher"},
    ("POST", "/api/v1/questions/"): ADMINS | {"teacher"},
    ("POST", "/api/v1/questions/import/"): ADMINS | {"teacher"},
    ("GET", "/api/v1/questions/export/"): ADMINS | {"teacher"},
    ("GET", "/api/v1/questions/{id}/"): {"admin", "teacher"},
    ("PATCH", "/api/v1/questions/{id}/"): {"admin", "teacher"},
    ("DELETE", "/api/v1/questions/{id}/"): {"admin", "teacher"},
    ("GET", "/api/v1/questions/{id}/preview/"): {"admin", "teacher"},
    # background jobs: the object was started by the accountant; their school's admin reads it
    ("GET", "/api/v1/jobs/{id}/"): {"admin", "accountant"},
    # fees: school admins and the Accountant duty run the fee office; parents and students read
    # their own (the objects are the cast student's); teachers see nothing. Empty bodies are
    # 400s, and so is a report that needs a student the caller did not name.
    ("GET", "/api/v1/fees/heads/"): ADMINS | {"accountant"},
    ("POST", "/api/v1/fees/heads/"): ADMINS | {"accountant"},
    ("GET", "/api/v1/fees/heads/{id}/"): {"admin", "accountant"},
    ("PATCH", "/api/v1/fees/heads/{id}/"): {"admin", "accountant"},
    ("DELETE", "/api/v1/fees/heads/{id}/"): {"admin", "accountant"},
    ("GET", "/api/v1/fees/structures/"): ADMINS | {"accountant"},
    ("POST", "/api/v1/fees/structures/"): ADMINS | {"accountant"},
    ("GET", "/api/v1/fees/structures/{id}/"): {"admin", "accountant"},
    ("PATCH", "/api/v1/fees/structures/{id}/"): {"admin", "accountant"},
    ("DELETE", "/api/v1/fees/structures/{id}/"): {"admin", "accountant"},
    ("GET", "/api/v1/fees/concessions/"): ALL - {"teacher"},
    ("POST", "/api/v1/fees/concessions/"): ADMINS | {"accountant"},
    ("GET", "/api/v1/fees/concessions/{id}/"): {"admin", "accountant", "student", "parent"},
    ("PATCH", "/api/v1/fees/concessions/{id}/"): {"admin", "accountant"},
    ("DELETE", "/api/v1/fees/concessions/{id}/"): {"admin", "accountant"},
    ("GET", "/api/v1/fees/invoices/"): ALL - {"teacher"},
    ("POST", "/api/v1/fees/invoices/generate/"): ADMINS | {"accountant"},
    ("GET", "/api/v1/fees/invoices/{id}/"): {"admin", "accountant", "student", "parent"},
    ("POST", "/api/v1/fees/invoices/{id}/cancel/"): {"admin", "accountant"},
    ("POST", "/api/v1/fees/invoices/{id}/waive-fine/"): {"admin"},
    ("GET", "/api/v1/fees/invoices/{id}/pdf/"): {"admin", "accountant", "student", "parent"},
    ("GET", "/api/v1/fees/payments/"): ALL - {"teacher"},
    ("POST", "/api/v1/fees/payments/"): ADMINS | {"accountant"},
    ("GET", "/api/v1/fees/payments/{id}/"): {"admin", "accountant", "student", "parent"},
    ("GET", "/api/v1/fees/payments/{id}/receipt/"): {"admin", "accountant", "student", "parent"},
    ("GET", "/api/v1/fees/refunds/"): ALL - {"teacher"},
    ("POST", "/api/v1/fees/refunds/"): ADMINS | {"accountant"},
    ("GET", "/api/v1/fees/refunds/{id}/"): {"admin", "accountant", "student", "parent"},
    ("GET", "/api/v1/fees/ledger/"): ALL - {"teacher"},
    ("GET", "/api/v1/fees/family-dues/"): ALL - {"teacher"},
    ("GET", "/api/v1/fees/defaulters/"): ADMINS | {"accountant"},
    ("GET", "/api/v1/fees/defaulters/export/"): ADMINS | {"accountant"},
    # online payments: parents pay their children's invoices, the fee office any family's;
    # students read their own orders. Webhooks carry no session: a body without the gateway's
    # signature is a 400 for everyone (so each persona "reaches" them).
    ("GET", "/api/v1/payments/orders/"): ALL - {"teacher"},
    ("POST", "/api/v1/payments/orders/"): ADMINS | {"accountant", "parent"},
    ("GET", "/api/v1/payments/orders/{id}/"): {"admin", "accountant", "student", "parent"},
    ("GET", "/api/v1/payments/orders/{id}/receipt/"): {"admin", "accountant", "student", "parent"},
    ("POST", "/api/v1/payments/razorpay/verify/"): ADMINS | {"accountant", "parent"},
    ("POST", "/api/v1/payments/webhooks/razorpay/"): PUBLIC,
    ("POST", "/api/v1/payments/webhooks/stripe/"): PUBLIC,
    # homework: the object is a published homework of the cast student's section, set by the
    # cast's teacher (who does not teach the section: "what they set"), with the student's
    # work turned in (a PNG) and a PDF attachment. Empty bodies are 400s; only students hand
    # in; the colleague (another subject in the section) sees the homework, not the work, and
    # may not manage it (HOMEWORK_MANAGEMENT: 403).
    ("GET", "/api/v1/homework/"): ALL - {"accountant"},
    ("POST", "/api/v1/homework/"): ADMINS | {"teacher"},
    ("GET", "/api/v1/homework/{id}/"): {"admin", "teacher", "student", "parent"},
    ("PATCH", "/api/v1/homework/{id}/"): {"admin", "teacher"},
    ("DELETE", "/api/v1/homework/{id}/"): {"admin", "teacher"},
    ("POST", "/api/v1/homework/{id}/publish/"): {"admin", "teacher"},
    ("POST", "/api/v1/homework/{id}/attachments/"): {"admin", "teacher"},
    ("GET", "/api/v1/homework/{id}/extensions/"): {"admin", "teacher"},
    ("POST", "/api/v1/homework/{id}/extensions/"): {"admin", "teacher"},
    ("GET", "/api/v1/homework/{id}/submissions/"): {"admin", "teacher", "student", "parent"},
    ("POST", "/api/v1/homework/{id}/submissions/"): {"student"},
    ("GET", "/api/v1/homework/{id}/grades/"): {"admin", "teacher"},
    ("PUT", "/api/v1/homework/{id}/grades/"): {"admin", "teacher"},
    ("GET", "/api/v1/homework/{id}/grades/csv/"): {"admin", "teacher"},
    ("POST", "/api/v1/homework/{id}/grades/csv/"): {"admin", "teacher"},
    ("POST", "/api/v1/homework/{id}/release/"): {"admin", "teacher"},
    ("POST", "/api/v1/homework/{id}/zip/"): {"admin", "teacher"},
    ("GET", "/api/v1/homework-submissions/{id}/"): {"admin", "teacher", "student", "parent"},
    ("POST", "/api/v1/homework-submissions/{id}/return/"): {"admin", "teacher"},
    ("GET", "/api/v1/homework-files/{id}/"): {"admin", "teacher", "student", "parent"},
    ("GET", "/api/v1/homework-attachments/{id}/"): {"admin", "teacher", "student", "parent"},
    # transport: school admins and the Transport manager duty ("transport") run the fleet; the
    # accountant (no duty) sees nothing but the fee quote. The objects are of the cast student's
    # trip, which is running: the parent and the student read the trip, the student's assignment
    # and boarding mark, and the live position; another family ("parent2", whose child rides
    # nothing) and other schools find nothing. A device token ("device") only posts pings (its
    # empty body is a 400); it reads nothing. Empty bodies are 400s for the allowed.
    ("GET", "/api/v1/transport/vehicles/"): ADMINS,
    ("POST", "/api/v1/transport/vehicles/"): ADMINS,
    ("GET", "/api/v1/transport/vehicles/{id}/"): {"admin"},
    ("PATCH", "/api/v1/transport/vehicles/{id}/"): {"admin"},
    ("DELETE", "/api/v1/transport/vehicles/{id}/"): {"admin"},
    ("GET", "/api/v1/transport/crew/"): ADMINS,
    ("POST", "/api/v1/transport/crew/"): ADMINS,
    ("GET", "/api/v1/transport/crew/{id}/"): {"admin"},
    ("PATCH", "/api/v1/transport/crew/{id}/"): {"admin"},
    ("DELETE", "/api/v1/transport/crew/{id}/"): {"admin"},
    ("GET", "/api/v1/transport/routes/"): ADMINS,
    ("POST", "/api/v1/transport/routes/"): ADMINS,
    ("GET", "/api/v1/transport/routes/{id}/"): {"admin"},
    ("PATCH", "/api/v1/transport/routes/{id}/"): {"admin"},
    ("DELETE", "/api/v1/transport/routes/{id}/"): {"admin"},
    ("GET", "/api/v1/transport/stops/"): ADMINS,
    ("POST", "/api/v1/transport/stops/"): ADMINS,
    ("GET", "/api/v1/transport/stops/{id}/"): {"admin"},
    ("PATCH", "/api/v1/transport/stops/{id}/"): {"admin"},
    ("DELETE", "/api/v1/transport/stops/{id}/"): {"admin"},
    ("GET", "/api/v1/transport/fee-rules/"): ADMINS,
    ("POST", "/api/v1/transport/fee-rules/"): ADMINS,
    ("GET", "/api/v1/transport/fee-rules/{id}/"): {"admin"},
    ("PATCH", "/api/v1/transport/fee-rules/{id}/"): {"admin"},
    ("DELETE", "/api/v1/transport/fee-rules/{id}/"): {"admin"},
    ("GET", "/api/v1/transport/fee-quote/"): ADMINS | {"accountant"},
    ("GET", "/api/v1/transport/trips/"): ALL - {"teacher", "accountant"},
    ("POST", "/api/v1/transport/trips/"): ADMINS,
    ("GET", "/api/v1/transport/trips/{id}/"): {"admin", "student", "parent"},
    ("PATCH", "/api/v1/transport/trips/{id}/"): {"admin"},
    ("DELETE", "/api/v1/transport/trips/{id}/"): {"admin"},
    ("GET", "/api/v1/transport/trips/{id}/position/"): {"admin", "student", "parent"},
    ("GET", "/api/v1/transport/trips/{id}/roster/"): {"admin"},
    ("POST", "/api/v1/transport/trips/{id}/start/"): {"admin"},
    ("GET", "/api/v1/transport/assignments/"): ALL - {"teacher", "accountant"},
    ("POST", "/api/v1/transport/assignments/"): ADMINS,
    ("GET", "/api/v1/transport/assignments/{id}/"): {"admin", "student", "parent"},
    ("POST", "/api/v1/transport/assignments/{id}/end/"): {"admin"},
    ("POST", "/api/v1/transport/assignments/{id}/alerts/"): {"admin", "parent"},
    ("GET", "/api/v1/transport/runs/"): ADMINS,
    ("GET", "/api/v1/transport/runs/{id}/"): {"admin"},
    ("POST", "/api/v1/transport/runs/{id}/end/"): {"admin"},
    ("GET", "/api/v1/transport/marks/"): ALL - {"teacher", "accountant"},
    ("POST", "/api/v1/transport/marks/"): ADMINS,
    ("GET", "/api/v1/transport/marks/{id}/"): {"admin", "student", "parent"},
    ("GET", "/api/v1/transport/devices/"): ADMINS,
    ("POST", "/api/v1/transport/devices/"): ADMINS,
    ("GET", "/api/v1/transport/devices/{id}/"): {"admin"},
    ("POST", "/api/v1/transport/devices/{id}/revoke/"): {"admin"},
    ("POST", "/api/v1/transport/pings/"): set(),
    # inventory: school admins and the Store manager duty (the storekeeper) run the stores; the
    # accountant (staff without the duty) sees nothing; teachers read the catalogue, ask for items
    # and see their own requests (the object request is the cast teacher's, so only they cancel
    # it); students and parents see issues to the student (the object movement is one). Empty
    # bodies are 400s; the object PO is a draft with a line (placed, cancelled, deleted: 2xx;
    # received: a 400); the object item has movements (its delete: a 409).
    **{(m, f"/api/v1/inventory/{c}/"): rule for c in ("categories", "items", "stores")
       for m, rule in (("GET", ADMINS | STOREKEEPING | {"teacher"}), ("POST", ADMINS | STOREKEEPING))},
    **{(m, f"/api/v1/inventory/{c}/{{id}}/"): rule for c in ("categories", "items", "stores")
       for m, rule in (("GET", STORE_OBJECT | {"teacher"}), ("PATCH", STORE_OBJECT),
                       ("DELETE", STORE_OBJECT))},
    **{(m, f"/api/v1/inventory/{c}/"): ADMINS | STOREKEEPING
       for c in ("vendors", "reorder-rules", "purchase-orders") for m in ("GET", "POST")},
    **{(m, f"/api/v1/inventory/{c}/{{id}}/"): STORE_OBJECT
       for c in ("vendors", "reorder-rules", "purchase-orders") for m in ("GET", "PATCH", "DELETE")},
    ("POST", "/api/v1/inventory/purchase-orders/{id}/place/"): STORE_OBJECT,
    ("POST", "/api/v1/inventory/purchase-orders/{id}/cancel/"): STORE_OBJECT,
    ("POST", "/api/v1/inventory/purchase-orders/{id}/receive/"): STORE_OBJECT,
    ("GET", "/api/v1/inventory/movements/"): (ALL - {"accountant"}) | STOREKEEPING,
    ("POST", "/api/v1/inventory/movements/"): ADMINS | STOREKEEPING,
    ("GET", "/api/v1/inventory/movements/{id}/"): STORE_OBJECT | {"student", "parent"},
    ("GET", "/api/v1/inventory/balances/"): ADMINS | STOREKEEPING,
    ("GET", "/api/v1/inventory/balances/{id}/"): STORE_OBJECT,
    ("GET", "/api/v1/inventory/serial-units/"): ADMINS | STOREKEEPING,
    ("GET", "/api/v1/inventory/serial-units/{id}/"): STORE_OBJECT,
    ("GET", "/api/v1/inventory/requests/"): ADMINS | STOREKEEPING | {"teacher"},
    ("POST", "/api/v1/inventory/requests/"): ADMINS | STOREKEEPING | {"teacher"},
    ("GET", "/api/v1/inventory/requests/{id}/"): STORE_OBJECT | {"teacher"},
    ("POST", "/api/v1/inventory/requests/{id}/approve/"): STORE_OBJECT,
    ("POST", "/api/v1/inventory/requests/{id}/reject/"): STORE_OBJECT,
    ("POST", "/api/v1/inventory/requests/{id}/cancel/"): {"teacher"},
    **{("GET", f"/api/v1/inventory/reports/{r}/"): ADMINS | STOREKEEPING
       for r in ("stock-on-hand", "stock-on-hand/export", "movements", "movements/export",
                 "issues", "issues/export", "overdue", "overdue/export")},
    # reports (apps.analytics): school admins read every report of their own school (admin2:
    # their school's figures); teachers attendance and performance cut to their sections; the
    # accountant the fee reports, the transport manager occupancy, the storekeeper stock.
    **{("GET", f"/api/v1/reports/{r}/"): ADMINS | {"teacher"}
       for r in ("attendance-trend", "chronic-absentees", "performance")},
    **{("GET", f"/api/v1/reports/{r}/"): ADMINS | {"accountant"}
       for r in ("fee-collection", "fee-ageing")},
    ("GET", "/api/v1/reports/transport-occupancy/"): ADMINS | {"transport"},
    **{("GET", f"/api/v1/reports/{r}/"): ADMINS | STOREKEEPING
       for r in ("stock-value", "stock-movements")},
    # exams: the structure (scales, plans, exams) is readable by the school, written by its
    # admins (a frozen scale's PATCH is a 400, still "reached"); staff need the permission no
    # duty grants. A paper's marks are entered by the subject teacher and admins (the empty
    # body is a 400; who of the teachers may is `apps/exams/tests/test_marks.py`: subject
    # teacher, colleague of another subject, class teacher, another school); remarks and
    # co-scholastic grades by class teachers and admins. The result and the card are the cast
    # student's, published: the student, the parent, the admin and the colleague teaching in
    # that section read them; the cast's teacher teaches there nothing.
    ("GET", "/api/v1/exams/grade-scales/"): ALL - {"accountant"},
    ("POST", "/api/v1/exams/grade-scales/"): ADMINS,
    ("GET", "/api/v1/exams/grade-scales/{id}/"): ALL - {"admin2", "accountant"},
    ("PATCH", "/api/v1/exams/grade-scales/{id}/"): {"admin"},
    ("POST", "/api/v1/exams/grade-scales/{id}/new-version/"): {"admin"},
    ("GET", "/api/v1/exams/plans/"): ALL - {"accountant"},
    ("POST", "/api/v1/exams/plans/"): ADMINS,
    ("GET", "/api/v1/exams/plans/{id}/"): ALL - {"admin2", "accountant"},
    ("GET", "/api/v1/exams/exams/"): ALL - {"accountant"},
    ("POST", "/api/v1/exams/exams/"): ADMINS,
    ("GET", "/api/v1/exams/exams/{id}/"): ALL - {"admin2", "accountant"},
    ("PATCH", "/api/v1/exams/exams/{id}/"): {"admin"},
    ("POST", "/api/v1/exams/exams/{id}/lock/"): {"admin"},
    # marks from homework: the marks-entry rule (the subject teacher and admins; the empty body
    # is a 400; the teachers and sections who may are `apps/exams/tests/test_homework_import.py`)
    ("POST", "/api/v1/exams/exams/{id}/import-homework/"): {"admin", "teacher"},
    ("GET", "/api/v1/exams/marks/"): ALL - {"accountant"},
    ("POST", "/api/v1/exams/marks/"): ADMINS | {"teacher"},
    ("POST", "/api/v1/exams/marks/adjust/"): ADMINS,
    ("GET", "/api/v1/exams/marks/sheet/"): ADMINS | {"teacher"},
    ("POST", "/api/v1/exams/marks/upload/"): ADMINS | {"teacher"},
    ("POST", "/api/v1/exams/remarks/"): ADMINS | {"teacher"},
    ("POST", "/api/v1/exams/co-scholastic/"): ADMINS | {"teacher"},
    ("GET", "/api/v1/exams/results/"): ALL - {"accountant"},
    ("GET", "/api/v1/exams/results/{id}/"): {"admin", "student", "parent"},
    ("POST", "/api/v1/exams/results/compute/"): ADMINS,
    ("POST", "/api/v1/exams/results/publish/"): ADMINS,
    ("GET", "/api/v1/exams/report-cards/"): ALL - {"accountant"},
    ("GET", "/api/v1/exams/report-cards/{id}/"): {"admin", "student", "parent"},
    ("GET", "/api/v1/exams/report-cards/{id}/pdf/"): {"admin", "student", "parent"},
    ("POST", "/api/v1/exams/report-cards/generate/"): ADMINS,
    # exam settings: the school's admins read and replace them (the empty PUT is a 400);
    # teachers read them; staff only with a permission no duty grants; families never
    ("GET", "/api/v1/exams/settings/"): ADMINS | {"teacher"},
    ("PUT", "/api/v1/exams/settings/"): ADMINS,
}  # fmt: skip

# The colleague: a second teacher of school one who, in the objects' section (see `_quiz_ids`),
# teaches another subject than the quiz's. Their rows are the teacher's, plus what a teacher of
# that section sees (COLLEAGUE_SEES), minus the cast teacher's own objects (COLLEAGUE_NOT).
# Managing the quiz (QUIZ_MANAGEMENT: publish, close, release or hide results and answers, extra
# time, score overrides, deleting a draft) is for a school admin, the quiz's author or a teacher
# of its subject in every one of its sections: the colleague, who finds the quiz, gets a 403.
COLLEAGUE_SEES = {
    ("GET", "/api/v1/students/{id}/"),
    ("GET", "/api/v1/guardians/{id}/"),
    ("GET", "/api/v1/enrollments/{id}/"),
    ("GET", "/api/v1/calendar-events/{id}/"),
    ("GET", "/api/v1/exam-schedule/{id}/"),
    ("GET", "/api/v1/quizzes/{id}/"),
    ("GET", "/api/v1/quizzes/{id}/accommodations/"),
    ("GET", "/api/v1/quizzes/{id}/results/"),  # rows of the students they teach
    ("GET", "/api/v1/quizzes/{id}/analytics/"),
    ("GET", "/api/v1/attempts/{id}/"),
    ("GET", "/api/v1/exams/results/{id}/"),  # they teach in the student's section
    ("GET", "/api/v1/exams/report-cards/{id}/"),
    ("GET", "/api/v1/exams/report-cards/{id}/pdf/"),
}
COLLEAGUE_NOT = {
    ("GET", "/api/v1/homework-submissions/{id}/"),  # the work of a homework they do not teach
    ("POST", "/api/v1/homework-submissions/{id}/return/"),
    ("GET", "/api/v1/homework-files/{id}/"),
    ("GET", "/api/v1/inventory/requests/{id}/"),  # the cast teacher's request
    ("POST", "/api/v1/inventory/requests/{id}/cancel/"),
    ("GET", "/api/v1/teachers/{id}/"),  # the cast teacher's profile
    ("PATCH", "/api/v1/questions/{id}/"),  # the cast teacher's question
    ("DELETE", "/api/v1/questions/{id}/"),
}
QUIZ_MANAGEMENT = {
    ("PATCH", "/api/v1/quizzes/{id}/"),
    ("DELETE", "/api/v1/quizzes/{id}/"),
    ("POST", "/api/v1/quizzes/{id}/publish/"),
    ("POST", "/api/v1/quizzes/{id}/close/"),
    ("POST", "/api/v1/quizzes/{id}/release/"),
    ("POST", "/api/v1/quizzes/{id}/accommodations/"),
    ("POST", "/api/v1/attempts/{id}/override/"),
}

HOMEWORK_MANAGEMENT = {
    (method, f"/api/v1/homework/{{id}}/{tail}")
    for method, tail in (
        ("PATCH", ""), ("DELETE", ""), ("POST", "publish/"), ("POST", "attachments/"),
        ("GET", "extensions/"), ("POST", "extensions/"), ("GET", "grades/"), ("PUT", "grades/"),
        ("GET", "grades/csv/"), ("POST", "grades/csv/"), ("POST", "release/"), ("POST", "zip/"),
    )
}  # fmt: skip
MANAGEMENT = QUIZ_MANAGEMENT | HOMEWORK_MANAGEMENT
# Transport's own personas, walked on transport operations only: the Transport manager duty
# ("transport": every transport operation but the pings), a parent of another family
# ("parent2": the lists, which come back empty) and a vehicle's device token ("device": the
# pings only).
TRANSPORT_PERSONAS = {"transport", "parent2", "device"}
PARENT2_LISTS = {
    ("GET", "/api/v1/transport/trips/"),
    ("GET", "/api/v1/transport/assignments/"),
    ("GET", "/api/v1/transport/marks/"),
}


def allowed_transport(persona: str, operation: tuple[str, str]) -> bool:
    pings = operation == ("POST", "/api/v1/transport/pings/")
    if persona == "device":
        return pings
    if persona == "transport":
        return not pings
    return operation in PARENT2_LISTS


def allowed(persona: str, operation: tuple[str, str]) -> bool:
    if operation[1].startswith("/api/v1/reports/") and persona in TRANSPORT_PERSONAS:
        return persona in MATRIX[operation]
    if persona in TRANSPORT_PERSONAS:
        return allowed_transport(persona, operation)
    if persona == "colleague":
        if operation in MANAGEMENT:
            return False
        if operation in COLLEAGUE_NOT:
            return False
        return "teacher" in MATRIX[operation] or operation in COLLEAGUE_SEES
    return persona in MATRIX[operation]


# Operations on MongoDB: the savepoint does not roll these back, so each call is undone by hand.
MONGO_COLLECTIONS = {"questions"}

DENIED = {401, 403, 404}


def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_matrix_covers_every_operation(db):
    operations = schema_operations()
    missing = sorted(operations - MATRIX.keys())
    stale = sorted(MATRIX.keys() - operations)
    assert not missing, f"Add these operations to the access matrix: {missing}"
    assert not stale, f"These matrix rows name no operation: {stale}"


def _object_ids(cast, *, mongo: bool = False, exams: bool = False) -> dict[str, str]:
    """An object of school one per collection; MongoDB's only when `mongo` (a server is up),
    the exams' only when `exams` (they render a report card)."""
    link = cast.student.guardians.get(parent=cast.parent)
    entry = audit.record(actor=cast.admin, action="test", instance=cast.student)
    return {
        "schools": cast.school.pk,
        "users": cast.student.user.pk,
        "students": cast.student.pk,
        "teachers": cast.teacher.pk,
        "staff": cast.accountant.pk,
        "guardians": link.pk,
        "audit-log": entry.pk,
        "notifications": _notification_id(cast),
        "notifications/circulars": _circular_id(cast),
        "auth": _session_id(cast),
        "jobs": _job_id(cast),
        **_academics_ids(cast),
        **_calendar_ids(cast),  # after _academics_ids: uses the student's section made there
        **_quiz_ids(cast),  # after _academics_ids too
        **_fees_ids(cast),  # after _academics_ids too
        **_homework_ids(cast),  # after _quiz_ids: the colleague teaches in the section there
        **_transport_cast(cast)["ids"],
        **_inventory_ids(cast),
        **(_exams_ids(cast) if exams else {}),  # after _quiz_ids: the colleague teaches there
        **(_question_ids(cast) if mongo else {}),
    }


def _transport_cast(cast) -> dict:
    """The cast student's running morning trip (their parent watches it), its vehicle, driver,
    route, stop, fee rule, device, run and a boarding mark; the Transport manager; a parent of
    another family whose child rides nothing. Made once per test (kept on the cast)."""
    if hasattr(cast, "transport"):
        return cast.transport
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from apps.academics.tests.factories import AcademicYearFactory
    from apps.accounts.duties import TRANSPORT_MANAGER
    from apps.accounts.models import Role
    from apps.accounts.tests.factories import GuardianFactory, StaffFactory, UserFactory
    from apps.transport import live, services
    from apps.transport.models import Assignment, BoardingMark, FeeRule
    from apps.transport.services.trips import run_state
    from apps.transport.tests.factories import TripFactory, TripStopFactory

    manager = StaffFactory(school=cast.school, user__duties=[TRANSPORT_MANAGER]).user
    parent2 = UserFactory(school=cast.school, role=Role.PARENT, email="olga@alice.test")
    GuardianFactory(student=cast.other_student, parent=parent2)
    today = timezone.localdate()
    year = AcademicYearFactory(school=cast.school, name="Transport matrix")
    trip = TripFactory(school=cast.school, route__school=cast.school)
    stop = TripStopFactory(trip=trip).stop
    assignment = Assignment.objects.create(
        school=cast.school, student=cast.student, year=year, trip=trip, shift=trip.shift,
        stop=stop, valid_from=today - dt.timedelta(days=30), valid_to=today + dt.timedelta(days=30),
    )  # fmt: skip
    run = services.run_start(trip=trip, actor=cast.admin)
    live.run_put(run_state(run))  # the savepoint never commits: put what the commit would
    mark = BoardingMark.objects.create(school=cast.school, run=run, student=cast.student,
                                       stop=stop, event="boarded", marked_at=timezone.now())  # fmt: skip
    device, token = services.device_create(school=cast.school, actor=cast.admin,
                                           vehicle=trip.vehicle, name="Matrix GPS")  # fmt: skip
    rule = FeeRule.objects.create(school=cast.school, year=year, kind="stop", stop=stop,
                                  monthly_amount=Decimal("900"))  # fmt: skip
    cast.transport = {
        "users": {"transport": manager, "parent2": parent2},
        "device_token": token,
        "ids": {
            "transport/vehicles": trip.vehicle_id, "transport/crew": trip.driver_id,
            "transport/routes": trip.route_id, "transport/stops": stop.pk,
            "transport/trips": trip.pk, "transport/assignments": assignment.pk,
            "transport/runs": run.pk, "transport/marks": mark.pk,
            "transport/devices": device.pk, "transport/fee-rules": rule.pk,
        },
    }  # fmt: skip
    return cast.transport


def _transport_client(cast, api, persona: str):
    from rest_framework.test import APIClient

    setup = _transport_cast(cast)
    if persona == "device":
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Device {setup['device_token']}")
        return client
    return api(setup["users"][persona])


def _question_ids(cast) -> dict[str, str]:
    """A question of school one written by the cast's teacher."""
    from apps.quizzes import question_bank

    question = question_bank.create(
        cast.school.pk,
        {"type": "true_false", "question_text": "The sun is a star.", "correct_answer": True},
        author_id=cast.teacher.user.pk,
    )
    return {"questions": question["id"]}


@contextmanager
def _undo_mongo(db):
    """Put the MongoDB collections back as they were (None: nothing to undo)."""
    if db is None:
        yield
        return
    saved = {name: list(db[name].find()) for name in MONGO_COLLECTIONS}
    try:
        yield
    finally:
        for name, documents in saved.items():
            db[name].delete_many({})
            if documents:
                db[name].insert_many(documents)


def _job_id(cast) -> str:
    from apps.core.jobs import job_create

    return job_create(school=cast.school, kind="matrix", requested_by=cast.accountant.user).pk


def _session_id(cast) -> str:
    from django.utils import timezone

    from apps.accounts.models import TokenFamily

    return TokenFamily.objects.create(user=cast.parent, signed_in_at=timezone.now()).pk


def _notification_id(cast) -> str:
    from apps.notifications.tests.factories import NotificationFactory

    return NotificationFactory(recipient=cast.parent).pk


def _circular_id(cast) -> str:
    from apps.notifications.services.circulars import circular_create

    data = {"title": "Sports day", "body": "On Friday.", "audience": "school"}
    return circular_create(actor=cast.admin, data=data).pk


def _quiz_ids(cast) -> dict[str, str]:
    """A published quiz of the student's section (its question frozen, so no MongoDB is
    needed) and a submitted attempt of the student's at it; the colleague teaches another
    subject in that section."""
    from django.utils import timezone

    from apps.academics.models import Enrollment
    from apps.academics.tests.factories import SubjectFactory, TeachingAssignmentFactory
    from apps.quizzes.tests.factories import AttemptFactory, QuizFactory, QuizQuestionFactory

    enrollment = Enrollment.objects.select_related("section").get(
        student=cast.student, year__is_current=True
    )
    section = enrollment.section
    subject = section.teaching_assignments.first().subject
    TeachingAssignmentFactory(
        section=section, teacher=cast.colleague, subject=SubjectFactory(school=cast.school)
    )
    quiz = QuizFactory(
        school=cast.school,
        title="Matrix quiz",
        subject=subject,
        attempts_allowed=2,
        questions=[{"question": "q1", "marks": "1"}],
        sections=[section],
    )
    QuizQuestionFactory(quiz=quiz, question_id="q1", position=1)
    now = timezone.now()
    attempt = AttemptFactory(
        quiz=quiz,
        student=cast.student,
        status="submitted",
        submitted_at=now,
        score=1,
        max_score=1,
    )
    return {"quizzes": quiz.pk, "attempts": attempt.pk}


def _fees_ids(cast) -> dict[str, str]:
    """The fee office's objects of the cast student: a structure of their section's class with
    a refundable head, their first invoice, an individual concession, a payment on the invoice
    and a refund of part of it."""
    from decimal import Decimal

    from django.db import transaction

    from apps.academics.models import Enrollment
    from apps.fees import services
    from apps.fees.tests.factories import FeeHeadFactory

    enrollment = Enrollment.objects.select_related("section", "year").get(
        student=cast.student, year__is_current=True
    )
    head = FeeHeadFactory(school=cast.school, refundable=True)
    structure = services.structure_create(
        school=cast.school, actor=cast.admin, name="Matrix fees",
        school_class=enrollment.section.school_class, year=enrollment.year, plan="yearly",
        lines=[{"head": head, "amount": Decimal("1000")}],
    )  # fmt: skip
    concession = services.concession_create(
        school=cast.school, actor=cast.admin,
        data={"name": "Merit", "kind": "percent", "value": Decimal("10"), "student": cast.student,
              "year": enrollment.year, "reason": "merit"},
    )  # fmt: skip
    with transaction.atomic():
        services.generate_for_structure(
            structure=structure, installment_number=1, issue_date=enrollment.year.start_date
        )
    invoice = structure.invoices.get(student=cast.student)
    payment = services.payment_record_counter(
        school=cast.school, actor=cast.admin, student=cast.student, mode="card_upi",
        amount=Decimal("900"), allocations=[{"invoice": invoice}],
    )  # fmt: skip
    refund = services.refund_create(
        school=cast.school, actor=cast.admin, payment=payment, invoice=invoice,
        amount=Decimal("10"), reason="matrix", mode="cash",
    )  # fmt: skip
    from apps.payments.models import PaymentOrder, PaymentOrderInvoice

    order = PaymentOrder.objects.create(
        school=cast.school, gateway="razorpay", gateway_order_id="order_matrix",
        reference="S24-MATRIX", student=cast.student, amount=Decimal("900"),
        created_by=cast.parent, status="paid", payment=payment,  # its receipt is downloadable
    )  # fmt: skip
    PaymentOrderInvoice.objects.create(school=cast.school, order=order, invoice=invoice,
                                       amount=Decimal("80"))  # fmt: skip
    return {
        "payments/orders": order.pk,
        "fees/heads": head.pk,
        "fees/structures": structure.pk,
        "fees/concessions": concession.pk,
        "fees/invoices": invoice.pk,
        "fees/payments": payment.pk,
        "fees/refunds": refund.pk,
    }


def _homework_ids(cast) -> dict[str, str]:
    """A published homework of the student's section set by the cast's teacher in the
    section's subject, with a PDF attachment and the student's work turned in with a PNG."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from apps.academics.models import Enrollment
    from apps.homework.models import Attachment, Submission, SubmissionFile
    from apps.homework.tests.factories import AssignmentFactory, pdf_bytes, png_bytes

    section = Enrollment.objects.get(student=cast.student, year__is_current=True).section
    subject = section.teaching_assignments.order_by("created_at").first().subject
    homework = AssignmentFactory(school=cast.school, subject=subject, sections=[section],
                                 created_by=cast.teacher.user)  # fmt: skip
    attachment = Attachment(school=cast.school, assignment=homework, name="sheet.pdf",
                            content_type="application/pdf", size=10)  # fmt: skip
    attachment.file.save("sheet.pdf", ContentFile(pdf_bytes()))
    submission = Submission.objects.create(
        school=cast.school, assignment=homework, student=cast.student, section=section,
        status="on_time", turned_in_at=timezone.now(), version=1,
    )  # fmt: skip
    row = SubmissionFile(school=cast.school, submission=submission, name="photo.png",
                         content_type="image/png", size=10)  # fmt: skip
    row.file.save("photo.png", ContentFile(png_bytes()))
    return {
        "homework": homework.pk,
        "homework-submissions": submission.pk,
        "homework-files": row.pk,
        "homework-attachments": attachment.pk,
    }


def _storekeeper(cast):
    """School one's storekeeper: staff with the Store manager duty (made on first use, so the
    shared cast stays as it is for every other test)."""
    from apps.accounts.duties import STORE_MANAGER
    from apps.accounts.models import User
    from apps.accounts.tests.factories import StaffFactory

    found = User.objects.filter(email="sunil@alice.test").first()
    if found is not None:
        return found
    return StaffFactory(school=cast.school, user__full_name="Sunil Store",
                        user__email="sunil@alice.test", user__duties=[STORE_MANAGER]).user  # fmt: skip


def _inventory_ids(cast) -> dict[str, str]:
    """The stores of school one: a category, a store, a vendor, a notebook with a reorder rule and
    stock (10 received, 2 issued to the cast student), a serial-tracked laptop unit, a draft PO
    with a line, and the cast teacher's pending request."""
    from decimal import Decimal

    from apps.inventory import services
    from apps.inventory.models import ReorderRule, SerialUnit, StockBalance
    from apps.inventory.tests.factories import (
        ItemCategoryFactory,
        ItemFactory,
        StoreFactory,
        VendorFactory,
    )

    keeper = _storekeeper(cast)
    category = ItemCategoryFactory(school=cast.school, name="Matrix stationery")
    store = StoreFactory(school=cast.school, name="Matrix store", code="MX")
    vendor = VendorFactory(school=cast.school, name="Matrix vendor")
    item = ItemFactory(school=cast.school, category=category, preferred_vendor=vendor)
    laptop = ItemFactory(school=cast.school, category=category, kind="asset", serial_tracked=True)
    rule = ReorderRule.objects.create(
        school=cast.school,
        item=item,
        store=store,
        reorder_level=Decimal("5"),
        reorder_quantity=Decimal("20"),
    )
    for thing, data in ((item, {"quantity": Decimal("10")}), (laptop, {"serials": ["MX-1"]})):
        services.movement_record(
            school=cast.school,
            actor=keeper,
            kind="receipt",
            item=thing,
            store=store,
            data={**data, "rate": Decimal("10")},
        )
    issue = services.movement_record(
        school=cast.school,
        actor=keeper,
        kind="issue",
        item=item,
        store=store,
        data={"quantity": Decimal("2"), "student": cast.student},
    ).first
    order = services.po_create(
        school=cast.school,
        actor=keeper,
        vendor=vendor,
        store=store,
        lines=[{"item": item, "quantity": Decimal("5"), "rate": Decimal("9")}],
    )
    request = services.request_create(
        school=cast.school, actor=cast.teacher.user, item=item, quantity=Decimal("1")
    )
    return {
        "inventory/categories": category.pk,
        "inventory/stores": store.pk,
        "inventory/vendors": vendor.pk,
        "inventory/items": item.pk,
        "inventory/reorder-rules": rule.pk,
        "inventory/purchase-orders": order.pk,
        "inventory/movements": issue.pk,
        "inventory/balances": StockBalance.objects.get(item=item, store=store).pk,
        "inventory/serial-units": SerialUnit.objects.get(item=laptop).pk,
        "inventory/requests": request.pk,
    }  # fmt: skip


def _exams_ids(cast) -> dict[str, str]:
    """A plan for the cast student's class (one term, one exam out of 100), the student's
    mark, their class's results computed and published, and their report card; the scale is
    an unused built-in (not frozen)."""
    import datetime as dt
    from decimal import Decimal

    from apps.academics.models import Enrollment
    from apps.academics.tests.factories import TermFactory
    from apps.exams import services
    from apps.exams.models import Component, Mark, ResultRun

    enrollment = Enrollment.objects.select_related("section__school_class", "year").get(
        student=cast.student, year__is_current=True
    )
    section = enrollment.section
    scales = services.builtin_scales_install(cast.school)
    term = TermFactory(year=enrollment.year, name="Matrix term")
    subject = section.teaching_assignments.first().subject
    plan = services.plan_create(
        school=cast.school, actor=cast.admin, school_class=section.school_class,
        year=enrollment.year, name="Matrix plan", scale=scales["cbse-8"],
        subjects=[{"subject": subject}],
        terms=[{"term": term, "weight": Decimal(100), "is_final": True, "components": [
            {"name": "Exam", "kind": "annual", "max_marks": Decimal(100), "weight": Decimal(100)}
        ]}],
    )  # fmt: skip
    component = Component.objects.get(plan_term__plan=plan)
    exam = services.exam_create(school=cast.school, actor=cast.admin, component=component,
                                name="Annual", entry_opens=dt.date(2000, 1, 1),
                                entry_closes=dt.date(2100, 1, 1))  # fmt: skip
    Mark.objects.create(school=cast.school, exam=exam, section=section, subject=subject,
                        student=cast.student, marks=Decimal(88), max_marks=Decimal(100))  # fmt: skip
    run = ResultRun.objects.create(school=cast.school, school_class=section.school_class,
                                   plan_term=component.plan_term)  # fmt: skip
    run = ResultRun.objects.select_related("plan_term__plan__scale", "plan_term__term",
                                           "school").get(pk=run.pk)  # fmt: skip
    services.compute_run(run)
    services.results_publish(run=run, actor=cast.admin)
    services.cards_generate(run=run, section=section)
    result = run.results.get(student=cast.student)
    return {
        "exams/grade-scales": scales["percentage"].pk,
        "exams/plans": plan.pk,
        "exams/exams": exam.pk,
        "exams/results": result.pk,
        "exams/report-cards": result.cards.get().pk,
    }


def _calendar_ids(cast) -> dict[str, str]:
    """An event and an exam paper of the section `_academics_ids` enrolled the cast's student
    in, and a feed token of the parent's."""
    from apps.academics.models import Enrollment
    from apps.calendar.tests.factories import (
        CalendarEventFactory,
        CalendarFeedTokenFactory,
        ExamScheduleEntryFactory,
    )

    section = Enrollment.objects.get(student=cast.student, year__is_current=True).section
    event = CalendarEventFactory(school=cast.school, audience="section", section=section)
    return {
        "calendar-events": event.pk,
        "exam-schedule": ExamScheduleEntryFactory(section=section).pk,
        "calendar-feed-tokens": CalendarFeedTokenFactory(user=cast.parent).pk,
    }


def _academics_ids(cast) -> dict[str, str]:
    """School one's current year with a section taught by a teacher other than the cast's, so
    the cast's teacher still teaches nobody and the rows above keep their meaning."""
    from apps.academics.tests.factories import (
        AcademicYearFactory,
        EnrollmentFactory,
        SectionFactory,
        TeachingAssignmentFactory,
        TermFactory,
        TimetableEntryFactory,
    )

    year = AcademicYearFactory(school=cast.school, is_current=True)
    section = SectionFactory(school_class__school=cast.school, year=year)
    assignment = TeachingAssignmentFactory(section=section)
    return {
        "academic-years": year.pk,
        "terms": TermFactory(year=year).pk,
        "classes": section.school_class_id,
        "sections": section.pk,
        "subjects": assignment.subject_id,
        "teaching-assignments": assignment.pk,
        "enrollments": EnrollmentFactory(section=section, student=cast.student).pk,
        "timetable": TimetableEntryFactory(
            section=section, subject=assignment.subject, teacher=assignment.teacher
        ).pk,
    }


def _personas(collection: str) -> set[str]:
    """Everyone, plus the personas a domain walks on its own operations only."""
    personas = PUBLIC | {"colleague"}
    if collection.startswith("transport"):
        personas |= TRANSPORT_PERSONAS
    if collection.startswith("inventory"):
        personas |= STOREKEEPING
    if collection == "reports":
        personas |= STOREKEEPING | {"transport"}
    return personas


def _client(cast, api, persona: str):
    if persona in TRANSPORT_PERSONAS:
        return _transport_client(cast, api, persona)
    if persona == "storekeeper":
        return api(_storekeeper(cast))
    return api(None if persona == "anon" else cast.user(persona))


@pytest.mark.parametrize("operation", sorted(MATRIX), ids=lambda op: f"{op[0]} {op[1]}")
def test_access(cast, api, operation, request, schema_contract):
    """Each persona calls the operation inside a savepoint that is rolled back afterwards, so
    every call sees the same starting data (a deactivation by one persona does not change what
    the next one meets) while the cast is built once per operation. Every response, allowed or
    refused, must also keep the OpenAPI contract: a documented status, content type and model."""
    method, template = operation
    path = template
    collection = template.split("/")[3]
    # these collections live one level down
    if collection in ("fees", "payments", "transport", "inventory", "exams"):
        collection = "/".join(template.split("/")[3:5])
    if template.startswith("/api/v1/notifications/circulars/"):
        collection = "notifications/circulars"
    mongo_db = None
    if collection in MONGO_COLLECTIONS:
        mongo_db = request.getfixturevalue("mongo_questions").database
    if "{id}" in template:
        ids = _object_ids(cast, mongo=mongo_db is not None,
                          exams=collection.startswith("exams/"))  # fmt: skip
        path = template.replace("{id}", str(ids[collection]))
    wrong = []
    for persona in sorted(_personas(collection)):
        client = _client(cast, api, persona)
        with transaction.atomic(), _undo_mongo(mongo_db):
            response = getattr(client, method.lower())(path, {}, format="json")
            transaction.set_rollback(True)
        status = response.status_code
        for problem in schema_contract.problems(method, template, response):
            wrong.append(f"{persona}: {problem}")
        if allowed(persona, operation):
            if status in DENIED | {405, 500}:
                wrong.append(f"{persona} should be allowed: {status} {response.content[:200]!r}")
        elif status not in DENIED:
            wrong.append(f"{persona} must be refused: {status} {response.content[:200]!r}")
        elif persona == "colleague" and operation in MANAGEMENT and status != 403:
            wrong.append(f"{persona} finds the object, so is refused with 403, not {status}")
    assert not wrong, f"{method} {path}:\n" + "\n".join(wrong)
