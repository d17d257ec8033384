"""/api/ml/models/ab_test: a test is created with its arms (every refusal a 400 naming its field,
403 without the alias permission, 404 for an unknown test); predictions of its model are served by
the arm kernels.abtest.assign_arms gives the request key (deterministic, shares as the weights say)
and name it; shadow arms score the same row and every prediction is recorded; the report's metrics
equal scikit-learn / scipy on the records and its Diebold-Mariano and bootstrap the kernels on the
same pairs; promote moves the alias (audited) and stops the test."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import mean_absolute_error, mean_squared_error

from apps.ml.kernels import estimators
from apps.ml.kernels.abtest import assign_arms, diebold_mariano, paired_bootstrap
from apps.ml.models import ABTest, AliasMove, ModelAlias, PredictionRecord
from apps.ml.selectors.abtests import BOOTSTRAP_DRAWS, BOOTSTRAP_SEED
from apps.ml.services import records as records_service
from apps.ml.services.abtests import abtest_create
from apps.ml.services.ml_models import model_create
from apps.ml.services.versions import version_create
from tests.ml.abtesting import ROW, SYMBOL, direct, pair_records
from tests.ml.serving import price_bundle

pytestmark = pytest.mark.django_db
URL = "/api/ml/models/ab_test"
PREDICT = "/api/ml/predict/price"


def create(client, **overrides):
    body = {
        "name": "lgbm-vs-lgbm",
        "model": "ret",
        "arms": [{"version": 1, "weight": 3}, {"alias": "challenger", "weight": 1}],
        "shadow": False,
        "horizon": 5,
        **overrides,
    }
    return client.post(URL, body, format="json")


@pytest.fixture
def challenger(two_versions):
    from apps.ml.services.aliases import alias_move

    model, _, v2 = two_versions
    alias_move(model=model, name="challenger", version=v2)
    return v2


def test_a_test_is_created_with_its_arms(staff_client, two_versions, challenger):
    r = create(staff_client)
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["status"], body["horizon"], body["shadow"], body["model"]) == ("running", 5, False, "ret")
    assert [(a["arm"], a["version"], a["weight"]) for a in body["arms"]] == [(0, 1, 3.0), (1, 2, 1.0)]
    assert body["comparisons"] == [
        {
            "arms": [0, 1],
            "pairs": 0,
            "loss": "squared",
            "h": 5,
            "too_few_pairs": "0 paired outcomes; the tests need at least 10",
        }
    ]
    assert staff_client.get(f"{URL}/{body['id']}").json() == body


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"arms": [{"version": 1}, {"version": 9}]}, "arms"),  # unknown version
        ({"arms": [{"version": 1}, {"alias": "nope"}]}, "arms"),  # unknown alias
        ({"arms": [{"version": 1}, {"version": 2, "weight": 0}]}, "arms"),
        ({"arms": [{"version": 1}, {"version": 2, "weight": -1}]}, "arms"),
        ({"arms": [{"version": 1}]}, "arms"),
        ({"arms": [{"version": 1}, {"alias": "champion"}]}, "arms"),  # the same version twice
        ({"arms": [{"version": 1, "alias": "champion"}, {"version": 2}]}, "arms"),
        ({"horizon": 0}, "horizon"),
        ({"name": "Bad Name"}, "name"),
        ({"model": "nope"}, "model"),
    ],
)
def test_bad_fields_are_400_naming_them(staff_client, two_versions, challenger, overrides, field):
    r = create(staff_client, **overrides)
    assert r.status_code == 400 and field in r.json(), r.json()
    assert not ABTest.objects.exists()


def test_a_failed_version_and_a_second_running_test_are_refused(staff_client, two_versions, challenger):
    version_create(model=two_versions[0], artifact=None, status="failed", error="diverged")
    r = create(staff_client, arms=[{"version": 1}, {"version": 3}])
    assert r.status_code == 400 and "failed" in str(r.json()["arms"])
    assert create(staff_client).status_code == 201
    r = create(staff_client, name="another")
    assert r.status_code == 400 and "running" in str(r.json()["model"])


def test_a_non_price_model_is_refused(staff_client, two_versions):
    model_create(name="vol", kind="volatility", estimator="garch", target="variance_1d")
    r = create(staff_client, model="vol")
    assert r.status_code == 400 and "price" in str(r.json()["model"])


def test_ab_test_is_no_model_name():
    with pytest.raises(Exception, match="reserved"):
        model_create(name="ab_test", kind="price", estimator="lightgbm", target="return_5d")


def test_writes_need_the_alias_permission_and_unknown_tests_are_404(
    api_client, staff_client, two_versions, challenger
):
    assert create(api_client).status_code == 403
    test_id = create(staff_client).json()["id"]
    assert api_client.post(f"{URL}/{test_id}/stop").status_code == 403
    assert api_client.post(f"{URL}/{test_id}/promote", {"arm": 1}, format="json").status_code == 403
    assert api_client.get(f"{URL}/{test_id}").status_code == 200
    assert api_client.get(f"{URL}/999999").status_code == 404
    assert staff_client.post(f"{URL}/999999/stop").status_code == 404
    assert staff_client.post(f"{URL}/999999/promote", {"arm": 1}, format="json").status_code == 404


def test_assignment_is_deterministic_and_shares_follow_the_weights(
    staff_client, two_versions, challenger, bundles, bars
):
    test_id = create(staff_client).json()["id"]
    keys = [f"client-{i}" for i in range(40)]
    expected = assign_arms(keys, str(test_id), [3, 1])
    got = []
    for key in keys:
        r = staff_client.post(PREDICT, {"symbol": SYMBOL, "features": ROW, "request_key": key}, format="json")
        assert r.status_code == 200, r.json()
        body = r.json()
        arm = body["ab_test"]["arm"]
        got.append(arm)
        assert body["version"] == arm + 1  # arm 0 is v1, arm 1 is v2
        assert body["predicted_return"] == pytest.approx(direct(bundles[arm]), rel=1e-12)
    assert got == expected.tolist() and 0 < sum(got) < len(got)
    again = staff_client.post(
        PREDICT, {"symbol": SYMBOL, "features": ROW, "request_key": keys[0]}, format="json"
    )
    assert again.json()["ab_test"]["arm"] == got[0]
    # Every served prediction is recorded, at the symbol's latest bar, with the test's horizon.
    records = PredictionRecord.objects.filter(test_id=test_id)
    assert records.count() == len(keys) + 1 and set(records.values_list("role", flat=True)) == {"served"}
    assert set(records.values_list("bar_ts", flat=True)) == {bars.index[-1].to_pydatetime()}
    assert set(records.values_list("horizon", flat=True)) == {5}


def test_the_default_key_is_the_symbol_and_its_bar(staff_client, two_versions, challenger, bars):
    test_id = create(staff_client).json()["id"]
    body = staff_client.post(PREDICT, {"symbol": SYMBOL, "features": ROW}, format="json").json()
    key = f"{SYMBOL}@{bars.index[-1].strftime('%Y-%m-%dT%H:%M:%SZ')}"
    assert body["ab_test"]["request_key"] == key
    assert body["ab_test"]["arm"] == assign_arms([key], str(test_id), [3, 1])[0]


def test_shadow_arms_score_the_same_row_and_are_recorded(
    staff_client, two_versions, challenger, bundles, bars
):
    test_id = create(staff_client, shadow=True).json()["id"]
    body = staff_client.post(
        PREDICT, {"symbol": SYMBOL, "features": ROW, "request_key": "k"}, format="json"
    ).json()
    served = body["ab_test"]["arm"]
    assert "predictions" not in body and body["predicted_return"] == pytest.approx(direct(bundles[served]))
    rows = {r.arm.position: r for r in PredictionRecord.objects.filter(test_id=test_id).select_related("arm")}
    assert {p: r.role for p, r in rows.items()} == {served: "served", 1 - served: "shadow"}
    for p, r in rows.items():
        assert r.predicted_return == pytest.approx(direct(bundles[p]), rel=1e-12)
        assert r.features == [ROW[f] for f in bundles[p].features]
        assert (r.request_key, r.symbol) == ("k", SYMBOL)


def test_a_pinned_version_or_a_stopped_test_serves_plainly(staff_client, two_versions, challenger, bars):
    test_id = create(staff_client).json()["id"]
    pinned = staff_client.post(
        PREDICT, {"symbol": SYMBOL, "features": ROW, "version": 2}, format="json"
    ).json()
    assert "ab_test" not in pinned and pinned["version"] == 2
    assert staff_client.post(f"{URL}/{test_id}/stop").json()["status"] == "stopped"
    plain = staff_client.post(PREDICT, {"symbol": SYMBOL, "features": ROW}, format="json").json()
    assert "ab_test" not in plain and plain["version"] == 1
    assert list(PredictionRecord.objects.order_by("id").values_list("role", "version__number")) == [
        ("plain", 2),
        ("plain", 1),
    ]


def test_a_recording_failure_does_not_fail_the_prediction(staff_client, two_versions, bars, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(PredictionRecord.objects, "bulk_create", broken)
    before = records_service.RECORD_FAILURES._value.get()
    r = staff_client.post(PREDICT, {"symbol": SYMBOL, "features": ROW}, format="json")
    assert r.status_code == 200 and r.json()["version"] == 1
    assert records_service.RECORD_FAILURES._value.get() == before + 1


def test_the_report_equals_the_libraries_on_the_records(staff_client, two_versions, challenger, user):
    model = two_versions[0]
    test = abtest_create(
        model=model, name="t", arms=[{"version": 1}, {"version": 2}], shadow=True, horizon=2, user=user
    )
    rng = np.random.default_rng(3)
    y = rng.normal(0, 0.02, 30)
    a, b = y + rng.normal(0, 0.01, 30), y + rng.normal(0.002, 0.015, 30)
    pair_records(test, [*y, None], [*a, 0.5], [*b, 0.5])  # the last row has no outcome yet
    body = staff_client.get(f"{URL}/{test.pk}").json()
    for arm, pred in zip(body["arms"], (a, b), strict=True):
        m = arm["metrics"]
        assert arm["open"] == 1 and m["n"] == 30
        assert m["mae"] == pytest.approx(mean_absolute_error(y, pred), rel=1e-12)
        assert m["rmse"] == pytest.approx(np.sqrt(mean_squared_error(y, pred)), rel=1e-12)
        assert m["ic"] == pytest.approx(stats.pearsonr(pred, y).statistic, rel=1e-10)
        assert m["rank_ic"] == pytest.approx(stats.spearmanr(pred, y).statistic, rel=1e-10)
        assert m["hit_rate"] == pytest.approx(np.mean(np.sign(pred) == np.sign(y)))
    assert body["arms"][0]["served"] == 31 and body["arms"][1]["shadow"] == 31
    (cmp,) = body["comparisons"]
    dm = diebold_mariano(y, a, b, h=2)
    boot = paired_bootstrap(y, a, b, seed=BOOTSTRAP_SEED, n_boot=BOOTSTRAP_DRAWS)
    assert cmp["pairs"] == 30 and "too_few_pairs" not in cmp
    assert cmp["diebold_mariano"]["statistic"] == pytest.approx(dm.statistic, rel=1e-12)
    assert cmp["diebold_mariano"]["p_value"] == pytest.approx(dm.p_value, rel=1e-12)
    assert (cmp["bootstrap"]["ci_low"], cmp["bootstrap"]["ci_high"]) == pytest.approx(
        (boot.ci_low, boot.ci_high)
    )
    assert cmp["bootstrap"]["p_value"] == pytest.approx(boot.p_value)


def test_too_few_pairs_are_said(staff_client, two_versions, challenger, user):
    test = abtest_create(model=two_versions[0], name="t", arms=[{"version": 1}, {"version": 2}], horizon=3)
    pair_records(test, [0.01, -0.02, 0.0], [0.0, 0.0, 0.01], [0.01, 0.01, 0.0])
    (cmp,) = staff_client.get(f"{URL}/{test.pk}").json()["comparisons"]
    assert cmp["pairs"] == 3 and "at least 6" in cmp["too_few_pairs"] and "diebold_mariano" not in cmp


def test_promote_moves_the_alias_audited_and_stops_the_test(
    staff_client, staff_user, two_versions, challenger
):
    model, v1, v2 = two_versions
    test_id = create(staff_client).json()["id"]
    assert staff_client.post(f"{URL}/{test_id}/promote", {"arm": 7}, format="json").status_code == 400
    assert (
        staff_client.post(f"{URL}/{test_id}/promote", {"arm": 1, "alias": "Bad"}, format="json").status_code
        == 400
    )
    r = staff_client.post(f"{URL}/{test_id}/promote", {"arm": 1, "reason": "lower RMSE"}, format="json")
    assert r.status_code == 200, r.json()
    assert (r.json()["status"], r.json()["promoted_arm"]) == ("stopped", 1)
    assert ModelAlias.objects.get(model=model, name="champion").version == v2
    move = AliasMove.objects.filter(model=model, alias="champion").order_by("-id").first()
    assert (move.from_version, move.to_version, move.reason, move.moved_by) == (
        v1,
        v2,
        "lower RMSE",
        staff_user,
    )


def test_a_shadow_version_reading_its_features_in_another_order_scores_the_same_values(
    staff_client, two_versions, bars
):
    from dataclasses import replace

    model, v1, _ = two_versions
    base = price_bundle(seed=2)
    # The same estimator trained on the columns reversed: its features are named in that order.
    order = [2, 1, 0]
    reordered = estimators.fit(
        "lightgbm", {"n_estimators": 40, "min_child_samples": 10}, *_reversed_training(order), seed=2
    )
    bundle = replace(
        base,
        estimator=reordered,
        features=tuple(base.features[j] for j in order),
        fill=tuple(base.fill[j] for j in order),
    )
    v3 = version_create(model=model, artifact=bundle, train_start=v1.train_start, train_end=v1.train_end)
    test = abtest_create(
        model=model,
        name="t",
        arms=[{"version": 1, "weight": 1}, {"version": v3.number, "weight": 1e-9}],
        shadow=True,
        horizon=5,
    )
    body = staff_client.post(
        PREDICT, {"symbol": SYMBOL, "features": ROW, "request_key": "x"}, format="json"
    ).json()
    assert body["ab_test"]["arm"] == 0
    shadow = PredictionRecord.objects.get(test=test, role="shadow")
    assert shadow.predicted_return == pytest.approx(direct(bundle), rel=1e-12)
    assert shadow.features == [ROW[f] for f in bundle.features]


def _reversed_training(order):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 3))
    return X[:, order], X @ np.array([0.01, -0.02, 0.005])
