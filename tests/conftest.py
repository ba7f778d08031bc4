"""The tests' fixtures are one plugin module, ``tests/support/fixtures.py``, registered here.

Tests take fixtures by parameter name and import helpers from ``tests.support.*``, never
from this file (pytest imports it as ``conftest``, so an import as ``tests.conftest``
would be a second copy).
"""

import os
import signal

# A suite started in the background without job control (``pytest &`` in a script, nohup)
# inherits SIGINT ignored, and so would every CLI it starts, where the Ctrl-C tests need it
# delivered (they would wait a minute and fail).  A handled SIGINT is reset by exec.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# The tests read the English messages whatever the machine's locale says (an es_MX.UTF-8
# would switch the CLI they run to Spanish); tests/test_i18n_*.py choose a language themselves.
os.environ["CITAPLANNER_TUI_LANG"] = "en"

pytest_plugins = ["tests.support.fixtures"]
