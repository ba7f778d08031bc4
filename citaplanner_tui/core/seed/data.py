"""CitaPlanner's seed (``app/scripts/seed.ts``) as data: ``definition.json``, read and checked.

The shipped ``definition.json`` holds every literal value seed.ts writes (the reference's
``seed-values.json``, plus the payment rule as data); ``load_definition(path)`` reads it,
or a JSON/TOML file of the same shape given with ``seed plan --seed-file``, and refuses a
malformed one with one sentence (``DefinitionError``). What stays code is how seed.ts
finds rows (the ``Kind``s' natural keys) and which keys the database enforces:
users.email is unique across tenants, clients are unique on (phone, tenantId),
service_users on (serviceId, userId); tenants, branches, services and templates have no
unique key, which is why the apply takes a lock.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from citaplanner_tui.core.errors import OperatorError


@dataclass(frozen=True)
class Kind:
    """One kind of seed row: its table, how seed.ts finds it, the unique keys a create can hit."""

    name: str
    table: str
    natural_key: tuple[str, ...]
    unique_keys: tuple[tuple[str, ...], ...]


TENANT = Kind("tenant", "tenants", ("email",), ())
BRANCH = Kind("branch", "branches", ("tenantId", "email"), ())
USER = Kind("user", "users", ("email",), (("email",),))
SERVICE = Kind("service", "services", ("tenantId", "name"), ())
ASSIGNMENT = Kind("assignment", "service_users", ("serviceId", "userId"), (("serviceId", "userId"),))
CLIENT = Kind("client", "clients", ("tenantId", "email"), (("phone", "tenantId"),))
HOURS = Kind("hours", "working_hours", ("branchId",), ())
APPOINTMENT = Kind("appointment", "appointments", ("tenantId",), ())
PAYMENT = Kind("payment", "payments", ("appointmentId",), ())
# seed.ts looks templates up without the tenant; see plan.py for the (tenant, type, channel) rule.
TEMPLATE = Kind("template", "notification_templates", ("name", "type", "channel"), ())
KINDS = (TENANT, BRANCH, USER, SERVICE, ASSIGNMENT, CLIENT, HOURS, APPOINTMENT, PAYMENT, TEMPLATE)

# Columns each table must have for the seed to read and write it (checked before any query).
COLUMNS: dict[str, tuple[str, ...]] = {
    "tenants": ("id", "name", "email", "phone", "address", "city", "country", "createdAt", "updatedAt"),
    "branches": ("id", "name", "address", "phone", "email", "tenantId", "createdAt", "updatedAt"),
    "users": (
        "id",
        "email",
        "password",
        "firstName",
        "lastName",
        "phone",
        "role",
        "tenantId",
        "branchId",
        "createdAt",
        "updatedAt",
    ),
    "services": ("id", "name", "description", "duration", "price", "color", "tenantId", "createdAt", "updatedAt"),
    "service_users": ("id", "serviceId", "userId", "commission", "createdAt"),
    "clients": (
        "id",
        "firstName",
        "lastName",
        "email",
        "phone",
        "address",
        "notes",
        "tenantId",
        "createdAt",
        "updatedAt",
    ),
    "working_hours": ("id", "dayOfWeek", "startTime", "endTime", "branchId", "userId", "createdAt", "updatedAt"),
    "appointments": (
        "id",
        "startTime",
        "endTime",
        "status",
        "notes",
        "tenantId",
        "branchId",
        "clientId",
        "serviceId",
        "userId",
        "createdAt",
        "updatedAt",
    ),
    "payments": (
        "id",
        "amount",
        "paymentMethod",
        "status",
        "tenantId",
        "branchId",
        "clientId",
        "appointmentId",
        "userId",
        "createdAt",
        "updatedAt",
    ),
    "notification_templates": (
        "id",
        "name",
        "type",
        "channel",
        "subject",
        "message",
        "isActive",
        "isDefault",
        "tenantId",
        "createdAt",
        "updatedAt",
    ),
}

# The enums' values (Prisma's), so a seed file cannot ask for a value the database refuses.
ENUMS = {
    "role": ("SUPERADMIN", "ADMIN", "MANAGER", "PROFESSIONAL", "RECEPTIONIST", "CLIENT"),
    "status": ("PENDING", "CONFIRMED", "COMPLETED", "CANCELLED", "NO_SHOW"),
    "paymentMethod": ("CASH", "CREDIT_CARD", "DEBIT_CARD", "TRANSFER", "OTHER"),
    "paymentStatus": ("PAID", "PARTIAL", "PENDING"),
    "type": (
        "EMAIL",
        "SMS",
        "WHATSAPP",
        "APPOINTMENT_REMINDER",
        "APPOINTMENT_CONFIRMATION",
        "APPOINTMENT_CANCELLATION",
        "APPOINTMENT_RESCHEDULE",
        "PROMOTION",
        "PAYMENT_REMINDER",
    ),
    "channel": ("WHATSAPP", "PUSH", "EMAIL", "SMS"),
}


class DefinitionError(OperatorError):
    """A seed file that cannot be read as a seed definition (one sentence, names the place)."""


@dataclass(frozen=True)
class User:
    email: str
    password: str
    role: str
    first_name: str
    last_name: str
    phone: str | None


@dataclass(frozen=True)
class Service:
    name: str
    description: str | None
    duration: int
    price: float
    color: str | None


@dataclass(frozen=True)
class Assignment:
    service: str  # the service's name
    user: str  # the professional's e-mail
    commission: float


@dataclass(frozen=True)
class Client:
    first_name: str
    last_name: str
    email: str
    phone: str
    address: str | None
    notes: str | None


@dataclass(frozen=True)
class Hours:
    day_of_week: int  # 0 = Sunday
    start: str
    end: str


@dataclass(frozen=True)
class Appointment:
    day: int  # days from "today" (local midnight of the seed's clock)
    start: str  # "HH:MM" after that midnight, as an elapsed time (seed.ts adds milliseconds)
    end: str
    status: str
    client: str  # the client's e-mail
    service: str  # the service's name
    user: str  # the professional's e-mail
    notes: str | None


@dataclass(frozen=True)
class PaymentRule:
    """seed.ts pays every appointment of ``for_status``, registered by the first seed user
    whose role is ``user_role``; the method is picked at random among ``methods``."""

    for_status: str
    user_role: str
    methods: tuple[str, ...]
    status: str
    fallback_amount: float


@dataclass(frozen=True)
class Template:
    name: str
    type: str
    channel: str
    subject: str | None
    message: str
    is_active: bool
    is_default: bool


@dataclass(frozen=True)
class Definition:
    tenant: dict[str, str]
    branch: dict[str, str]
    users: tuple[User, ...]
    services: tuple[Service, ...]
    service_users: tuple[Assignment, ...]
    clients: tuple[Client, ...]
    working_hours: tuple[Hours, ...]
    appointments: tuple[Appointment, ...]
    payments: PaymentRule
    templates: tuple[Template, ...]
    source: str = "the shipped definition"

    def user(self, email: str) -> User:
        return next(u for u in self.users if u.email == email)

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def client(self, email: str) -> Client:
        return next(c for c in self.clients if c.email == email)


# -- reading and checking a definition ------------------------------------------------------
# Per section: required fields, optional fields, each with its type ("text", "int", "number",
# "bool", "hhmm" or an ENUMS name).
_FIELDS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "tenant": (
        {"name": "text", "email": "text"},
        {"phone": "text", "address": "text", "city": "text", "country": "text"},
    ),
    "branch": ({"name": "text", "email": "text"}, {"address": "text", "phone": "text"}),
    "users": (
        {"email": "text", "password": "text", "firstName": "text", "lastName": "text", "role": "role"},
        {"phone": "text"},
    ),
    "services": ({"name": "text", "duration": "int", "price": "number"}, {"description": "text", "color": "text"}),
    "service_users": ({"service": "text", "user": "text", "commission": "number"}, {}),
    "clients": (
        {"firstName": "text", "lastName": "text", "email": "text", "phone": "text"},
        {"address": "text", "notes": "text"},
    ),
    "working_hours": ({"dayOfWeek": "int", "startTime": "hhmm", "endTime": "hhmm"}, {}),
    "appointments": (
        {
            "day": "int",
            "start": "hhmm",
            "end": "hhmm",
            "status": "status",
            "client": "text",
            "service": "text",
            "user": "text",
        },
        {"notes": "text"},
    ),
    "payments": (
        {
            "forStatus": "status",
            "userRole": "role",
            "methods": "methods",
            "status": "paymentStatus",
            "fallbackAmount": "number",
        },
        {},
    ),
    "notification_templates": (
        {"name": "text", "type": "type", "channel": "channel", "message": "text"},
        {"subject": "text", "isActive": "bool", "isDefault": "bool"},
    ),
}
_OBJECTS = ("tenant", "branch", "payments")
# Appointments within a century of "today": far enough for any seed, and a date Python and
# PostgreSQL can both hold (a day like 99999999 overflowed datetime in the plan).
MAX_DAY_OFFSET = 36500
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


_CHECKS: dict[str, tuple[Callable[[object], bool], str]] = {
    "text": (lambda v: isinstance(v, str) and v != "", "a non-empty text"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
    # NaN and Infinity parse from JSON and TOML but are no price PostgreSQL's numeric columns take.
    "number": (
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
        "a finite number",
    ),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "hhmm": (lambda v: isinstance(v, str) and bool(_HHMM.match(v)), "a time as HH:MM"),
    "methods": (
        lambda v: isinstance(v, list) and bool(v) and all(m in ENUMS["paymentMethod"] for m in v),
        "a list of payment methods",
    ),
}


def _check_value(where: str, kind: str, value: object) -> None:
    if kind in _CHECKS:
        ok, wanted = _CHECKS[kind]
        good = ok(value)
    else:
        good, wanted = value in ENUMS[kind], "one of " + ", ".join(ENUMS[kind])
    if not good:
        raise DefinitionError(f"{where} is {json.dumps(value, ensure_ascii=False)}, not {wanted}")


def _record(where: str, section: str, raw: object) -> dict[str, Any]:
    """``raw`` checked against the section's fields; optional ones missing (or null) are None."""
    if not isinstance(raw, dict):
        raise DefinitionError(f"{where} must be an object")
    required, optional = _FIELDS[section]
    for key in raw:
        if key not in required and key not in optional:
            raise DefinitionError(f"{where} has an unknown key {key!r} (known: {', '.join([*required, *optional])})")
    record = {}
    for key, kind in required.items():
        if key not in raw:
            raise DefinitionError(f"{where} lacks {key!r}")
        _check_value(f"{where}.{key}", kind, raw[key])
        record[key] = raw[key]
    for key, kind in optional.items():
        if raw.get(key) is not None:
            _check_value(f"{where}.{key}", kind, raw[key])
        record[key] = raw.get(key)
    return record


