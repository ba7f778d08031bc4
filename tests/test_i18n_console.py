"""The console in Spanish behaves as in English: the typed name is still the database's own,
and the footer, help and palette speak Spanish (``tests/test_i18n_snapshots.py`` pins the looks)."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Input

from citaplanner_tui.core import i18n
from citaplanner_tui.tui.screens.confirm import ConfirmScreen
from citaplanner_tui.tui.screens.help import help_rows
from tests.support.tui import burst, make_console, settle, sync


@pytest.fixture
def spanish():
    i18n.activate("es")
    yield
    i18n.activate("en")


@sync
async def test_the_typed_confirmation_is_the_database_name_in_spanish_too(sample_volume, spanish):
    app = make_console(sample_volume)
    answers = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(ConfirmScreen("¿Eliminar?", ["paso uno"], "citaplanner", i18n.N_("Delete")), answers.append)
        await burst(pilot, *"citaplaner")
        dialog = app.screen
        refusal = dialog.query_one("#confirm-prompt")
        assert str(dialog.query_one("#confirm", Button).label) == "Eliminar"
        await pilot.press("enter")  # a wrong name: said in Spanish, and the dialog stays
        assert app.screen is dialog
        assert "'citaplaner' no es 'citaplanner'" in str(refusal.render())
        dialog.query_one(Input).value = ""
        await burst(pilot, *"eliminar", "enter")  # the Spanish word for the action is no name
        assert app.screen is dialog and answers == []
        dialog.query_one(Input).value = ""
        await burst(pilot, *"citaplanner", "enter")
        await pilot.pause()
        assert answers == [True]


@sync
async def test_footer_help_and_palette_speak_spanish(sample_volume, spanish):
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = {b.binding.key: b.binding.description for b in app.screen.active_bindings.values()}
        assert footer["q"] == "Salir" and footer["b"] == "Respaldos"
        rows = {key: (title, text) for key, title, text in help_rows(app.screen)}
        assert rows["b"] == ("Respaldos", "Todos los respaldos: verificar, simulacro, restaurar, eliminar")
        titles = {cmd.title for cmd in app.get_system_commands(app.screen)}
        assert {"Respaldar", "Restaurar", "Bitácoras", "Tema"} <= titles
