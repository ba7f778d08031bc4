"""Allow ``python -m citaplanner_tui``."""

from citaplanner_tui.cli.main import main

raise SystemExit(main())
