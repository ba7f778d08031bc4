"""The top line: where we are connected (never the password), the server version,
the READ-ONLY badge, the overall health, and how long ago the data was loaded."""

from __future__ import annotations

from rich.markup import escape
from textual.widgets import Static

from citaplanner_tui.tui import format as fmt


class StatusBar(Static):
    def on_mount(self) -> None:
        self.watch(self.app, "data", lambda _: self.redraw(), init=True)
        if self.app.refresh_every:  # ticking ages would make snapshots drift
            self.set_interval(1.0, self.redraw)

    def redraw(self) -> None:
        app, data = self.app, self.app.data
        parts = [f"[b]{escape(app.conn_display())}[/]"]
        if data is None:
            parts.append("loading…")
        else:
            parts.insert(0, fmt.health(data.health))
            parts.append(escape(data.server or "no database"))
            parts.append(f"updated {fmt.short_age(data.now, app.now())} ago")
        if app.read_only:
            parts.append("[b reverse $warning] READ-ONLY [/]")
        self.update(" · ".join(parts))
