"""Attaching derivative kernels to the losses they differentiate.

A derivative kernel ``kernel(y_true, y_pred, *, xp, **options) -> (gradient, hessian)`` takes
the inputs of the loss's value kernel as :func:`losskit.losses._spec.prepare` makes them, and
returns the gradient and the diagonal of the Hessian of ``sum(values)`` with respect to
``y_pred``: same shape, namespace and dtype as ``y_pred``. A loss that averages over a last
axis of width ``d`` therefore carries the ``1/d`` factor in every element.

Where the exact Hessian can be zero or negative, the kernel also takes ``surrogate`` and returns
a positive stand-in for Newton-type learners when it is True (declared with
``@derivative_of(loss, surrogate="what it is")``). Every surrogate Hessian is floored at
:data:`HESSIAN_FLOOR`, XGBoost's floor for its logistic Hessian, so it is strictly positive even
where the exact one underflows (``sigmoid(x) * sigmoid(-x)`` at a logit of 1e4).
"""

from __future__ import annotations

import functools
import inspect
from typing import Callable

#: The smallest surrogate Hessian element (XGBoost's ``max(p (1 - p), 1e-16)``).
HESSIAN_FLOOR = 1e-16


def derivative_of(loss_function: Callable, *, surrogate: str | None = None) -> Callable[[Callable], Callable]:
    """Declare ``kernel`` as the gradient and Hessian of ``loss_function`` (a catalog function).

    ``surrogate`` describes the positive Hessian the kernel returns for ``surrogate=True``; leave
    it out when the exact Hessian is never negative (the surrogate is then the exact Hessian,
    floored). Stores the kernel on the loss's record as ``spec.gradient_hessian`` and the
    description as ``spec.hessian_kind`` ("exact" or "surrogate: ..."); returns ``kernel``.
    """

    def wrap(kernel: Callable) -> Callable:
        takes_surrogate = "surrogate" in inspect.signature(kernel).parameters
        if takes_surrogate != (surrogate is not None):
            raise TypeError(f"{kernel.__name__}: declare `surrogate=` exactly when the kernel takes `surrogate`")

        @functools.wraps(kernel)
        def gradient_hessian(y_true, y_pred, *, xp, surrogate=False, **options):
            extra = {"surrogate": surrogate} if takes_surrogate else {}
            grad, hess = kernel(y_true, y_pred, xp=xp, **extra, **options)
            if surrogate:
                hess = xp.clip(hess, min=HESSIAN_FLOOR)
            return grad, hess

        spec = loss_function.spec
        spec.gradient_hessian = gradient_hessian
        spec.hessian_kind = "exact" if surrogate is None else f"surrogate: {surrogate}"
        return kernel

    return wrap
