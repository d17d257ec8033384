"""The factors admin lists definitions, analyses and stored factors for staff, read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.factors.models import FactorDefinition
from apps.factors.services.definitions import definition_save

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["factordefinition", "factoranalysis", "factorseries"])
def test_changelists_answer_and_nothing_can_be_added(admin_client, model):
    definition_save(name="adm_mom", formula="$close/Ref($close, 5) - 1")
    assert admin_client.get(reverse(f"admin:factors_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:factors_{model}_add")).status_code == 403


def test_a_definition_page_shows_its_formula_read_only(admin_client):
    d = definition_save(name="adm_vol", formula="Std($close, 20)")
    page = admin_client.get(reverse("admin:factors_factordefinition_change", args=[d.pk]))
    assert page.status_code == 200 and b"Std($close, 20)" in page.content
    admin_client.post(reverse("admin:factors_factordefinition_change", args=[d.pk]), {"formula": "$close"})
    assert FactorDefinition.objects.get(pk=d.pk).formula == "Std($close, 20)"
