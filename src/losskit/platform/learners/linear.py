"""A linear model: the multilayer perceptron's training loop without hidden layers.

``inputs -> Linear -> OutputScale -> FinalActivation``: a generalised linear model whose link is
the loss's (a linear last layer and ``from_logits=True`` is logistic regression for
crossentropy, ``log_input=True`` Poisson regression), trained by Adam with the same budget,
early stopping and best-epoch weights as :class:`~.mlp.MLP`.
"""

from __future__ import annotations

from .mlp import MLP


class Linear(MLP):
    """The linear learner."""

    name = "linear"

    def __init__(self, *, learning_rate: float = 1e-2, **settings):
        super().__init__(hidden=(), learning_rate=learning_rate, **settings)

    def describe(self, n_features: int) -> str:
        return f"linear model {n_features} → last layer (no hidden layer); {self._training()}"
