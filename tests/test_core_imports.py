"""The core must not import Textual, the console, the CLI or the demo: cron jobs and scripts
run it without a console, and the demo's server and data are no part of the engine."""

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "citaplanner_tui" / "core"
ABOVE_CORE = ("citaplanner_tui.tui", "citaplanner_tui.cli", "citaplanner_tui.demo")


def test_core_imports_no_textual():
    code = (
        "import sys, pkgutil, importlib, citaplanner_tui.core as core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'citaplanner_tui.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "import citaplanner_tui.cli.main as cli; cli.build_parser()\n"
        "bad = sorted(n for n in sys.modules if n == 'textual' or n.startswith('textual.'))\n"
        "print(len(bad)); assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"


def _imported(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names]
    return names


def test_no_core_module_imports_the_console_the_cli_or_the_demo():
    # Every import statement, at module level or inside a function (a lazy import would
    # slip past a sys.modules check), and every "module:function" string naming a target.
    found = {}
    for path in sorted(CORE.rglob("*.py")):
        bad = sorted(
            {n for n in _imported(path) if n.startswith(ABOVE_CORE)}
            | {p for p in ABOVE_CORE if f'"{p}' in path.read_text("utf-8")}
        )
        if bad:
            found[str(path.relative_to(CORE))] = bad
    assert len(list(CORE.rglob("*.py"))) > 40  # the scan saw the whole core
    assert found == {}


def test_start_up_paths_do_not_import_psycopg():
    # psycopg costs ~0.4 s (design.md): the parser (every command module, for --help and
    # bad options) and the modules the console's first paint reads must not import it.
    code = (
        "import sys\n"
        "import citaplanner_tui.cli.main as cli; cli.build_parser()\n"
        "import citaplanner_tui.core.settings, citaplanner_tui.core.volume.catalog\n"
        "import citaplanner_tui.core.report.status, citaplanner_tui.core.pg.connect\n"
        "print('psycopg' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (result.returncode, result.stdout.strip()) == (0, "False"), result.stderr
