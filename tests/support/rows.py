"""The stored rows of some tables, to show that a refused call left the database as it was."""

from django.db.models import Model


def rows_of(*models: type[Model]) -> dict[str, list[dict]]:
    """Every row of each model, every column, in primary-key order."""
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}
