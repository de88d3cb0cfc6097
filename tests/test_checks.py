"""The system check that keeps every governed model under change history (govdata.E001)."""

from django.apps import apps
from django.core import checks, management
from django.db import models
from django.test.utils import isolate_apps
from simple_history.models import HistoricalRecords

from govdata.checks import every_governed_model_has_history


@isolate_apps("catalog")
def test_governed_model_without_history_is_reported():
    class Unrecorded(models.Model):  # noqa: DJ008  (a throwaway model, never displayed)
        class Meta:
            app_label = "catalog"

    errors = every_governed_model_has_history(app_configs=[Unrecorded._meta.apps.get_app_config("catalog")])

    assert [(e.id, e.obj) for e in errors] == [("govdata.E001", Unrecorded)]
    assert errors[0].msg == "catalog.unrecorded has no change history."


@isolate_apps("catalog")
def test_governed_model_with_history_passes():
    class Recorded(models.Model):  # noqa: DJ008  (a throwaway model, never displayed)
        history = HistoricalRecords()

        class Meta:
            app_label = "catalog"

    assert every_governed_model_has_history(app_configs=[Recorded._meta.apps.get_app_config("catalog")]) == []


@isolate_apps("django.contrib.auth")
def test_model_outside_the_governed_apps_is_not_checked():
    class Unrecorded(models.Model):  # noqa: DJ008  (a throwaway model, never displayed)
        class Meta:
            app_label = "auth"

    assert every_governed_model_has_history(app_configs=[Unrecorded._meta.apps.get_app_config("auth")]) == []


def test_the_real_project_passes():
    assert every_governed_model_has_history() == []


def test_the_check_is_registered_with_django():
    assert every_governed_model_has_history in checks.registry.registry.get_checks()


def test_manage_py_check_passes():
    # Raises SystemCheckError if any check (ours or Django's) reports an error.
    management.call_command("check", verbosity=0)


def test_every_governed_app_is_installed():
    for label in ("catalog", "sharing", "operations"):
        assert apps.is_installed(label)
