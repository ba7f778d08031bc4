"""The operator's language: English in the code, Spanish from a ``.po`` catalog read as it is.

Messages are written in English and wrapped where they are made: ``_("...")``, or
``ngettext(singular, plural, n)`` when a count changes the words, with ``{name}`` fields
filled by ``.format`` *after* translation, so a translation can move them.  ``N_`` marks a
message kept in a module-level table; it is translated where it is shown.  The core's
sentences that also reach ``--json`` or the log are made with ``say`` (a ``Message``: English
text that remembers its template) and translated only where a person reads them (``shown``).

The Spanish catalog (``citaplanner_tui/locale/es/LC_MESSAGES/citaplanner_tui.po``) is the
only source: it is parsed at activation and handed to the standard library's
``gettext.GNUTranslations`` as the ``.mo`` bytes ``msgfmt`` would write, so an editable
install, a wheel and a fresh clone all work with the repo's own files and no build step.
``scripts/extract_messages.py`` updates the catalog from the code.

The language also sets ``humanize``'s (``hace 3 horas``).  Machine-facing output never
goes through here: ``--json``, exit codes and the log file's format stay the same in
every language.
"""

from __future__ import annotations

import array
import ast
import gettext
import io
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from functools import reduce
from typing import Mapping, Sequence

from citaplanner_tui.core.errors import ConfigError

DOMAIN = "citaplanner_tui"
LANGUAGES = ("en", "es")
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
HUMANIZE_LOCALE = {"es": "es_ES"}  # humanize's only Spanish; its words ("hace 3 horas") are neutral
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def pgettext(context: str, message: str) -> str:
    """``message`` where the same English word means two things (``pgettext("seed", "Key")``)."""
    return _active.pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it yet (module-level tables)."""
    return message


TIERS = (N_("daily"), N_("weekly"), N_("monthly"), N_("manual"), N_("safety"))
"""The tier folders' names: ids in paths and ``--json``, words (``_(tier)``) on screens."""

_active: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def _(message: str) -> str:
    """``message`` in the operator's language (itself when there is no translation).

    The empty message stays empty: gettext would answer it with the catalog's header.
    """
    return _active.gettext(message) if message else message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for ``n`` in the operator's language (Spanish and English: ``n != 1`` is plural)."""
    return _active.ngettext(singular, plural, n)


class Message(str):
    """An English sentence the core made that remembers how: ``say("no {tier} backup yet", tier=...)``.

    It *is* its English text, so ``--json``, the log file, comparisons and ``in`` see exactly
    what they saw before; a screen or the CLI's error line calls ``shown`` to say it in the
    operator's language, with its fields filled in again (a field that is itself a ``Message``
    is translated too: ``tier=say(tier)``).
    """

    template: str
    plural: str | None = None
    fields: dict[str, object]


def say(template: str, **fields: object) -> Message:
    """The English ``template.format(**fields)``, translatable later by ``shown``."""
    message = Message(template.format(**fields))
    message.template, message.fields = template, fields
    return message


def say_n(singular: str, plural: str, n: int, **fields: object) -> Message:
    """``say`` for a count: the form for ``n`` (a field too), in English now and in the operator's language later."""
    message = Message((singular if n == 1 else plural).format(n=n, **fields))
    message.template, message.plural, message.fields = singular, plural, {"n": n, **fields}
    return message


def kept(text: str) -> object:
    """``text`` as JSON that ``recalled`` turns back into the same ``Message`` (a state file keeps it)."""
    if not isinstance(text, Message):
        return str(text)
    fields = {
        k: v if isinstance(v, (int, float)) else kept(v if isinstance(v, Message) else str(v))
        for k, v in text.fields.items()
    }
    return {"template": text.template, "plural": text.plural, "fields": fields}


def recalled(data: object, english: str) -> str:
    """The ``Message`` that ``kept`` wrote, if it still says ``english``; else ``english`` as it is."""
    try:
        message = _rebuilt(data)
    except (TypeError, KeyError, ValueError, IndexError, AttributeError):
        return english
    return message if message == english else english


def _rebuilt(data: object) -> str:
    if not isinstance(data, dict):
        return str(data)
    fields = {k: _rebuilt(v) if isinstance(v, (dict, str)) else v for k, v in data["fields"].items()}
    if data.get("plural") is not None:
        n = fields.pop("n")
        return say_n(data["template"], data["plural"], int(n), **fields)
    return say(data["template"], **fields)


def listed(items: Sequence[str], separator: str = ", ") -> str:
    """``a, b, c`` that ``shown`` still translates part by part (each a field of the one before).

    The joining template is the separator between two fields, the same in every language, so
    it needs no entry in the catalog.
    """
    if not items:
        return ""
    return reduce(lambda done, item: say("{done}" + separator + "{item}", done=done, item=item), items)


def shown(text: str) -> str:
    """``text`` in the operator's language: a ``Message`` with its fields, any other text looked up as is."""
    if isinstance(text, Message):
        fields = {k: shown(v) if isinstance(v, Message) else v for k, v in text.fields.items()}
        if text.plural is not None:
            return ngettext(text.template, text.plural, int(fields["n"])).format(**fields)  # type: ignore[call-overload]
        return _(text.template).format(**fields)
    return _(text)


