"""Where heavy work runs: one process (default), a LocalCluster, or an existing Dask cluster.

``--scheduler`` / ``$BENCH_SCHEDULER`` takes

* ``serial`` (default): a plain loop in this process (today's behaviour);
* ``local`` or ``local:N``: start a ``distributed.LocalCluster`` of N worker processes (one
  thread each; N defaults to the number of cores) and close it at the end;
* an address such as ``tcp://host:8786``: connect to an existing Dask cluster; it is never
  started or stopped by bench.

:func:`scheduler` is a context manager yielding a :class:`SerialRunner` or :class:`DaskRunner`
with the same small interface (``share``, ``map``, ``each``); every heavy command goes through
it, and code running inside the ``with`` block finds it with :func:`active_runner`. A task's
result never depends on where it ran: the runners only change who executes the same function
on the same block.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import sys
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from bench.errors import BenchError

ENV = "BENCH_SCHEDULER"
INSTALL_HINT = 'pip install "bench[dask]"'
TASK_RETRIES = 2  # retries of a task that raised (a lost worker is retried by Dask itself)

_ACTIVE: contextvars.ContextVar = contextvars.ContextVar("bench_scheduler_runner", default=None)


@dataclass(frozen=True)
class SchedulerChoice:
    """A parsed ``--scheduler`` value: ``kind`` is serial, local or address."""

    kind: str
    n_workers: int = 0
    address: str = ""

    def __str__(self) -> str:
        return {"serial": "serial", "local": f"local:{self.n_workers}"}.get(self.kind, self.address)


def parse_scheduler(value: str | None = None) -> SchedulerChoice:
    """``value`` (else ``$BENCH_SCHEDULER``, else ``serial``) as a :class:`SchedulerChoice`."""
    source = "--scheduler"
    if value is None or value == "":
        value, source = os.environ.get(ENV, "") or "serial", ENV
    text = value.strip()
    if text == "serial":
        return SchedulerChoice("serial")
    if text == "local" or text.startswith("local:"):
        count = text.partition(":")[2] or str(os.cpu_count() or 1)
        if not count.isdigit() or int(count) < 1:
            raise BenchError(f"{source} {value!r}: expected local:N with N >= 1 worker processes")
        return SchedulerChoice("local", n_workers=int(count))
    if "://" in text and text.split("://", 1)[1]:
        return SchedulerChoice("address", address=text)
    raise BenchError(f"{source} {value!r}: expected 'serial', 'local', 'local:N' or a Dask scheduler address "
                     "such as tcp://host:8786")


def add_scheduler_argument(parser) -> None:
    """The shared ``--scheduler`` option of every heavy command."""
    parser.add_argument("--scheduler", default=None, metavar="WHERE",
                        help=f"where the work runs: serial (default), local[:N] (a LocalCluster of N worker "
                             f"processes), or a Dask scheduler address tcp://host:8786; default ${ENV} or serial")


def require_distributed(what: str):
    """The ``distributed`` module, or a BenchError saying what to install."""
    try:  # distributed requires dask: one import checks both
        import distributed
    except ImportError:
        raise BenchError(f"{what} needs dask and distributed, which are not installed; install them with: "
                         f"{INSTALL_HINT}") from None
    return distributed


def active_runner():
    """The runner of the innermost :func:`scheduler` block (a :class:`SerialRunner` outside any)."""
    return _ACTIVE.get() or SerialRunner()


@contextlib.contextmanager
def scheduler(value: str | None = None, *, quiet: bool = False) -> Iterator:
    """Choose where work runs for the ``with`` block (see the module docstring); yields the runner."""
    choice = parse_scheduler(value)
    with contextlib.ExitStack() as stack:
        if choice.kind == "serial":
            runner = SerialRunner()
        else:
            client = stack.enter_context(_client(choice))
            runner = DaskRunner(client, choice)
            if not quiet:
                print(f"bench: scheduler {choice}: dashboard {client.dashboard_link}", file=sys.stderr)
        token = _ACTIVE.set(runner)
        try:
            yield runner
        finally:
            _ACTIVE.reset(token)


@contextlib.contextmanager
def _client(choice: SchedulerChoice):
    distributed = require_distributed(f"--scheduler {choice}")
    if choice.kind == "local":
        cluster = distributed.LocalCluster(n_workers=choice.n_workers, threads_per_worker=1, processes=True,
                                           dashboard_address=":0", silence_logs=logging.CRITICAL)
        try:
            with distributed.Client(cluster) as client:
                _register_block_memory_plugin(client)
                yield client
        finally:
            cluster.close()
        return
    try:
        client = distributed.Client(choice.address, timeout="60s")
    except (OSError, TimeoutError) as exc:
        raise BenchError(f"--scheduler {choice.address}: cannot connect to a Dask scheduler there ({exc})") from None
    try:
        yield client
    finally:
        client.close()  # disconnect only: the cluster belongs to someone else


def _register_block_memory_plugin(client) -> None:
    """On the workers of a cluster bench started: let freed block buffers be reused (see
    :mod:`bench._dask_memory`). A restarted worker gets it too (a worker plugin)."""
    from bench._dask_memory import ReuseFreedBlocks

    client.register_plugin(ReuseFreedBlocks())


@dataclass
class Outcome:
    """One task of :meth:`SerialRunner.each` / :meth:`DaskRunner.each`: its result or its error text."""

    index: int
    item: Any
    result: Any = None
    error: str | None = None


class SerialRunner:
    """Run tasks one after the other in this process."""

    name = "serial"
    n_workers = 1

    client = None

    def share(self, obj):
        """A handle on ``obj`` for :meth:`map` keyword arguments (here: the object itself)."""
        return obj

    def build(self, fn: Callable, *args):
        """A handle on ``fn(*args)``; lazy (dask) arguments are computed first, here."""
        return fn(*[a.compute() if is_lazy(a) else a for a in args])

    def peek(self, fn: Callable, handle):
        """``fn(object behind handle)``: a small value brought back to this process."""
        return fn(handle)

    def map(self, fn: Callable, items: Iterable, /, **shared) -> Iterator:
        """``fn(item, **shared)`` for every item, results in item order."""
        for item in items:
            yield fn(item, **shared)

    def each(self, fn: Callable, items: Iterable, /, *, retries: int = 0, **shared) -> Iterator[Outcome]:
        """Like :meth:`map` but a failing item yields its error instead of stopping the others."""
        for i, item in enumerate(items):
            try:
                yield Outcome(i, item, result=fn(item, **shared))
            except Exception as exc:  # noqa: BLE001 - reported per task, the others go on
                yield Outcome(i, item, error=_error_text(exc))


class DaskRunner:
    """Run tasks on a Dask cluster through a ``distributed.Client`` (retries on failure)."""

    def __init__(self, client, choice: SchedulerChoice) -> None:
        self.client = client
        self.name = str(choice)

    @property
    def n_workers(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def share(self, obj):
        """Send ``obj`` to every worker once; pass the handle to :meth:`map` as a keyword."""
        return self.client.scatter(obj, broadcast=True, hash=False)

    def build(self, fn: Callable, *args):
        """A handle on ``fn(*args)`` computed on a worker (lazy dask arguments are computed there
        too), so a large input never has to pass through this process."""
        args = [self.client.compute(a) if is_lazy(a) else a for a in args]
        return self.client.submit(fn, *args, pure=False, retries=TASK_RETRIES)

    def peek(self, fn: Callable, handle):
        """``fn(object behind handle)`` run on the cluster; a small value brought back here."""
        return self.client.submit(fn, handle, pure=False).result()

    def map(self, fn: Callable, items: Iterable, /, **shared) -> Iterator:
        """``fn(item, **shared)`` for every item as Dask tasks, results in item order."""
        futures = self.client.map(fn, list(items), pure=False, retries=TASK_RETRIES, **shared)
        try:
            for i in range(len(futures)):
                yield futures[i].result()
                futures[i] = None  # release the worker's copy as soon as it is consumed
        finally:
            self.client.cancel([f for f in futures if f is not None])

    def each(self, fn: Callable, items: Iterable, /, *, retries: int = 0, **shared) -> Iterator[Outcome]:
        """Every item as a Dask task; outcomes in completion order; a failure never stops the others.

        A task that raises is retried ``retries`` times; a task whose worker died is rescheduled
        by Dask on another worker (up to ``distributed.scheduler.allowed-failures`` times).
        """
        distributed = require_distributed("the Dask runner")
        items = list(items)
        futures = self.client.map(fn, items, pure=False, retries=retries, **shared)
        index = {f.key: i for i, f in enumerate(futures)}
        for future in distributed.as_completed(futures):
            i = index[future.key]
            if future.status == "finished":
                yield Outcome(i, items[i], result=future.result())
            else:
                yield Outcome(i, items[i], error=_error_text(future.exception()))
            future.release()


def is_lazy(obj) -> bool:
    """True for a dask collection (computed where the work runs, never here if avoidable)."""
    return hasattr(obj, "__dask_graph__") and callable(getattr(obj, "compute", None))


def _error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()
