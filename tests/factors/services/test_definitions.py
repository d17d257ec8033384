"""Factor definitions: a respelled formula is the same version, a changed one a new version; bad
input is refused by field with the formula's position."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.factors.services.definitions import definition_save

pytestmark = pytest.mark.django_db


def test_a_respelling_keeps_the_version_and_a_change_adds_one():
    first = definition_save(name="mom_20", formula="Mean($close, 20)/$close")
    same = definition_save(name="mom_20", formula="ts_mean( $close , 20.0 ) / $close")
    assert same.pk == first.pk and first.version == 1
    assert first.canonical == "div(ts_mean($close,20),$close)" and first.lookback == 19
    changed = definition_save(name="mom_20", formula="Mean($close, 21)/$close")
    assert changed.version == 2 and changed.digest != first.digest
    raw = definition_save(name="mom_20", formula="Mean($close, 21)/$close", adjusted=False)
    assert raw.version == 3


@pytest.mark.parametrize(
    ("kwargs", "field", "text"),
    [
        ({"name": "bad name", "formula": "$close"}, "name", "letters"),
        ({"name": "x", "formula": "$close + * 2"}, "formula", "(at 9)"),
        ({"name": "x", "formula": "Mean($close, 0)"}, "formula", "at least 1"),
        ({"name": "x", "formula": "  "}, "formula", "give a formula"),
        ({"name": "x", "formula": "$close", "interval": "7d"}, "interval", "one of"),
    ],
)
def test_bad_input_is_refused_by_field(kwargs, field, text):
    with pytest.raises(ValidationError) as caught:
        definition_save(**kwargs)
    assert text in " ".join(caught.value.message_dict[field])
