"""The seed plan: for every seed row, what applying the seed would do, and why.

``decide(snapshot, now)`` is the pure part: it takes the rows the bounded reads found
(``read.Snapshot``) and returns a ``Plan``; it never touches the database, so every rule
is unit-tested without one. Rules, following the original seed and fixing its gaps:

- a row found by its natural key EXISTS, or DIFFERS when a compared column differs (the
  seed never changes existing rows; the differences are only shown);
- a missing row is CREATE, unless creating it would break a unique key the database
  enforces: a client whose phone is already used in the tenant by a row with another
  e-mail is a CONFLICT naming that row (the original crashed there with P2002);
- working hours are added only to a branch with none, appointments and their payments
  only to a tenant with none (the original's all-or-nothing rules); otherwise SKIP, with
  the reason;
- templates are looked up per tenant (the original ignored the tenant, so a second
  tenant never got any).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from enum import Enum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from citaplanner_tui.core.seed import data

if TYPE_CHECKING:
    from citaplanner_tui.core.seed.read import Snapshot


class Status(str, Enum):
    CREATE = "CREATE"
    EXISTS = "EXISTS"
    DIFFERS = "DIFFERS"
    CONFLICT = "CONFLICT"
    SKIP = "SKIP"


@dataclass(frozen=True)
class Ref:
    """A row the same apply creates: its id is only known when the apply runs."""

    kind: str
    key: str

    def __str__(self) -> str:
        return f"(new {self.kind} {self.key})"


@dataclass(frozen=True)
class Item:
    """One seed row and its fate.

    ``differs`` maps a column to ``(database value, seed value)``; ``conflict`` names the
    existing row a create would collide with; ``reason`` says why a row is skipped (or
    notes something about an existing one); ``row_id`` is the existing row's id;
    ``values`` are the columns a CREATE would write (parents as ids or ``Ref``).
    """

    kind: str
    table: str
    key: str
    status: Status
    differs: dict[str, tuple[object, object]] = field(default_factory=dict)
    conflict: str | None = None
    reason: str | None = None
    row_id: str | None = None
    values: dict[str, object] = field(default_factory=dict, repr=False)

    @property
    def detail(self) -> str:
        """One line for a table cell: the differing columns, the collision, or the reason."""
        if self.differs:
            return "; ".join(f"{c}: db {_show(db)}, seed {_show(seed)}"
                             for c, (db, seed) in self.differs.items())
        return self.conflict or self.reason or ""

    def to_json(self) -> dict:
        return {"kind": self.kind, "table": self.table, "key": self.key, "status": self.status.value,
                "differs": {c: {"db": _plain(db), "seed": _plain(seed)}
                            for c, (db, seed) in self.differs.items()},
                "conflict": self.conflict, "reason": self.reason, "id": self.row_id}


def _plain(value: object) -> object:
    """JSON-safe: new rows' references and timestamps as text."""
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def _show(value: object) -> str:
    text = "none" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


_WORDS = ((Status.CREATE, "to create", "to create"), (Status.EXISTS, "exists", "exist"),
          (Status.DIFFERS, "differs", "differ"), (Status.CONFLICT, "conflict", "conflicts"),
          (Status.SKIP, "skipped", "skipped"))


@dataclass(frozen=True)
class Plan:
    items: tuple[Item, ...]
    timezone: str
    queries_by_table: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def queries(self) -> int:
        """Statements the reads sent (the schema check's one catalog query not included)."""
        return sum(self.queries_by_table.values())

    @property
    def counts(self) -> dict[Status, int]:
        found = Counter(item.status for item in self.items)
        return {status: found.get(status, 0) for status in Status}

    @property
    def creates(self) -> bool:
        return self.counts[Status.CREATE] > 0

    @property
    def conflicts(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.status is Status.CONFLICT)

    def summary(self) -> str:
        """``Plan: 12 to create, 30 exist, 2 differ, 1 conflict, 2 skipped``."""
        counts = self.counts
        parts = [f"{counts[s]} {one if counts[s] == 1 else many}" for s, one, many in _WORDS]
        return "Plan: " + ", ".join(parts)

    def creates_by_table(self) -> dict[str, int]:
        return dict(Counter(i.table for i in self.items if i.status is Status.CREATE))

    def to_json(self) -> dict:
        return {"summary": self.summary(), "counts": {s.value: n for s, n in self.counts.items()},
                "timezone": self.timezone, "queries": self.queries_by_table, "seconds": round(self.seconds, 4),
                "keys": {k.name: {"table": k.table, "natural_key": list(k.natural_key),
                                  "unique_keys": [list(u) for u in k.unique_keys]} for k in data.KINDS},
                "items": [item.to_json() for item in self.items]}


