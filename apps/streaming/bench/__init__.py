"""`python manage.py bench streaming --clients 1000`: ws/stream under load from real `websockets`
clients in separate processes, next to a bare `websockets` broadcast server in the same run.

run.py (sizes, the two servers, figures), measure.py (one server: connect, steps, drain), clients.py
(a client process), publisher.py (the publisher process), servers.py (uvicorn and the bare server),
bare.py (the bare server), stats.py (a step's figures, the issue's targets).
"""

from .run import add_arguments, run

__all__ = ["add_arguments", "run"]
