"""`model_train`: check a training request, fit the kind's model, and register the result as the next
immutable version of the named model (creating the model on first use), optionally moving an alias
to it.

The fitting runs outside any transaction (it can take minutes and reads through other engines'
facades); only the registration is atomic: the model (if new), the version with its artifact, and
the alias move commit together or not at all (services/versions.py removes the artifact file of a
version that was not saved).

A version records how it was made: the hyperparameters used, the installed library versions
(services/artifacts.py), the training window actually covered, and in `metrics` the kind's scores
plus a "training" section with the request (symbols, requested window, seed, feature set and the
job that ran it). A feature set cannot change once created (the features engine only creates
them), so the version a model reads is the set's only one, 1; the exact member versions are the
bundle's `features` and `metrics.data.features`.

Idempotent per job: a job redelivered after its version was committed (a worker lost between the
commit and the job's own bookkeeping) finds that version instead of training another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ...models import MLModel, ModelVersion
from ..aliases import alias_move
from ..ml_models import model_create
from ..versions import version_create
from .fitted import Fitted, iso
from .params import TrainRequest, registered_model_check, training_request_check
from .price import price_train
from .regime import regime_train
from .sentiment import sentiment_train
from .volatility import volatility_train

Progress = Callable[[float, str], None]
FITTERS: dict[str, Callable[[TrainRequest, Progress], Fitted]] = {
    "price": price_train,
    "volatility": volatility_train,
    "regime": regime_train,
    "sentiment": sentiment_train,
}
FEATURE_SET_VERSION = 1


@dataclass(frozen=True)
class Trained:
    model: MLModel
    version: ModelVersion
    alias: str | None  # the alias now naming the version, if one was asked for
    created: bool  # False: the job's version already existed (a redelivery)


def model_train(
    *,
    name: str,
    kind: str,
    estimator: str,
    target: str = "",
    feature_set: str | None = None,
    symbols: Sequence[str] = (),
    start=None,
    end=None,
    hyperparameters: Mapping | None = None,
    validation: Mapping | None = None,
    automl: Mapping | None = None,
    alpha: float | None = None,
    seed: int | None = None,
    texts: Sequence[str] | None = None,
    labels: Sequence | None = None,
    alias: str | None = None,
    user=None,
    progress: Progress | None = None,
    job_id: str | None = None,
) -> Trained:
    """Train and register a version (see the module docstring). ValidationError keyed by the
    request's field for bad input, including data that cannot support the training asked for."""
    req = training_request_check(
        name=name,
        kind=kind,
        estimator=estimator,
        target=target,
        feature_set=feature_set,
        symbols=symbols,
        start=start,
        end=end,
        hyperparameters=hyperparameters,
        validation=validation,
        automl=automl,
        alpha=alpha,
        seed=seed,
        texts=texts,
        labels=labels,
        alias=alias,
    )
    if job_id is not None:
        done = ModelVersion.objects.filter(
            model__name=req.name, metrics__training__job_id=str(job_id)
        ).first()
        if done is not None:
            return Trained(model=done.model, version=done, alias=req.alias, created=False)
    report = progress or (lambda pct, message: None)
    fitted = FITTERS[req.kind](req, report)
    report(96, "registering the version")
    return _register(req, fitted, user=user, job_id=job_id)


def _model_for(req: TrainRequest, user) -> MLModel:
    """The request's model, created when new; locked, and checked again (it may have been created
    since the request was checked)."""
    found = MLModel.objects.select_for_update().filter(name=req.name).first()
    if found is None:
        try:
            with transaction.atomic():
                return model_create(
                    name=req.name,
                    kind=req.kind,
                    estimator=req.estimator,
                    target=req.target,
                    feature_set_name=req.feature_set or "",
                    feature_set_version=FEATURE_SET_VERSION if req.feature_set else None,
                    user=user,
                )
        except (IntegrityError, ValidationError):
            # Created by a concurrent training between the read and the insert.
            found = MLModel.objects.select_for_update().filter(name=req.name).first()
            if found is None:
                raise
    registered_model_check(req.name, req.kind, req.estimator, req.target, req.feature_set)
    return found


@transaction.atomic
def _register(req: TrainRequest, fitted: Fitted, *, user, job_id) -> Trained:
    model = _model_for(req, user)
    training = {
        "job_id": None if job_id is None else str(job_id),
        "seed": req.seed,
        "estimator": req.estimator,
        "target": req.target,
        "feature_set": req.feature_set,
        "symbols": list(req.symbols),
        "start": iso(req.start),
        "end": iso(req.end),
    }
    version = version_create(
        model=model,
        artifact=fitted.bundle,
        train_start=fitted.train_start,
        train_end=fitted.train_end,
        feature_set_version=FEATURE_SET_VERSION if req.feature_set else None,
        hyperparameters=fitted.hyperparameters,
        metrics={**fitted.metrics, "training": training},
        user=user,
    )
    if req.alias is not None:
        alias_move(
            model=model,
            name=req.alias,
            version=version,
            user=user,
            reason=f"trained version {version.number}",
        )
    return Trained(model=model, version=version, alias=req.alias, created=True)


def trained_document(trained: Trained) -> dict:
    """The finished job's result: which model and version, and the version's metrics."""
    v = trained.version
    return {
        "model_id": trained.model.pk,
        "model": trained.model.name,
        "kind": trained.model.kind,
        "estimator": trained.model.estimator,
        "version": v.number,
        "version_id": v.pk,
        "alias": trained.alias,
        "train_start": iso(v.train_start),
        "train_end": iso(v.train_end),
        "hyperparameters": v.hyperparameters,
        "metrics": v.metrics,
        "created": trained.created,
    }
