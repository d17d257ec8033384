"""The ML engine's maths: pure numpy/pandas functions over the field's libraries (LightGBM,
scikit-learn, Optuna, arch, hmmlearn, statsmodels, vaderSentiment), no Django.

validation (purged walk-forward / k-fold with embargo), labels (forward returns), estimators (return
model kinds and their hyperparameter spaces), automl (Optuna search), conformal (prediction
intervals), volatility (GARCH family), regimes (HMM, Markov switching), sentiment (VADER, TF-IDF
classifier), abtest (assignment, metrics, Diebold-Mariano, bootstrap), artifacts (checksummed
model bytes)."""
