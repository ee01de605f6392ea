"""The engine that spreads independent runs over processes: Dask (``dask.distributed``).

:class:`Engine` is a context manager around a Dask client: a :class:`LocalCluster` of
single-threaded worker processes on this machine by default, or an existing cluster's scheduler
(``scheduler="tcp://host:8786"``: started with ``dask-scheduler`` and ``dask-worker``). Its
:meth:`Engine.map` submits one task per item and yields ``(index, result)`` as they finish, so a
caller can show progress and store each result at once (epur explore's results store). The
functions and items must be importable and picklable on the workers: module-level functions of
epur's packages and plain data.

``workers=1`` without a scheduler runs in this process, with no cluster at all (the tests and
small sweeps: starting a local cluster costs seconds).
"""

from __future__ import annotations

from core.errors import InputError, ToolError

CONNECT_TIMEOUT = "5s"     # a scheduler that does not answer by then is unreachable


class Engine:
    def __init__(self, workers: int | None = None, scheduler: str | None = None):
        self.workers = workers
        self.scheduler = scheduler
        self.client = None
        self._cluster = None

    @property
    def local(self) -> bool:
        """True when tasks run in this process (no Dask cluster)."""
        return self.client is None

    def __enter__(self) -> Engine:
        if self.scheduler is None and (self.workers or 0) <= 1:
            return self
        import logging

        from distributed import Client, LocalCluster

        # Dask logs each worker's start and stop at INFO: the commands print their own lines
        for name in ("distributed", "distributed.nanny", "distributed.scheduler",
                     "distributed.worker", "distributed.core", "distributed.http"):
            logging.getLogger(name).setLevel(logging.ERROR)
        if self.scheduler is not None:
            try:
                self.client = Client(self.scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as e:
                raise InputError(f"cannot reach the Dask scheduler at {self.scheduler}: "
                                 f"{str(e).splitlines()[0] if str(e) else type(e).__name__}"
                                 ) from None
        else:
            try:    # ports of the system's choosing: another cluster may hold the defaults
                self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                             processes=True, scheduler_port=0,
                                             dashboard_address=":0")
                self.client = Client(self._cluster)
            except (OSError, RuntimeError, TimeoutError) as e:
                self.__exit__(None, None, None)
                raise ToolError(f"the local Dask cluster did not start: "
                                f"{str(e).splitlines()[0]}") from None
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
        self.client = self._cluster = None

    def submit(self, fn, *args):
        """A handle whose ``result()`` is ``fn(*args)`` (run at once without a cluster)."""
        if self.client is None:
            return _Done(fn(*args))
        return self.client.submit(fn, *args, pure=False)

    def map(self, fn, items):
        """Yield ``(index, fn(item))`` for every item, in the order they finish."""
        items = list(items)
        if self.client is None:
            for k, item in enumerate(items):
                yield k, fn(item)
            return
        from distributed import as_completed

        futures = self.client.map(fn, items, pure=False)
        index = {f.key: k for k, f in enumerate(futures)}
        try:
            for future in as_completed(futures):
                yield index[future.key], _result(future)
        finally:
            for f in futures:
                f.cancel()


def _result(future):
    """A task's result; its own exception as it was raised on the worker (an InputError stays
    one), but a cluster that went away (scheduler or workers killed) is a ToolError."""
    from concurrent.futures import CancelledError

    from distributed.comm.core import CommClosedError

    try:
        return future.result()
    except (CancelledError, CommClosedError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ToolError(f"the Dask cluster failed: {reason}") from None


class _Done:
    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value
