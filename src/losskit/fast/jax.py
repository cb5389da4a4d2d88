"""JAX: the Loss object's per-call path for concrete JAX arrays, one ``jax.jit`` per Loss.

Eager JAX runs a loss's reference kernel op by op (each ``jnp`` operation dispatched alone:
about a millisecond for a 256-row MSE, against tens of microseconds for Optax's loss under
``jax.jit``). For concrete arrays, :func:`plan` runs the Loss's whole reference call
(``prepare``, the kernel, the reduction) as one jitted function, made once per Loss (cached in
``Loss._routes``) and traced by jax once per shape and dtype. The value checks run before it,
on NumPy views of the arrays in host memory (``prepare``'s own checks, so its errors; reading
waits for the inputs, as any value check does); on an accelerator they are skipped, as for
PyTorch (DESIGN.md section 8: value checks never synchronise an accelerator). Tracers (the
user's ``jax.jit``, ``vmap``, ``grad``, ``hessian``) take the reference call inline: no jit
nests in a trace, and the transforms see the plain kernel.

One kernel is registered on a record: sparse categorical crossentropy gathers the label's
log-probability (``take_along_axis``, as Optax does) where the reference multiplies by a one-hot
comparison over every class, which XLA runs at a third of the gather's speed.

Importing this module does not import JAX: :func:`plan` and the kernel run only on JAX arrays.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .. import losses
from .._array import logsumexp
from .._config import _state as _config_state
from ..losses._prepare import prepare
from ..losses.crossentropy import class_weights, log_probabilities

#: dtypes whose NumPy views ``prepare`` checks as it checks NumPy arrays (floating, integer, bool).
_HOST_KINDS = frozenset("fiub")


def is_jax_type(array_type: type) -> bool:
    """Whether ``array_type`` is a JAX array type (a concrete array or a tracer), by its module."""
    return array_type.__module__.partition(".")[0] in ("jax", "jaxlib")


def plan(loss, array_type: type) -> Callable | None:
    """The per-call path of ``loss`` for arrays of ``array_type``: ``call(y_true, y_pred) ->
    objective`` (None hands the call to ``loss.reference_call``), or None for tracers and for
    losses whose kernel is not losskit's own (a registered user loss may not be traceable)."""
    import jax
    import jax.numpy as xp

    spec = loss.spec
    if spec is None or not spec.native or not issubclass(array_type, jax.Array) or issubclass(array_type, jax.core.Tracer):
        return None
    options, Array, Tracer = loss.options, jax.Array, jax.core.Tracer
    jitted = jax.jit(lambda y_true, y_pred: loss.reference_call(y_true, y_pred, xp=xp))

    def call(y_true, y_pred):
        if not isinstance(y_true, Array) or isinstance(y_true, Tracer):
            return None  # a NumPy array, a list, a tracer: the reference call
        if _config_state["value_checks"] and not _checked_on_host(spec, y_true, y_pred, options):
            return None
        return jitted(y_true, y_pred)

    call.jitted = jitted  # (tests count its traces)
    return call


def _checked_on_host(spec, y_true, y_pred, options) -> bool:
    """Run ``prepare``'s value checks (and shape rule) on NumPy views of CPU arrays: they raise the
    reference's errors. True when they passed or cannot run without a device read (an
    accelerator: skipped); False hands the call to the reference (half precision and other
    dtypes NumPy's checks do not take)."""
    if y_pred.device.platform != "cpu" or y_true.device.platform != "cpu":
        return True
    host_true, host_pred = np.asarray(y_true), np.asarray(y_pred)
    if host_true.dtype.kind not in _HOST_KINDS or host_pred.dtype.kind not in _HOST_KINDS or host_pred.dtype.itemsize < 4:
        return False
    prepare(spec, host_true, host_pred, options)
    return True


def _integer_labels(y_true, y_pred, options) -> bool:
    """Integer labels of shape ``y_pred.shape[:-1]``, classes on the last axis."""
    import jax.numpy as jnp

    return jnp.issubdtype(y_true.dtype, jnp.integer) and tuple(y_true.shape) == tuple(y_pred.shape[:-1]) and options.get("axis", -1) in (-1, y_pred.ndim - 1)


@losses.sparse_categorical_crossentropy.fast("jax", accepts=_integer_labels)
def sparse_categorical_crossentropy(y_true, y_pred, *, from_logits=False, ignore_class=None, axis=-1, class_weight=None):
    """``-w_y log p_y`` with ``log p_y`` gathered at the label (``take_along_axis``): the reference's
    ``-sum_c w_c [c = y] log p_c`` without its one-hot pass; from logits ``x_y - logsumexp(x)``
    (the logit gathered, as Optax: no log-probability of every class). As there, a label equal to
    ``ignore_class`` or outside ``[0, C)`` (value checks off) gives 0, and so does a class weight
    of 0 (whatever ``log p_y``)."""
    import jax.numpy as jnp

    classes = y_pred.shape[-1]
    valid = (y_true >= 0) & (y_true < classes)
    if ignore_class is not None:
        valid = valid & (y_true != ignore_class)
    labels = jnp.where(valid, y_true, 0)
    if from_logits:
        log_p = jnp.take_along_axis(y_pred, labels[..., None], axis=-1)[..., 0] - logsumexp(y_pred, jnp)
    else:
        log_p = jnp.take_along_axis(log_probabilities(y_pred, False, jnp), labels[..., None], axis=-1)[..., 0]
    if class_weight is not None:
        weights = class_weights("sparse_categorical_crossentropy", class_weight, classes, y_pred, jnp)[labels]
        valid = valid & (weights != 0)
        log_p = weights * log_p
    return jnp.where(valid, -log_p, jnp.zeros_like(log_p))
