"""The tests' fixtures are one plugin module, ``tests/support/fixtures.py``, registered here.

Tests take fixtures by parameter name and import helpers from ``tests.support.*``, never
from this file (pytest imports it as ``conftest``, so an import as ``tests.conftest``
would be a second copy).
"""

pytest_plugins = ["tests.support.fixtures"]
