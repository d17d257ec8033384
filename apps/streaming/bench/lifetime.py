"""Bench processes end with the bench. The server and the client processes run in sessions of their
own (see servers.py), so a signal to the bench's process group, or the bench killed outright, would
leave them holding ports, connections and CPU on a shared machine; Linux's parent-death signal ends
them instead."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

# For a server started with subprocess: `python -c EXEC_GUARDED -m uvicorn ...` asks for the signal,
# then becomes the real command (execv keeps the request; the bench stays its parent).
EXEC_GUARDED = (
    "import ctypes, os, signal, sys; "
    "sys.platform == 'linux' and ctypes.CDLL(None).prctl(1, signal.SIGTERM); "
    "os.getppid() == 1 and sys.exit('bench gone'); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)


def die_with_parent() -> None:
    """In a forked child: SIGTERM when the parent ends; exit now if it already has."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:
        sys.exit("bench gone")
