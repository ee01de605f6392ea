"""The engine that spreads independent runs over processes: Dask (``dask.distributed``).

:class:`Engine` is a context manager around a Dask client: a :class:`LocalCluster` of
single-threaded worker processes on this machine by default, or an existing cluster's scheduler
(``scheduler="tcp://host:8786"``: started with ``dask-scheduler`` and ``dask-worker``). Its
:meth:`Engine.map` submits one task per item and yields ``(index, result)`` as they finish, so a
caller can show progress and store each result at once (epur explore's results store). The
functions and items must be importable and picklable on the workers: module-level functions of
epur's packages and plain data.

``workers`` of 1 or None without a scheduler runs in this process, with no cluster at all
(the tests and small sweeps: starting a local cluster costs seconds); the commands ask for one
worker per core unless told otherwise (``--jobs``).
"""

from __future__ import annotations

import contextlib

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
        import os

        # Dask logs each worker's start and stop, the tasks an interrupt cancels and, as
        # errors, a worker's connection to a scheduler that shuts down: the commands print
        # their own lines (read when distributed is imported, here and in the worker
        # processes, which inherit the environment)
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "critical")
        os.environ.setdefault("DASK_LOGGING__TORNADO", "critical")
        from distributed import Client, LocalCluster

        if self.scheduler is not None:
            _check_reachable(self.scheduler)
            try:
                self.client = Client(self.scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as e:
                raise InputError(f"cannot reach the Dask scheduler at {self.scheduler}: "
                                 f"{str(e).splitlines()[0] if str(e) else type(e).__name__}"
                                 ) from None
            except Exception as e:  # noqa: BLE001 - a server that is not Dask's: any failure
                raise InputError(f"{self.scheduler} does not answer as a Dask scheduler "
                                 f"({type(e).__name__})") from None
        else:
            self._start_local(Client, LocalCluster)
        return self

    def _start_local(self, Client, LocalCluster) -> None:  # noqa: N803 - the classes
        """A local cluster whose worker processes ignore Ctrl-C: the terminal sends it to the
        whole process group, and each worker printed a KeyboardInterrupt traceback; this
        process ends them instead. They start with SIGINT blocked (:func:`_spawn_sigint_blocked`),
        while this process keeps its handler: a Ctrl-C while they start is this command's
        interrupt at once (ignoring SIGINT here for those seconds, as before, lost it). A
        SIGTERM, Ctrl-C or error while they start closes what had started."""
        from distributed.deploy.spec import SpecCluster

        before = set(SpecCluster._instances)
        try:    # ports of the system's choosing: another cluster may hold the defaults
            with _spawn_sigint_blocked():
                self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                             processes=True, scheduler_port=0,
                                             dashboard_address=":0")
            self.client = Client(self._cluster)
        except BaseException as e:
            self.__exit__(None, None, None)
            for cluster in set(SpecCluster._instances) - before:
                try:
                    cluster.close(timeout=10)
                except Exception:  # noqa: BLE001, S110 - closing what is left, best effort
                    pass
            behind = _signal_behind(e)
            if behind is not None and behind is not e:
                raise behind from None      # a Ctrl-C or SIGTERM that Dask wrapped
            if isinstance(e, (OSError, RuntimeError, TimeoutError)):
                raise ToolError(f"the local Dask cluster did not start: "
                                f"{str(e).splitlines()[0] if str(e) else type(e).__name__}"
                                ) from None
            raise

    def __exit__(self, *exc) -> None:
        """Close the client and the local cluster. A Ctrl-C or SIGTERM meanwhile waits until
        they are closed (cut short, it left worker processes behind), then takes effect."""
        import signal
        import threading

        if self.client is None and self._cluster is None:
            return
        held, previous = [], {}
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                previous[signum] = signal.signal(signum, lambda n, _: held.append(n))
        try:
            if self.client is not None:
                self.client.close()
            if self._cluster is not None:
                self._cluster.close()
        finally:
            self.client = self._cluster = None
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            for signum in dict.fromkeys(held):
                signal.raise_signal(signum)

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


def _signal_behind(e: BaseException) -> BaseException | None:
    """The interrupt behind ``e``: itself or an exception it was raised from or during that is
    a KeyboardInterrupt or the command line's SIGTERM exception (epur.cli.Terminated, named
    here: workloads do not import the command line); None if there is none. Dask's start turns
    a failure in its tasks into "RuntimeError: Nanny failed to start", which must not hide a
    Ctrl-C as a failing tool."""
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, KeyboardInterrupt) or type(e).__name__ == "Terminated":
            return e
        e = e.__cause__ or e.__context__
    return None


@contextlib.contextmanager
def _spawn_sigint_blocked():
    """Processes that multiprocessing spawns meanwhile (Dask's worker processes) start with
    SIGINT blocked: the thread that spawns them (Dask's, not this one) blocks it around the
    spawn, and a process inherits its parent thread's signal mask across fork and exec
    (SIG_IGN would have to be set process-wide, here too). A blocked SIGINT stays pending in
    the worker, never delivered."""
    import signal
    from multiprocessing import popen_spawn_posix

    launch = popen_spawn_posix.Popen._launch

    def blocked(self, process_obj):
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            return launch(self, process_obj)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    popen_spawn_posix.Popen._launch = blocked
    try:
        yield
    finally:
        popen_spawn_posix.Popen._launch = launch


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


def _check_reachable(address: str) -> None:
    """A TCP scheduler address that refuses connections is refused at once (Dask's client
    retries until its timeout)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError as e:
        raise InputError(f"cannot reach the Dask scheduler at {address}: {e}") from None
    if parts.scheme != "tcp" or host is None or port is None:
        return                      # another protocol: Dask's client says what is wrong
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as e:
        raise InputError(f"cannot reach the Dask scheduler at {address}: "
                         f"{e.strerror or e}") from None


class _Done:
    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value
