"""The core must not import Textual: cron jobs and scripts run it without a console."""

import subprocess
import sys


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
