"""Retries and time limits of the steps.

A step that reads a database or a network file system can fail for a moment (a server restarting,
a dropped connection, an NFS server that stalls): :data:`TRANSIENT_RETRY` runs it again, waiting
longer each time. Nothing else is retried: a validation failure, a malformed source, a broken
configuration or a bug fails the step at once, since running it again gives the same answer.
:func:`step_guard` makes that so (Dagster's retry policy retries any exception, except a
``dagster.Failure`` that says ``allow_retries=False``), and stops a step that runs over its time
limit (``settings.step_time_limit_seconds``), saying so. As a step ends, the memory its
objects held is handed back to the system (:func:`give_back_memory`).
"""

import ctypes
import errno
import functools
import inspect
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import dagster as dg

TRANSIENT_RETRY = dg.RetryPolicy(
    max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
"""Up to three more attempts, about 5, 10 and 20 s apart."""

TRANSIENT_ERRNOS = frozenset(
    {
        errno.EIO, errno.ETIMEDOUT, errno.ESTALE, errno.EAGAIN, errno.EINTR, errno.ECONNRESET,
        errno.ECONNREFUSED, errno.ECONNABORTED, errno.EHOSTUNREACH, errno.ENETUNREACH,
        errno.ENETDOWN, errno.EPIPE,
    }
)  # fmt: skip
"""An I/O error worth a second attempt: the network or the server, not the data."""


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, from the symbols the process has loaded; None on a C library
    without it (musl, macOS) or where they cannot be read."""
    try:
        trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    except OSError:
        return None
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def give_back_memory() -> None:
    """Hand the free pages inside the C heap back to the system (1–70 ms, more on a fragmented
    heap; a full ``gc.collect`` would cost 0.27 s a step with the platform's modules loaded, for
    frames refcounting already freed). Called as a guarded step ends (:func:`step_guard`).

    The steps run one after another in one process (the in-process run, a Celery worker), and
    glibc keeps free memory in the middle of its heap (pandas' frames under GX, the readers'
    buffers) for the next step, handing back by itself only large mapped blocks and the heap's top:
    at 1,000,000 cadres the link step started 2.6 GB high and peaked at 5,749 MB; with this at
    each step's end, 2.2 GB and 5,373 MB (gold: 5,039 → 4,568 MB), measured on one machine.
    Polars' own allocator (jemalloc) is not touched: it returns its pages by itself."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


class StepTimeout(Exception):
    """A step ran over its time limit."""


class NotRetried(dg.Failure):
    """The step's error, raised from it, marked not to be retried (a failure, not a moment's
    trouble). The run's summary names the error under it (orchestration/runner.py)."""


def transient(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) is a moment's trouble, worth another attempt: a
    dropped or refused database connection, a network timeout, an I/O error of the transport."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, StepTimeout):
            return False
        if isinstance(error, (TimeoutError, ConnectionError)):
            return True
        if isinstance(error, OSError) and error.errno in TRANSIENT_ERRNOS:
            return True
        names = {cls.__name__ for cls in type(error).__mro__}
        # SQLAlchemy's, psycopg's and PyMySQL's: the server went away, or refused, or timed out.
        if names & {"OperationalError", "DisconnectionError", "InterfaceError"}:
            return True
        error = error.__cause__ or error.__context__
    return False


@contextmanager
def step_guard(context: dg.AssetExecutionContext, limit_seconds: float) -> Iterator[None]:
    """Run a step's body: a transient error goes on to the retry policy, any other error fails the
    step for good (a ``dagster.Failure`` with ``allow_retries=False``, raised from the error, so
    the run's summary still names the error itself), and past ``limit_seconds`` (0: none) the step
    fails saying it ran over its time limit.

    The limit is an alarm in the step's thread when that is the main thread (the in-process run,
    a Celery worker's process): Python stops the step at the next line of Python it runs (a long
    Polars or Arrow call finishes first). Elsewhere the limit is checked as the step ends."""
    step = context.op_def.name
    started = time.monotonic()
    alarm = limit_seconds > 0 and threading.current_thread() is threading.main_thread()
    previous = None
    if alarm:

        def _over(signum: int, frame: FrameType | None) -> None:
            raise StepTimeout(over_limit(step, limit_seconds))

        previous = signal.signal(signal.SIGALRM, _over)
        signal.setitimer(signal.ITIMER_REAL, limit_seconds)
    try:
        yield
        if limit_seconds > 0 and time.monotonic() - started > limit_seconds:
            raise StepTimeout(over_limit(step, limit_seconds))
    except dg.RetryRequested:
        raise
    except dg.Failure as failure:
        failure.allow_retries = False
        raise
    except Exception as error:
        if transient(error):
            context.log.warning(f"{step}: {type(error).__name__}, a moment's trouble: retried")
            raise
        raise NotRetried(
            description=f"{type(error).__name__}: {error}", allow_retries=False
        ) from error
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        give_back_memory()


def over_limit(step: str, limit_seconds: float) -> str:
    return (
        f"step {step} ran over its time limit of {limit_seconds:g} s and was stopped "
        "(settings.step_time_limit_seconds)"
    )


def guarded_step(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A step's body run under :func:`step_guard`, its time limit from the run's ``settings``
    (``settings.step_time_limit_seconds``). Below ``@dg.asset``/``@dg.multi_asset``; the
    signature Dagster reads (context, resources) is the body's own (``functools.wraps``)."""

    def limit(kwargs: dict[str, Any]) -> float:
        settings = kwargs.get("settings")
        return float(getattr(settings, "step_time_limit_seconds", 0) or 0)

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def steps(context: dg.AssetExecutionContext, *args: Any, **kwargs: Any) -> Iterator[Any]:
            with step_guard(context, limit(kwargs)):
                yield from fn(context, *args, **kwargs)

        return steps

    @functools.wraps(fn)
    def step(context: dg.AssetExecutionContext, *args: Any, **kwargs: Any) -> Any:
        with step_guard(context, limit(kwargs)):
            return fn(context, *args, **kwargs)

    return step
