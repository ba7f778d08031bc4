"""The tests' helpers are loaded under one name each: a module imported both as ``x`` and
as ``tests.x`` is two modules with two copies of its state (two database-name counters
handed two tests the same database)."""

import ast
import sys
from pathlib import Path

import tests.support.db as db

TESTS = Path(__file__).resolve().parent
OLD_NAMES = {"tests.conftest"} | {
    f"{m}_support" for m in ("backup", "catalog", "restore", "roundtrip", "tui", "unattended")
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_no_test_imports_conftest_or_a_helper_by_a_second_name():
    bad = {}
    for path in sorted(TESTS.rglob("*.py")):
        wrong = {
            m
            for m in _imports(path)
            if m in ("conftest", "tests.conftest", "tests.support.fixtures")  # fixtures come by name
            or m.split(".")[0] == "support"
            or m in OLD_NAMES
            or (m.startswith("tests.") and not m.startswith("tests.support."))
        }
        if wrong:
            bad[str(path.relative_to(TESTS))] = sorted(wrong)
    assert bad == {}


def test_the_fixtures_and_the_tests_share_one_database_counter():
    fixtures = sys.modules["tests.support.fixtures"]  # the plugin conftest.py registers
    assert fixtures.make_app_db is db.make_app_db
    assert not OLD_NAMES & set(sys.modules)
