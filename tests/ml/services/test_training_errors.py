"""model_train refuses bad input with a ValidationError keyed by the request's field, before reading
any bars where it can (names, kinds, estimators, targets, feature sets, symbols, windows,
hyperparameters, validation, AutoML, alpha, seed, texts) and after, for data that cannot support
the training (a window without enough samples, too few for the splits or for the interval)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.ml.models import MLModel, ModelVersion
from apps.ml.services.ml_models import model_create
from apps.ml.services.training import model_train, training_request_check

pytestmark = pytest.mark.django_db

PRICE = {
    "name": "spy-ret",
    "kind": "price",
    "estimator": "lightgbm",
    "target": "return_5d",
    "feature_set": "core",
    "symbols": ["AAA", "BBB"],
}
VOL = {"name": "vol", "kind": "volatility", "estimator": "garch", "symbols": ["AAA"]}
HMM = {"name": "reg", "kind": "regime", "estimator": "hmm", "symbols": ["AAA"]}
MARKOV = {**HMM, "estimator": "markov"}
TFIDF = {
    "name": "news",
    "kind": "sentiment",
    "estimator": "tfidf",
    "texts": [f"headline {i}" for i in range(10)],
    "labels": ["up", "down"] * 5,
}
VADER = {"name": "vader", "kind": "sentiment", "estimator": "vader"}


def field_error(body) -> dict:
    with pytest.raises(ValidationError) as e:
        model_train(**body)
    return e.value.message_dict


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({**PRICE, "name": "Spy Ret"}, "name", "lowercase"),
        ({**PRICE, "name": "train"}, "name", "reserved"),
        ({**PRICE, "kind": "weather"}, "kind", "unknown kind"),
        ({**PRICE, "estimator": "garch"}, "estimator", "lightgbm, linear, forest, lstm"),
        ({**PRICE, "target": "return_0d"}, "target", "return_{h}d"),
        ({**PRICE, "target": "price"}, "target", "return_{h}d"),
        ({**PRICE, "target": "return_300d"}, "target", "at most 252"),
        ({**PRICE, "feature_set": None}, "feature_set", "reads a feature set"),
        ({**PRICE, "feature_set": "nope"}, "feature_set", "nope"),
        ({**PRICE, "symbols": []}, "symbols", "at least one"),
        ({**PRICE, "symbols": ["AAA", "ZZZ"]}, "symbols", "unknown symbol(s): ZZZ"),
        ({**PRICE, "symbols": "AAA"}, "symbols", "list"),
        ({**PRICE, "start": "soon"}, "start", "not a date"),
        ({**PRICE, "start": "2024-02-01", "end": "2024-01-01"}, "end", "after start"),
        (
            {**PRICE, "hyperparameters": {"num_leaves": 1}},
            "hyperparameters",
            "num_leaves: must be between 2 and 256",
        ),
        ({**PRICE, "hyperparameters": {"depth": 3}}, "hyperparameters", "depth: unknown hyperparameter"),
        ({**PRICE, "hyperparameters": [1]}, "hyperparameters", "object"),
        ({**PRICE, "validation": {"method": "random"}}, "validation", "method"),
        ({**PRICE, "validation": {"n_splits": 1}}, "validation", "n_splits"),
        ({**PRICE, "validation": {"embargo_pct": 0.7}}, "validation", "embargo_pct"),
        (
            {**PRICE, "validation": {"method": "walk_forward", "embargo_pct": 0.1}},
            "validation",
            "purged_kfold",
        ),
        ({**PRICE, "validation": {"shuffle": True}}, "validation", "unknown key"),
        ({**PRICE, "automl": {}}, "automl", "budget"),
        ({**PRICE, "automl": {"trials": 0}}, "automl", "trials"),
        ({**PRICE, "automl": {"timeout_s": -1}}, "automl", "timeout_s"),
        ({**PRICE, "automl": {"trials": 3, "metric": "r2"}}, "automl", "metric"),
        ({**PRICE, "alpha": 0.9}, "alpha", "miscoverage"),
        ({**PRICE, "seed": -1}, "seed", "whole number"),
        ({**PRICE, "seed": 1.5}, "seed", "whole number"),
        ({**PRICE, "alias": "Champion!"}, "alias", "lowercase"),
        ({**PRICE, "texts": ["a"] * 10}, "texts", "not used by a lightgbm price model"),
        ({**VOL, "feature_set": "core"}, "feature_set", "not used by a garch volatility model"),
        ({**VOL, "hyperparameters": {"dist": "cauchy"}}, "hyperparameters", "dist: one of: normal, t, skewt"),
        ({**VOL, "validation": {"n_splits": 3}}, "validation", "not used"),
        ({**VOL, "alpha": 0.1}, "alpha", "not used"),
        ({**VOL, "symbols": []}, "symbols", "at least one"),
        ({**MARKOV, "feature_set": "core"}, "feature_set", "not used by a markov regime model"),
        ({**HMM, "hyperparameters": {"n_states": 9}}, "hyperparameters", "n_states: must be between 2 and 6"),
        ({**HMM, "hyperparameters": {"covariance_type": "tied"}}, "hyperparameters", "covariance_type"),
        ({**MARKOV, "hyperparameters": {"switching_variance": "yes"}}, "hyperparameters", "true or false"),
        ({**TFIDF, "texts": TFIDF["texts"][:5], "labels": TFIDF["labels"][:5]}, "texts", "10 to"),
        ({**TFIDF, "labels": ["up"] * 10}, "labels", "two distinct"),
        ({**TFIDF, "labels": ["up", "down"] * 4}, "labels", "8 labels for 10"),
        ({**TFIDF, "texts": None}, "texts", "list of headlines"),
        ({**TFIDF, "hyperparameters": {"C": 0}}, "hyperparameters", "C: must be between"),
        ({**TFIDF, "symbols": ["AAA"]}, "symbols", "not used"),
        ({**TFIDF, "texts": ["", "?"] * 5}, "texts", "cannot learn from these headlines"),
        ({**VADER, "texts": ["a"] * 10}, "texts", "not used by a vader"),
        ({**VADER, "hyperparameters": {"C": 1}}, "hyperparameters", "unknown"),
    ],
)
def test_bad_requests_name_their_field(registered, body, field, message):
    errors = field_error(body)
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert not ModelVersion.objects.exists()


def test_a_registered_model_keeps_its_kind_estimator_target_and_feature_set(registered):
    model_create(
        name="spy-ret",
        kind="price",
        estimator="linear",
        target="return_5d",
        feature_set_name="core",
        feature_set_version=1,
    )
    assert "registered with estimator 'linear'" in field_error(PRICE)["estimator"][0]
    assert "target" in field_error({**PRICE, "estimator": "linear", "target": "return_1d"})
    model_create(name="vol", kind="volatility", estimator="garch", target="variance_1d")
    assert "kind" in field_error({**PRICE, "name": "vol"})
    # The check itself passes for the matching request (it reads no bars).
    assert training_request_check(**{**PRICE, "estimator": "linear"}).model.name == "spy-ret"


def test_data_that_cannot_support_the_training_is_a_field_error(core_features, market):
    bars = market["AAA"].index
    short = {"start": bars[0], "end": bars[70]}
    errors = field_error({**PRICE, **short, "end": bars[40]})
    assert "samples with every feature and the return_5d label known" in errors["start"][0]
    # 20-bar labels and 20 walk-forward blocks of a few rows: the first block's past is all purged.
    wf = {"method": "walk_forward", "n_splits": 20}
    errors = field_error({**PRICE, "target": "return_20d", "end": bars[120], "validation": wf})
    assert "too few samples for the splits" in errors["validation"][0]
    errors = field_error({**PRICE, "alpha": 0.001})
    assert "calibration tail has" in errors["alpha"][0]
    errors = field_error({**VOL, "symbols": ["AAA", "BBB"], "end": bars[110]})
    assert "AAA (109)" in errors["start"][0] and "needs 125" in errors["start"][0]
    errors = field_error({**HMM, "end": bars[50]})
    assert "AAA (49)" in errors["start"][0]
    assert not MLModel.objects.exists()
