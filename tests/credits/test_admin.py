from django.contrib import admin
from django.test import RequestFactory

from credits import admin as credit_admin  # noqa: F401 - registers the models (patrols/admin.py at merge)
from credits.models import Assessment, PointsEntry


def test_the_ledger_and_assessments_are_read_only_in_the_admin(db):
    request = RequestFactory().get("/")
    for model in (PointsEntry, Assessment):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert not model_admin.has_add_permission(request)
