"""The app under uvicorn in a process forked from a server that has already imported it.

Importing the app takes ~1.5 s of a ~2 s start; a test that restarts the server many times
(the crash-consistency test kills it 50 times) forks each server from a ``forkserver`` that
imported ``kasane.app`` once. The child is a real uvicorn process of its own — killing it
is killing the app — and it reads its settings from the environment it is given, as
``uvicorn --factory kasane.app:create_app`` would.
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.context import ForkServerContext
from pathlib import Path

_CONTEXT: list[ForkServerContext] = []


def forking_context() -> ForkServerContext:
    """The process-wide forkserver context that preloads the app (made once)."""
    if not _CONTEXT:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["kasane.app", "tests.app_process"])
        _CONTEXT.append(context)
    return _CONTEXT[0]


def serve(port: int, environment: dict[str, str], log: str) -> None:
    """The child: the given environment only, output to ``log``, then uvicorn."""
    os.environ.clear()
    os.environ.update(environment)
    out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    import uvicorn

    uvicorn.run(
        "kasane.app:create_app", factory=True, host="127.0.0.1", port=port, log_level="warning"
    )


def start_app_process(port: int, environment: dict[str, str], log: Path) -> multiprocessing.Process:
    """Fork a server on ``port`` (not waiting for it to answer)."""
    process = forking_context().Process(target=serve, args=(port, environment, str(log)))
    process.start()
    return process
