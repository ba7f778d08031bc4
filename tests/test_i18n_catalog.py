"""The Spanish catalog against the code: every message translated, every ``{field}`` kept.

The messages are extracted from the source by the same extractor the maintainer runs
(``scripts/extract_messages.py``), so a new ``_("...")`` without a Spanish line, a translation
that drops or adds a field, or a catalog the extractor was not run for fails here.
"""

from __future__ import annotations

import importlib.util
import re
import string
import sys
from pathlib import Path

import pytest

from citaplanner_tui.core import i18n
from citaplanner_tui.core.i18n import catalog_path, parse_po, read_po

REPO = Path(__file__).resolve().parents[1]


def _extractor():
    spec = importlib.util.spec_from_file_location("extract_messages", REPO / "scripts" / "extract_messages.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


EXTRACTOR = _extractor()
PERCENT = re.compile(r"%(?:\(\w+\))?[sdr]")  # argparse's %(prog)s, %s, %r (a "50% done" is not one)


def placeholders(text: str) -> list[tuple]:
    """The ``{name:spec}`` fields and argparse's ``%(name)s`` / ``%s`` of a message, sorted."""
    fields = [(name, spec, conv) for _lit, name, spec, conv in string.Formatter().parse(text) if name is not None]
    return sorted(fields + [("%", m.group(0)) for m in PERCENT.finditer(text)])


@pytest.fixture(scope="module")
def extracted():
    messages, errors = EXTRACTOR.extract()
    assert errors == []  # an f-string inside _() can never be found in the catalog
    return messages


@pytest.fixture(scope="module")
def catalog():
    return {(e.msgid, e.msgid_plural): e for e in read_po(catalog_path("es")) if e.msgid}


def test_the_code_has_messages_to_check(extracted):
    assert len(extracted) > 30
    assert ("disable every action that writes", None) in extracted  # a help string of the CLI
    assert ("usage: ", None) in extracted  # argparse's own, marked with N_


def test_every_message_of_the_code_has_a_spanish_translation(extracted, catalog):
    missing = [key for key in extracted if key not in catalog or not catalog[key].translated]
    assert missing == []


def test_every_translation_keeps_the_fields_of_its_message(extracted, catalog):
    wrong = []
    for key in extracted:
        entry = catalog.get(key)
        if entry is None:
            continue
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid, entry.msgid_plural]
        for source, translated in zip(sources, entry.msgstr):
            if placeholders(source) != placeholders(translated):
                wrong.append((source, translated))
    assert wrong == []


def test_the_catalog_is_what_the_extractor_writes(extracted):
    """No message the code no longer says, and no hand edit the next extraction would undo."""
    path = catalog_path("es")
    old = read_po(path)
    assert EXTRACTOR.render(extracted, old, EXTRACTOR.header_text(path)) == path.read_text("utf-8")


def test_the_header_has_spanish_plural_forms_and_the_glossary():
    header = read_po(catalog_path("es"))[0]
    assert header.msgid == ""
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstr[0]
    text = catalog_path("es").read_text("utf-8")
    assert "respaldo" in text.split("msgid", 1)[0] and "restaurar" in text.split("msgid", 1)[0]


def test_the_placeholder_check_catches_a_dropped_or_an_added_field():
    assert placeholders("{n} old backups pruned") != placeholders("respaldos viejos depurados")
    assert placeholders("in {dir}") != placeholders("en {dir} {extra}")
    assert placeholders("%(prog)s: error: %(message)s\n") == placeholders("%(prog)s: error: %(message)s\n")
    assert placeholders("faltan: %s") != placeholders("faltan")


def test_the_extractor_refuses_an_f_string(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text('name = "x"\nprint(_(f"hello {name}"))\nprint(_("kept {n}"))\n')
    messages, errors = EXTRACTOR.extract(package)
    assert list(messages) == [("kept {n}", None)]
    assert errors == ["pkg/m.py:2: an f-string in _() cannot be translated"]


PO = r"""
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

msgid "{n} backup"
msgid_plural "{n} backups"
msgstr[0] "{n} respaldo"
msgstr[1] "{n} "
"respaldos"

#, fuzzy
msgid "Refresh"
msgstr "Recargar"

msgid "Quit"
msgstr ""

msgid "say \"hi\"\n"
msgstr "di \"hola\"\n"
"""


def test_a_po_text_loads_into_the_standard_gettext_with_its_plural_rule():
    import gettext
    import io

    entries = parse_po(PO)
    assert [e.msgid for e in entries] == ["", "{n} backup", "Refresh", "Quit", 'say "hi"\n']
    t = gettext.GNUTranslations(io.BytesIO(i18n.mo_bytes(entries)))
    assert [t.ngettext("{n} backup", "{n} backups", n) for n in (0, 1, 2)] == [
        "{n} respaldos",
        "{n} respaldo",
        "{n} respaldos",
    ]
    assert t.gettext("Refresh") == "Refresh"  # fuzzy: not trusted
    assert t.gettext("Quit") == "Quit"  # untranslated: the English
    assert t.gettext('say "hi"\n') == 'di "hola"\n'


def test_a_malformed_po_line_is_one_sentence_naming_it():
    with pytest.raises(ValueError, match=r"<po>:2: not a \.po line"):
        parse_po('msgid ""\nmsgstr "unclosed\n')
