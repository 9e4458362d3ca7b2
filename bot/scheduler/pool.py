"""Thread pools for the scheduler whose workers never keep the process alive.

``concurrent.futures.ThreadPoolExecutor`` joins its workers at interpreter exit, so one job
stuck on a dead network call would hold a stopping daemon (PID 1 in a container) hostage.
"""

from __future__ import annotations

import concurrent.futures
import queue
import threading
from collections.abc import Callable
from typing import Any

from apscheduler.executors.pool import BasePoolExecutor


class DaemonThreadPool(concurrent.futures.Executor):
    """A fixed pool of daemon threads.

    Unlike ``concurrent.futures.ThreadPoolExecutor``, whose workers the interpreter joins
    at exit, a job stuck past the shutdown grace cannot keep the process alive. After
    :meth:`shutdown`, queued jobs that have not started are dropped.
    """

    def __init__(self, workers: int, *, name: str) -> None:
        self._queue: queue.SimpleQueue[tuple[concurrent.futures.Future[Any], Callable[..., Any],
                                             tuple[Any, ...], dict[str, Any]] | None]
        self._queue = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
                         for i in range(max(1, workers))]
        self._lock = threading.Lock()
        self._closed = False
        self._started = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
               ) -> concurrent.futures.Future[Any]:
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new jobs after shutdown")
            if not self._started:
                self._started = True
                for t in self._threads:
                    t.start()
            future: concurrent.futures.Future[Any] = concurrent.futures.Future()
            self._queue.put((future, fn, args, kwargs))
        return future

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, fn, args, kwargs = item
            if self._closed or not future.set_running_or_notify_cancel():
                continue  # dropped at shutdown: never started, never resolved
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            started = self._started
        if not started:
            return
        for _ in self._threads:
            self._queue.put(None)
        if wait:
            for t in self._threads:
                t.join()


class PoolExecutor(BasePoolExecutor):
    """An APScheduler executor on a :class:`DaemonThreadPool`."""

    def __init__(self, workers: int, name: str) -> None:
        super().__init__(DaemonThreadPool(workers, name=name))
