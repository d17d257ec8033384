"""Training models into the registry: `model_train` (train.py) checks the request (params.py), fits
the kind's model (price.py, volatility.py, regime.py, sentiment.py) and registers a new immutable
version whose artifact is the kind's bundle (kernels/bundles.py)."""

from .params import TrainRequest, training_request_check
from .train import Trained, model_train, trained_document

__all__ = ["TrainRequest", "Trained", "model_train", "trained_document", "training_request_check"]
