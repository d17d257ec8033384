"""Writes of feature sets: create a named set pinning exact definition versions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ..models import FeatureSet
from ..models.definitions import name_validator
from ..selectors.definitions import definition_by_label


@transaction.atomic
def set_create(*, name: str, features: list[str], description: str = "", user=None) -> FeatureSet:
    """Create the set `name` holding the versions `features` name: "rsi_14" pins rsi_14's latest
    version now (a later rsi_14 v2 does not move the set), "rsi_14@1" pins version 1.

    Raises ValidationError: {"name": ...} for a bad name or "exists" when the name is taken;
    {"features": [...]} naming every item that is no known definition (version).
    """
    try:
        name_validator(name if isinstance(name, str) else "")
        if not name or len(name) > 64:
            raise ValidationError("give a name of 1 to 64 characters")
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from None
    if not isinstance(features, list | tuple) or not features:
        raise ValidationError({"features": ["give a list of one or more definitions (name or name@version)"]})
    found = {item: definition_by_label(item) for item in dict.fromkeys(map(str, features))}
    unknown = [item for item, d in found.items() if d is None]
    if unknown:
        raise ValidationError({"features": [f"unknown definition: {', '.join(unknown)}"]})
    if FeatureSet.objects.filter(name=name).exists():
        raise ValidationError({"name": "exists"})
    try:
        with transaction.atomic():  # a savepoint: a racing create of the same name is a field error
            fs = FeatureSet.objects.create(name=name, description=description or "", created_by=user)
    except IntegrityError:
        raise ValidationError({"name": "exists"}) from None
    fs.members.set(list(found.values()))
    return fs
