"""Report charts' plumbing, shared by the engines' reports: matplotlib Figures on an Agg canvas,
built without pyplot, so concurrent worker threads and a headless server never touch a display
backend or pyplot's global state."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # a worker has no display; set before anything imports pyplot

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

SIZE = (10, 4)


def figure(title: str, size=SIZE) -> tuple[Figure, object]:
    """A one-axes figure with a title and a light grid."""
    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return fig, ax


def figure_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return buf.getvalue()
