"""``from losskit import keras as lkk``: any losskit loss as a Keras 3 loss (and metric).

>>> model.compile(optimizer="adam", loss=lkk.Loss("binary_focal_crossentropy", gamma=2.0),
...               metrics=[lkk.Loss("binary_crossentropy")])  # doctest: +SKIP

:class:`Loss` is a ``keras.losses.Loss`` whose ``call`` returns losskit's per-sample values, so
Keras applies ``sample_weight``, ``class_weight``, masks and the reduction exactly as for its own
losses (a Loss object called directly would reduce first, and Keras would then weigh the mean).
It is serialisable (registered as ``losskit>Loss``: ``model.save`` and ``keras.saving.load_model``
round-trip without ``custom_objects``) and works as an unweighted metric. :class:`Metric` is the
weighted form (``weighted_metrics=``): the running mean of the per-sample values. Both run
on every Keras backend (JAX, PyTorch, TensorFlow); value checks skip themselves on traced arrays.
Importing this module imports Keras.
"""

from __future__ import annotations

from typing import Any

import keras

from .registry import get

__all__ = ["Loss", "Metric"]


@keras.saving.register_keras_serializable(package="losskit", name="Loss")
class Loss(keras.losses.Loss):
    """A losskit loss (a name or alias, with its options) as a ``keras.losses.Loss``.

    Parameters
    ----------
    loss : str
        A losskit loss name or alias (``"huber"``, ``"bce"``, ...).
    reduction : str
        Keras' reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
        ``"mean_with_sample_weight"`` or ``None``.
    name : str, optional
        Defaults to the loss's canonical name.
    **options
        The loss's options (``from_logits``, ``delta``, ``gamma``, ...).
    """

    def __init__(self, loss: str = "mean_squared_error", *, reduction: str | None = "sum_over_batch_size", name: str | None = None,
                 dtype: Any = None, **options: Any):  # fmt: skip
        if not isinstance(loss, str):
            raise ValueError(f"losskit.keras.Loss: `loss` must be a losskit loss name (Keras serialises it by name); got {type(loss).__name__}")
        self.losskit_loss = get(loss, **options)
        self.loss_options = dict(options)
        super().__init__(name=name or self.losskit_loss.name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        """Per-sample values (the last axis reduced), in the backend's arrays."""
        return self.losskit_loss.values(y_true, y_pred)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "loss": self.losskit_loss.name, **self.loss_options}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)


@keras.saving.register_keras_serializable(package="losskit", name="Metric")
class Metric(keras.metrics.MeanMetricWrapper):
    """A losskit loss as a Keras metric: the running (weighted) mean of its per-sample values,
    for ``metrics=`` and ``weighted_metrics=`` (a Loss's reduced value cannot take per-sample weights)."""

    def __init__(self, loss: str = "mean_squared_error", *, name: str | None = None, dtype: Any = None, **options: Any):
        if not isinstance(loss, str):
            raise ValueError(f"losskit.keras.Metric: `loss` must be a losskit loss name; got {type(loss).__name__}")
        self.losskit_loss = get(loss, **options)
        self.loss_options = dict(options)
        super().__init__(fn=self.losskit_loss.values, name=name or self.losskit_loss.name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "loss": self.losskit_loss.name, **self.loss_options}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        return cls(**config)