def _sections(doc: object) -> dict[str, Any]:
    """The definition's sections, each record checked (so their values are read as what the check found)."""
    if not isinstance(doc, dict):
        raise DefinitionError("the seed definition must be an object of sections")
    for key in doc:
        if not key.startswith("_") and key not in _FIELDS:
            raise DefinitionError(f"unknown section {key!r} (known: {', '.join(_FIELDS)})")
    missing = [s for s in _FIELDS if s not in doc]
    if missing:
        raise DefinitionError(f"the seed definition lacks the section {missing[0]!r}")
    out: dict[str, Any] = {}
    for section in _FIELDS:
        if section in _OBJECTS:
            out[section] = _record(section, section, doc[section])
        else:
            if not isinstance(doc[section], list):
                raise DefinitionError(f"{section} must be a list")
            out[section] = [_record(f"{section}[{i}]", section, raw) for i, raw in enumerate(doc[section])]
    return out


def _unique(section: str, rows: list[dict[str, Any]], *fields: str) -> set[object]:
    seen: set[tuple[object, ...]] = set()
    for i, row in enumerate(rows):
        key = tuple(row[f] for f in fields)
        if key in seen:
            raise DefinitionError(f"{section}[{i}] repeats {'/'.join(fields)} {' / '.join(map(str, key))}")
        seen.add(key)
    return {k[0] if len(k) == 1 else k for k in seen}