def local_to_utc(day: datetime, hhmm: str, zone: str) -> datetime:
    """Wall-clock ``hhmm`` on ``day`` in ``zone`` as the naive UTC timestamp Prisma stores."""
    hour, minute = map(int, hhmm.split(":"))
    local = datetime.combine(day.date(), time(hour, minute), tzinfo=ZoneInfo(zone))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def _item(kind: data.Kind, key: str, status: Status, **details) -> Item:
    return Item(kind.name, kind.table, key, status, **details)


class _Decider:
    """Walks the seed parents-first, remembering each parent's id (or ``Ref`` if new)."""

    def __init__(self, snap: Snapshot, now: datetime):
        self.snap = snap
        self.now = now
        self.ids: dict[tuple[str, str], object] = {}
        self.items: list[Item] = []

    def add(self, kind: data.Kind, key: str, row: dict | None, seed: dict[str, object], *,
            reason: str | None = None) -> None:
        """EXISTS/DIFFERS when ``row`` was found, else CREATE with ``seed`` as the values."""
        if row is None:
            item = _item(kind, key, Status.CREATE, values=seed)
            self.ids[(kind.name, key)] = Ref(kind.name, key)
        else:
            differs = {c: (row[c], seed[c]) for c in kind.compared if row.get(c) != seed[c]}
            status = Status.DIFFERS if differs else Status.EXISTS
            item = _item(kind, key, status, differs=differs, reason=reason, row_id=row["id"])
            self.ids[(kind.name, key)] = row["id"]
        self.items.append(item)

    def ref(self, kind: data.Kind, key: str) -> object:
        return self.ids[(kind.name, key)]

    def decide(self) -> Plan:
        snap = self.snap
        zone = (snap.tenant or {}).get("timezone") or data.DEFAULT_TIMEZONE
        note = None
        if snap.tenant_count > 1:
            note = f"{snap.tenant_count} tenants have this e-mail; the seed uses the oldest"
        self.add(data.TENANT, data.TENANT_ROW["email"], snap.tenant, dict(data.TENANT_ROW), reason=note)
        tenant = self.ref(data.TENANT, data.TENANT_ROW["email"])
        self.add(data.BRANCH, data.BRANCH_ROW["email"], snap.branch,
                 {**data.BRANCH_ROW, "tenantId": tenant})
        branch = self.ref(data.BRANCH, data.BRANCH_ROW["email"])
        for u in data.USERS:
            self.add(data.USER, u.email, snap.users.get(u.email), {
                "email": u.email, "firstName": u.first_name, "lastName": u.last_name, "role": u.role,
                "phone": u.phone, "tenantId": tenant, "branchId": branch})
        for s in data.SERVICES:
            self.add(data.SERVICE, s.name, snap.services.get(s.name), {
                "name": s.name, "description": s.description, "duration": s.duration,
                "price": s.price, "color": s.color, "tenantId": tenant})
        for s in data.SERVICES:
            service, user = self.ref(data.SERVICE, s.name), self.ref(data.USER, s.professional)
            self.add(data.ASSIGNMENT, f"{s.name} / {s.professional}", snap.assignments.get((service, user)),
                     {"serviceId": service, "userId": user, "commission": s.commission})
        for c in data.CLIENTS:
            self._client(c, tenant)
        self._hours(branch)
        self._appointments(tenant, branch, zone)
        for name, ntype, channel, subject, message in data.TEMPLATES:
            self.add(data.TEMPLATE, f"{name} ({channel})", snap.templates.get((name, ntype, channel)), {
                "name": name, "type": ntype, "channel": channel, "subject": subject,
                "message": message, "isActive": True, "isDefault": True, "tenantId": tenant})
        return Plan(tuple(self.items), zone, dict(snap.queries))

    def _client(self, c: data.Client, tenant: object) -> None:
        seed = {"firstName": c.first_name, "lastName": c.last_name, "email": c.email,
                "phone": c.phone, "address": c.address, "notes": c.notes, "tenantId": tenant}
        row = self.snap.clients_by_email.get(c.email)
        holder = self.snap.clients_by_phone.get(c.phone)
        if row is None and holder is not None:
            unique = ", ".join(data.CLIENT.unique_keys[0])
            self.items.append(_item(data.CLIENT, c.email, Status.CONFLICT, conflict=(
                f"client {holder['id']} ({holder['firstName']} {holder['lastName']}, e-mail "
                f"{holder.get('email') or 'none'}) already has phone {c.phone} in this tenant "
                f"(unique key {unique})")))
            self.ids[(data.CLIENT.name, c.email)] = holder["id"]
            return
        self.add(data.CLIENT, c.email, row, seed)

    def _hours(self, branch: object) -> None:
        count = self.snap.branch_hours
        for day, start, end in data.WORKING_HOURS:
            key = f"{data.BRANCH_ROW['name']} day {day} {start}-{end}"
            if count:
                self.items.append(_item(data.HOURS, key, Status.SKIP, reason=(
                    f"the branch already has {count} working-hours rows (the seed adds hours only "
                    "to a branch with none)")))
            else:
                self.items.append(_item(data.HOURS, key, Status.CREATE, values={
                    "dayOfWeek": day, "startTime": start, "endTime": end, "branchId": branch,
                    "userId": None}))

    def _appointments(self, tenant: object, branch: object, zone: str) -> None:
        today = self.now.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        skip = None
        if self.snap.tenant_has_appointments:
            skip = ("the tenant already has appointments (the seed adds appointments and "
                    "payments only to a tenant with none)")
        receptionist = self.ref(data.USER, data.RECEPTIONIST)
        for a in data.APPOINTMENTS:
            client, service = data.CLIENTS[a.client], data.SERVICES[a.service]
            day = today + timedelta(days=a.day)
            start, end = local_to_utc(day, a.start, zone), local_to_utc(day, a.end, zone)
            key = f"{day:%Y-%m-%d} {a.start} {client.first_name} {client.last_name}"
            if skip:
                self.items.append(_item(data.APPOINTMENT, key, Status.SKIP, reason=skip))
                if a.payment_method:
                    self.items.append(_item(data.PAYMENT, f"for {key}", Status.SKIP, reason=skip))
                continue
            values = {"startTime": start, "endTime": end, "status": a.status, "notes": a.notes,
                      "tenantId": tenant, "branchId": branch,
                      "clientId": self.ref(data.CLIENT, client.email),
                      "serviceId": self.ref(data.SERVICE, service.name),
                      "userId": self.ref(data.USER, a.professional)}
            self.items.append(_item(data.APPOINTMENT, key, Status.CREATE, values=values))
            if a.payment_method:
                price = (self.snap.services.get(service.name) or {}).get("price", service.price)
                self.items.append(_item(data.PAYMENT, f"for {key}", Status.CREATE, values={
                    "amount": price, "paymentMethod": a.payment_method, "status": "PAID",
                    "tenantId": tenant, "branchId": branch, "clientId": values["clientId"],
                    "appointmentId": Ref(data.APPOINTMENT.name, key), "userId": receptionist,
                    "createdAt": end}))


def decide(snapshot: Snapshot, now: datetime) -> Plan:
    """The plan for ``snapshot`` (rows found by the reads) at time ``now`` (aware datetime)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return _Decider(snapshot, now).decide()
