"""Update the Spanish catalog from the code: every ``_("...")``, ``N_``, ``ngettext`` and ``say(...)``.

    .venv/bin/python scripts/extract_messages.py [--check]

Reads the package with ``ast`` (no xgettext needed), keeps the catalog's header (the glossary)
and every translation already made, adds new messages with an empty ``msgstr`` and drops the
ones the code no longer says (they are listed).  Then translate the empty ones, in the words of
the glossary.  ``--check`` changes nothing and exits 1 if the catalog is not up to date; the test
``tests/test_i18n_catalog.py`` runs the same extraction.

A message must be a literal: ``_(f"...")`` cannot be looked up (the values are part of it), so it
is reported as an error; write ``_("... {name}").format(name=...)`` instead.
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "citaplanner_tui"
sys.path[:0] = [str(REPO)]

from citaplanner_tui.core.i18n import Entry, catalog_path, parse_po, read_po  # noqa: E402

# function name: how many leading literal arguments
MARKERS = {"_": 1, "N_": 1, "ngettext": 2, "say": 1, "say_n": 2, "pgettext": 2}


@dataclass
class Message:
    msgid: str
    msgid_plural: str | None = None
    where: list[str] = field(default_factory=list)


def extract(package: Path = PACKAGE) -> tuple[dict[tuple[str, str | None], Message], list[str]]:
    """The messages of the package's modules, in order of first use, and the calls that are not literals."""
    messages: dict[tuple[str, str | None], Message] = {}
    errors: list[str] = []
    for path in sorted(package.rglob("*.py")):
        where = path.relative_to(package.parent).as_posix()
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            name = _marker(node)
            if name is None:
                continue
            args = node.args[: MARKERS[name]]
            if len(args) < MARKERS[name]:
                continue
            if any(isinstance(a, ast.JoinedStr) for a in args):
                errors.append(f"{where}:{node.lineno}: an f-string in {name}() cannot be translated")
                continue
            if not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
                continue  # _(variable): a message marked with N_ where it was written
            texts = [a.value for a in args]
            if name == "pgettext":  # gettext's own key for a message in a context
                texts = [f"{texts[0]}\x04{texts[1]}"]
            key = (texts[0], texts[1] if len(texts) > 1 else None)
            messages.setdefault(key, Message(*key)).where.append(f"{where}:{node.lineno}")
    for message in messages.values():
        message.where.sort(key=lambda w: (w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1])))
    return messages, errors


def _marker(node: ast.AST) -> str | None:
    """``_("...")``, or ``i18n._("...")`` where ``_`` is a loop variable of the module."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    return name if name in MARKERS else None


def quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    if "\n" not in escaped:
        return f'"{escaped}"'
    lines = escaped.split("\n")
    parts = [line + "\\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    return '""\n' + "\n".join(f'"{part}"' for part in parts)


def header_text(path: Path) -> str:
    """The catalog's first block: its comments (the glossary) and the header entry, as written."""
    text = path.read_text("utf-8")
    return text.split("\n\n", 1)[0].rstrip("\n") + "\n"


def render(messages: dict[tuple[str, str | None], Message], old: list[Entry], header: str) -> str:
    known = {(e.msgid, e.msgid_plural): e for e in old if e.msgid}
    blocks = [header]
    for key, message in messages.items():
        entry = known.get(key)
        lines = [f"#: {' '.join(message.where)}"]
        if entry is not None and entry.fuzzy:
            lines.append("#, fuzzy")
        if "{" in message.msgid:
            lines.append("#, python-brace-format")
        context, _sep, msgid = message.msgid.rpartition("\x04")
        if _sep:
            lines.append(f"msgctxt {quote(context)}")
        lines.append(f"msgid {quote(msgid)}")
        if message.msgid_plural is None:
            lines.append(f"msgstr {quote(entry.msgstr[0] if entry and entry.msgstr else '')}")
        else:
            lines.append(f"msgid_plural {quote(message.msgid_plural)}")
            forms = entry.msgstr if entry else []
            lines += [f"msgstr[{i}] {quote(forms[i] if i < len(forms) else '')}" for i in range(2)]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if the catalog is behind")
    args = parser.parse_args()
    messages, errors = extract()
    for error in errors:
        print(error, file=sys.stderr)
    path = catalog_path("es")
    old = read_po(path)
    text = render(messages, old, header_text(path))
    dropped = [e.msgid for e in old if e.msgid and (e.msgid, e.msgid_plural) not in messages]
    for msgid in dropped:
        print(f"dropped (no longer in the code): {msgid!r}")
    untranslated = sum(1 for e in parse_po(text) if e.msgid and not e.translated)
    print(f"{len(messages)} messages, {untranslated} to translate, {len(dropped)} dropped")
    if args.check:
        return 1 if errors or text != path.read_text("utf-8") else 0
    path.write_text(text, "utf-8")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
