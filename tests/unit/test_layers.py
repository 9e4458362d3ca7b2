"""The layering of docs/architecture.md holds: nothing imports what is above it.

The contract itself is ``[tool.importlinter]`` in pyproject.toml; import-linter builds the
graph of every import statement in ``bot`` (also those inside functions, which the CLI and
the pipeline use to keep ``bot --help`` fast, and those under ``TYPE_CHECKING``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run the contract of ``root/pyproject.toml`` on the ``bot`` package under ``root``."""
    code = (
        "import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(no_cache=True, no_logo=True))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_package_keeps_its_layers() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The package and its contract, copied so that a test may break them."""
    shutil.copytree(ROOT / "bot", tmp_path / "bot",
                    ignore=shutil.ignore_patterns("__pycache__", "data", "templates"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_an_upward_import_inside_a_function_breaks_the_contract(tree_copy: Path) -> None:
    errors = tree_copy / "bot" / "errors.py"
    errors.write_text(
        errors.read_text(encoding="utf-8")
        + "\n\ndef _exit_code_table() -> object:\n    from bot.cli import app\n\n    return app\n",
        encoding="utf-8",
    )
    result = lint_imports(tree_copy)
    assert result.returncode == 1
    assert "BROKEN" in result.stdout and "bot.errors -> bot.cli" in result.stdout


def test_a_module_outside_every_layer_breaks_the_contract(tree_copy: Path) -> None:
    (tree_copy / "bot" / "newthing.py").write_text('"""Not placed in a layer."""\n')
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    assert "bot.newthing" in result.stdout + result.stderr
