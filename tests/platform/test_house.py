"""The house (ARCHITECTURE.md, "One engine, one shape"): every engine app has the same entries, no
module grows past ~400 lines, `__init__.py` files hold no code, every task name written as a string
is a registered task, and the import boundaries are import-linter contracts that fail when broken."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from configparser import ConfigParser
from pathlib import Path

import pytest

from workers.registry import ENGINES
from workers.schedule import SCHEDULE

ROOT = Path(__file__).resolve().parents[2]
APPS = ROOT / "apps"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

ENTRIES = {
    "__init__.py", "apps.py", "admin.py", "urls.py", "subscriptions.py", "demo.py", "facade.py",
    "models", "kernels", "selectors", "services", "api", "tasks", "bench", "migrations",
}  # fmt: skip
# What an engine may have besides: HTML reports, management commands, templates, and the
# WebSocket routes of the streaming engine (its urls.py for ws/).
OPTIONAL = {"reports", "management", "templates", "routing.py"}
MAX_LINES = 400


def _python_files(*roots: Path):
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if "migrations" not in path.parts and "__pycache__" not in path.parts:
                yield path


@pytest.mark.parametrize("key", [e.key for e in ENGINES])
def test_every_engine_app_has_the_same_entries(key):
    app = APPS / key
    entries = {p.name for p in app.iterdir() if p.name != "__pycache__"}
    assert entries - OPTIONAL == ENTRIES, (
        f"apps/{key}: missing {ENTRIES - entries}, extra {entries - ENTRIES - OPTIONAL}"
    )
    assert (app / "api" / "serializers").is_dir()
    for package in ("models", "kernels", "selectors", "services", "api", "tasks", "bench"):
        assert (app / package / "__init__.py").is_file(), f"apps/{key}/{package} is not a package"


def test_no_module_passes_the_size_limit():
    long = {
        str(p.relative_to(ROOT)): n
        for p in _python_files(APPS, ROOT / "workers", ROOT / "nautilus")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"split these by resource: {long}"


def _is_allowed_in_init(node: ast.stmt, index: int) -> bool:
    if isinstance(node, ast.Import | ast.ImportFrom):
        return True
    if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return True  # the docstring
    return isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__all__"]


def test_init_modules_hold_only_imports_and_a_docstring():
    offenders = []
    for path in _python_files(APPS, ROOT / "workers", ROOT / "nautilus"):
        if path.name == "__init__.py":
            body = ast.parse(path.read_text()).body
            offenders += [
                f"{path.relative_to(ROOT)}:{n.lineno}"
                for i, n in enumerate(body)
                if not _is_allowed_in_init(n, i)
            ]
    assert not offenders, offenders


TASK_NAME = re.compile(r"^apps\.[a-z_]+\.tasks[a-z_]*(\.[a-z_]+)*\.[a-z_]+$")


def _task_names_in_source() -> dict[str, str]:
    found = {}
    for path in _python_files(APPS, ROOT / "workers", ROOT / "nautilus"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and TASK_NAME.match(node.value):
                found[node.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


@pytest.fixture(scope="module")
def registered_tasks() -> set[str]:
    """What a worker registers: Celery's autodiscovery of each app's `tasks`, nothing listed by hand."""
    from django.conf import settings

    from nautilus.celery import app

    assert not hasattr(settings, "CELERY_IMPORTS"), "task packages register their modules themselves"
    app.loader.import_default_modules()
    return set(app.tasks)


def test_every_task_name_written_as_a_string_is_a_registered_task(registered_tasks):
    from apps.platform import bus

    named = _task_names_in_source()
    named |= {r.task_name: f"bus subscription {r.pattern}" for r in bus.subscribers()}
    named |= {p.task: f"beat entry {p.name}" for p in SCHEDULE}
    missing = {name: where for name, where in named.items() if name not in registered_tasks}
    assert not missing, missing
    assert len(named) > 20  # the scan does find the names (subscriptions, schedule, views, reports)


# --- import boundaries ----------------------------------------------------------------------------


def _contracts() -> ConfigParser:
    config = ConfigParser()
    config.read(ROOT / ".importlinter")
    return config


def test_every_engine_has_its_facade_contract():
    config = _contracts()
    for e in ENGINES:
        section = f"importlinter:contract:{e.key}-facade"
        assert section in config, section
        assert config[section]["type"] == "protected"
        assert f"apps.{e.key}" in config[section]["allowed_importers"].split()


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory) -> Path:
    """The three root packages and the contracts, copied, so a test can break a boundary on purpose."""
    root = tmp_path_factory.mktemp("house")
    for package in ("apps", "nautilus", "workers"):
        shutil.copytree(ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / ".importlinter", root / ".importlinter")
    return root


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(root), "PATH": str(LINT_IMPORTS.parent)},
    )  # fmt: skip


def test_the_contracts_hold_on_this_tree(tree_copy):
    result = _lint(tree_copy)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "apps/risk/selectors/_probe.py",
            "from apps.portfolio.models import Portfolio\n",
            "portfolio-facade",
        ),
        ("apps/platform/_probe.py", "from apps.risk import facade\n", "platform-is-the-ground-floor"),
        ("apps/analytics/kernels/_probe.py", "import django\n", "kernels-are-pure"),
        ("nautilus/settings/_probe.py", "import apps.platform.bus\n", "settings-import-no-app"),
    ],
)
def test_breaking_a_boundary_on_purpose_fails_lint_imports(tree_copy, module, line, contract):
    probe = tree_copy / module
    probe.write_text(line)
    try:
        result = _lint(tree_copy)
    finally:
        probe.unlink()
    assert result.returncode != 0
    names = {s.split(":")[-1]: _contracts()[s]["name"] for s in _contracts().sections() if ":contract:" in s}
    assert f"{names[contract]} BROKEN" in result.stdout
