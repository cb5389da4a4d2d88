"""Where the fits of a comparison run in parallel: a :class:`Pool` is a ``concurrent.futures``
executor plus the handle its tasks receive for the dataset, so one loop
(:func:`~.fits.run_pool`) serves both kinds.

- :func:`processes`: ``workers`` local processes (spawned); each receives the dataset once, when
  it starts, rather than with every fit.
- :func:`dask`: a Dask distributed cluster, ``"local"`` (a ``LocalCluster`` of ``workers``
  processes, one thread each, closed afterwards) or the address of a running scheduler
  (``tcp://host:8786``); the dataset is scattered to every worker once. A worker that dies is
  replaced by its nanny and its fit retried on another worker; a fit that kills its worker three
  times is failed, the others go on.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

#: Seconds to wait for a Dask scheduler at an address to answer.
CONNECT_TIMEOUT = 10

_HELD: dict[str, Any] = {}


class Held:
    """The dataset handle of a process pool: the dataset the worker process received at start."""

    def resolve(self):
        return _HELD["dataset"]


def _hold(dataset) -> None:
    _HELD["dataset"] = dataset


@dataclass
class Pool:
    """An executor, the handle its tasks get for the dataset, and how it is described in the
    report (``{"scheduler": ..., "workers": n}``). ``restart()``, where the executor can break
    (a process pool whose worker died), gives a fresh executor."""

    executor: Executor
    data: Any
    description: dict[str, Any]
    restart: Callable[[], Executor] | None = field(default=None, repr=False)


def require_dask():
    """The ``distributed`` module, or ImportError with the install command."""
    try:
        import distributed
    except ImportError:
        raise ImportError("--scheduler needs Dask: pip install 'dask[distributed]' (or 'losskit[dask]')") from None
    return distributed


@contextlib.contextmanager
def processes(workers: int, dataset) -> Iterator[Pool]:
    """A pool of ``workers`` spawned processes, each holding ``dataset``."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    made: list[Executor] = []

    def start() -> Executor:
        if made:
            made[-1].shutdown(wait=False, cancel_futures=True)
        made.append(ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_hold, initargs=(dataset,)))
        return made[-1]

    try:
        yield Pool(start(), Held(), {"scheduler": "processes", "workers": workers}, restart=start)
    finally:
        made[-1].shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def dask(address: str, workers: int | None, dataset) -> Iterator[Pool]:
    """A Dask cluster: ``"local"`` starts a ``LocalCluster`` of ``workers`` processes (default:
    one per CPU), any other address connects to a running scheduler."""
    distributed = require_dask()
    with contextlib.ExitStack() as stack:
        if address == "local":
            n = workers or os.cpu_count() or 1
            cluster = stack.enter_context(
                distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50)
            )
            client = stack.enter_context(distributed.Client(cluster))
        else:
            try:
                client = stack.enter_context(distributed.Client(address, timeout=CONNECT_TIMEOUT))
            except (OSError, TimeoutError, ValueError) as error:
                raise ConnectionError(f"--scheduler {address}: no Dask scheduler answers there ({' '.join(str(error).split())})") from None
        n_workers = len(client.scheduler_info().get("workers", {}))
        if n_workers == 0:
            raise ConnectionError(f"--scheduler {address}: the scheduler has no workers; start some with `dask worker {address}`")
        handle = client.scatter(dataset, broadcast=True)
        executor = stack.enter_context(client.get_executor(pure=False))
        yield Pool(executor, handle, {"scheduler": address, "workers": n_workers})