def language() -> str:
    return _language


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def activate(lang: str) -> None:
    """Speak ``lang`` from now on (``en`` or ``es``); anything else is one sentence."""
    global _active, _language
    if lang not in LANGUAGES:
        raise ConfigError(f"unknown language {lang!r}: citaplanner-tui speaks en and es", exit_code=2)
    import humanize

    _active = translations(lang)
    if lang == "en":
        humanize.i18n.deactivate()
    else:
        humanize.i18n.activate(HUMANIZE_LOCALE[lang])
    _language = lang


def translations(lang: str) -> gettext.NullTranslations:
    """The messages of ``lang`` without making it the active language (a file written in another one)."""
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.GNUTranslations(io.BytesIO(mo_bytes(read_po(catalog_path(lang)))))


def choose(flag: str | None, env: Mapping[str, str] | None = None, config: str | None = None) -> str:
    """The language, by the first that says one: ``--lang``, ``CITAPLANNER_TUI_LANG``, the locale, the config.

    ``--lang``, ``CITAPLANNER_TUI_LANG`` and the config's ``lang`` name one of ours or are refused in
    one sentence.  The locale (the first set of ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as POSIX reads
    them) is the system's, not a choice made for this tool: ``es_MX.UTF-8`` says Spanish and
    ``en_US.UTF-8`` English, while ``C``, ``POSIX`` or a language we do not speak say nothing and
    leave the choice to the config.  English when nothing says otherwise.
    """
    env = os.environ if env is None else env
    for given, where in ((flag, "--lang"), (env.get("CITAPLANNER_TUI_LANG"), "CITAPLANNER_TUI_LANG")):
        if given:
            return _known(given, where)
    locale = next((env[name] for name in LOCALE_VARIABLES if env.get(name)), "")
    spoken = locale.split(".")[0].split("_")[0].lower()
    if spoken in LANGUAGES:
        return spoken
    if config:
        return _known(config, "lang in the config file")
    return "en"


def _known(lang: str, where: str) -> str:
    if lang.lower() not in LANGUAGES:
        raise ConfigError(f"unknown language {lang!r} given by {where}: use en or es", exit_code=2)
    return lang.lower()


@dataclass
class Entry:
    """One message of a ``.po`` file: its id, its plural id, its translations (one per form).

    A ``msgctxt`` is kept as gettext keeps it: ``context + "\\x04" + msgid`` is the id.
    """

    msgid: str
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    fuzzy: bool = False

    @property
    def translated(self) -> bool:
        return not self.fuzzy and bool(self.msgstr) and all(self.msgstr)


def read_po(path: Path) -> list[Entry]:
    return parse_po(path.read_text("utf-8"), str(path))


def parse_po(text: str, path: str = "<po>") -> list[Entry]:
    """The entries of a ``.po`` text, header (msgid ``""``) first; comments other than ``#,`` are skipped."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None  # which string a continuation line extends
    fuzzy = False
    context: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            fuzzy = fuzzy or (line.startswith("#,") and "fuzzy" in line)
            continue
        keyword, _space, rest = line.partition(" ")
        if line.startswith('"'):
            keyword, rest = "", line
        try:
            text = ast.literal_eval(rest)
        except (SyntaxError, ValueError):
            raise ValueError(f"{path}:{number}: not a .po line: {raw}") from None
        if keyword == "msgctxt":
            context, target = text, None  # one line: a context never needs more
        elif keyword == "msgid":
            entry = Entry(text if context is None else f"{context}\x04{text}", fuzzy=fuzzy)
            entries.append(entry)
            fuzzy, target, context = False, ("msgid", 0), None
        elif entry is None:
            raise ValueError(f"{path}:{number}: {keyword or 'a string'} before any msgid")
        elif keyword == "msgid_plural":
            entry.msgid_plural, target = text, ("msgid_plural", 0)
        elif keyword.startswith("msgstr"):
            entry.msgstr.append(text)
            target = ("msgstr", len(entry.msgstr) - 1)
        elif keyword == "" and target is not None:
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += text
            else:
                setattr(entry, name, getattr(entry, name) + text)
        else:
            raise ValueError(f"{path}:{number}: unknown keyword {keyword}")
    return entries


def mo_bytes(entries: list[Entry]) -> bytes:
    """The ``.mo`` file ``msgfmt`` would write for ``entries`` (untranslated and fuzzy ones left out)."""
    messages: dict[bytes, bytes] = {}
    for entry in entries:
        if entry.msgid and not entry.translated:
            continue
        msgid = entry.msgid if entry.msgid_plural is None else f"{entry.msgid}\0{entry.msgid_plural}"
        messages[msgid.encode()] = "\0".join(entry.msgstr).encode()
    keys = sorted(messages)
    ids = strs = b""
    spans = []
    for key in keys:
        spans.append((len(ids), len(key), len(strs), len(messages[key])))
        ids += key + b"\0"
        strs += messages[key] + b"\0"
    key_start = 7 * 4 + 16 * len(keys)
    value_start = key_start + len(ids)
    key_offsets: list[int] = []
    value_offsets: list[int] = []
    for id_at, id_len, str_at, str_len in spans:
        key_offsets += [id_len, id_at + key_start]
        value_offsets += [str_len, str_at + value_start]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + len(keys) * 8, 0, 0)
    return header + array.array("i", key_offsets + value_offsets).tobytes() + ids + strs