def _refer(where: str, value: str, known: set[object], what: str) -> None:
    if value not in known:
        raise DefinitionError(f"{where} names {what} {value!r}, which the definition does not have")


def build_definition(doc: object, source: str) -> Definition:
    """The ``Definition`` in ``doc`` (parsed JSON/TOML), or ``DefinitionError`` saying what is wrong."""
    s = _sections(doc)
    users = _unique("users", s["users"], "email")
    services = _unique("services", s["services"], "name")
    clients = _unique("clients", s["clients"], "email")
    _unique("clients", s["clients"], "phone")
    _unique("service_users", s["service_users"], "service", "user")
    _unique("notification_templates", s["notification_templates"], "name", "type", "channel")
    defaults = [t for t in s["notification_templates"] if t["isDefault"] is not False]
    _unique("notification_templates (defaults)", defaults, "type", "channel")
    for i, a in enumerate(s["service_users"]):
        _refer(f"service_users[{i}].service", a["service"], services, "the service")
        _refer(f"service_users[{i}].user", a["user"], users, "the user")
    for i, a in enumerate(s["appointments"]):
        _refer(f"appointments[{i}].client", a["client"], clients, "the client")
        _refer(f"appointments[{i}].service", a["service"], services, "the service")
        _refer(f"appointments[{i}].user", a["user"], users, "the user")
        if not -MAX_DAY_OFFSET <= a["day"] <= MAX_DAY_OFFSET:
            raise DefinitionError(
                f"appointments[{i}].day is {a['day']}, not a day offset from -{MAX_DAY_OFFSET} to {MAX_DAY_OFFSET}"
            )
        if minutes_of(a["end"]) <= minutes_of(a["start"]):
            raise DefinitionError(f"appointments[{i}] ends at {a['end']}, not after its start {a['start']}")
    for i, h in enumerate(s["working_hours"]):
        if not 0 <= h["dayOfWeek"] <= 6:
            raise DefinitionError(f"working_hours[{i}].dayOfWeek is {h['dayOfWeek']}, not 0 (Sunday) to 6")
    p = s["payments"]
    return Definition(
        tenant={k: v for k, v in s["tenant"].items() if v is not None},
        branch={k: v for k, v in s["branch"].items() if v is not None},
        users=tuple(
            User(u["email"], u["password"], u["role"], u["firstName"], u["lastName"], u["phone"]) for u in s["users"]
        ),
        services=tuple(
            Service(v["name"], v["description"], v["duration"], float(v["price"]), v["color"]) for v in s["services"]
        ),
        service_users=tuple(Assignment(a["service"], a["user"], float(a["commission"])) for a in s["service_users"]),
        clients=tuple(
            Client(c["firstName"], c["lastName"], c["email"], c["phone"], c["address"], c["notes"])
            for c in s["clients"]
        ),
        working_hours=tuple(Hours(h["dayOfWeek"], h["startTime"], h["endTime"]) for h in s["working_hours"]),
        appointments=tuple(
            Appointment(a["day"], a["start"], a["end"], a["status"], a["client"], a["service"], a["user"], a["notes"])
            for a in s["appointments"]
        ),
        payments=PaymentRule(
            p["forStatus"], p["userRole"], tuple(p["methods"]), p["status"], float(p["fallbackAmount"])
        ),
        templates=tuple(
            Template(
                t["name"],
                t["type"],
                t["channel"],
                t["subject"],
                t["message"],
                t["isActive"] is not False,
                t["isDefault"] is not False,
            )
            for t in s["notification_templates"]
        ),
        source=source,
    )


def minutes_of(hhmm: str) -> int:
    """ "HH:MM" as minutes after midnight."""
    hours, minutes = map(int, hhmm.split(":"))
    return hours * 60 + minutes


def load_definition(path: str | Path | None = None) -> Definition:
    """The shipped definition, or the TOML (``.toml``) or JSON (any other name) file at ``path``."""
    if path is None:
        text = resources.files("citaplanner_tui.core.seed").joinpath("definition.json").read_text("utf-8")
        return build_definition(json.loads(text), "the shipped definition")
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "it is not UTF-8 text"
        raise DefinitionError(f"cannot read the seed file {path}: {reason}") from None
    try:
        doc = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError(
            f"the seed file {path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"the seed file {path} is not valid TOML: {exc}") from None
    try:
        return build_definition(doc, str(path))
    except DefinitionError as exc:
        raise DefinitionError(f"the seed file {path} is not a seed definition: {exc}") from None


SHIPPED = load_definition()

# The shipped definition under the names the console's sample plan reads.
TENANT_ROW = SHIPPED.tenant
BRANCH_ROW = SHIPPED.branch
USERS = SHIPPED.users
SERVICES = SHIPPED.services
CLIENTS = SHIPPED.clients
TEMPLATES = SHIPPED.templates
