"""System checks for rules of our own that Django cannot know."""

from django.apps import apps
from django.core import checks

from .roles import GOVERNED_APPS

# Models exempt from the history rule, and why.
HISTORY_EXEMPT = {
    # The ledger is its own, stronger history: append-only and hash-chained.
    "sharing.ledgerentry",
    # Checkpoints are signed statements about the ledger; they are never edited.
    "sharing.ledgercheckpoint",
}


@checks.register()
def every_governed_model_has_history(app_configs=None, **kwargs):
    """Every model of catalog, sharing and operations keeps a change history (DESIGN §5)."""
    from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

    # Like Django's own checks, honour `manage.py check <app>` (and let tests pass an app registry).
    if app_configs is None:
        app_configs = [apps.get_app_config(label) for label in GOVERNED_APPS]
    errors = []
    for app_config in app_configs:
        if app_config.label not in GOVERNED_APPS:
            continue
        for model in app_config.get_models():
            name = f"{model._meta.app_label}.{model._meta.model_name}"
            is_history = model.__name__.startswith("Historical") or hasattr(model, "instance_type")
            # Object-permission grants are derived from ownership and rebuilt by sync_permissions.
            is_grant = issubclass(model, UserObjectPermissionBase | GroupObjectPermissionBase)
            if is_history or is_grant or name in HISTORY_EXEMPT or model._meta.auto_created:
                continue
            if not hasattr(model, "history"):
                errors.append(
                    checks.Error(
                        f"{name} has no change history.",
                        hint="Add `history = GovernedHistory()` (govdata.history) to the model.",
                        obj=model,
                        id="govdata.E001",
                    )
                )
    return errors
