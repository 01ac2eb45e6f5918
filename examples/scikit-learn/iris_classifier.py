"""A scikit-learn model behind a Snakepit pool: trained once per worker in ``setup``, then asked for
predictions on arrays of features that Java sends as ``NdArray`` values (README, "Arrays").

Needs numpy and scikit-learn in the workers' interpreter. Start a pool with the adapter
``iris_classifier:IrisClassifier`` and this folder on the Python path.
"""
from typing import Any, Dict

import numpy as np
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

from snakepit import Adapter, tool


class IrisClassifier(Adapter):
    """A random forest on the iris data set: four measurements in, one of three species out."""

    def setup(self) -> None:
        # Once per worker, before its first call; a fixed seed makes every worker the same model.
        iris = load_iris()
        self.names = [str(name) for name in iris.target_names]
        self.model = RandomForestClassifier(n_estimators=50, random_state=7).fit(iris.data, iris.target)

    @tool
    def predict(self, x: Any) -> Any:
        """The class (0, 1 or 2) of each row of ``x``, an n x 4 float64 array; an int64 array of n."""
        return self.model.predict(x).astype(np.int64)

    @tool
    def predict_proba(self, x: Any) -> Any:
        """Each row's probability of each class: an n x 3 float64 array."""
        return self.model.predict_proba(x)

    @tool
    def species(self) -> list:
        """The names of the classes, in class order."""
        return self.names

    @tool
    def dataset(self) -> Dict[str, Any]:
        """The training data and, as Python itself computes them, the model's predictions on it."""
        iris = load_iris()
        return {"features": iris.data, "labels": iris.target.astype(np.int64),
                "predictions": self.model.predict(iris.data).astype(np.int64)}
