"""The seed plan: for every seed row, what applying the seed would do, and why.

``decide(snapshot, now)`` is the pure part: it takes the rows the bounded reads found
(``read.Snapshot``) and returns a ``SeedPlan``; it never touches the database, so every rule
is unit-tested without one. Rows are found as seed.ts finds them; where seed.ts would
do harm, the plan says so instead:

- a row found by its natural key EXISTS, or DIFFERS when a value the seed writes differs
  (the seed never changes existing rows; the differences are only shown). Values seed.ts
  leaves to chance (a payment's method) are never compared;
- a missing row is CREATE, unless creating it would break a unique key the database
  enforces: a client whose phone is already used in the tenant by a row with another
  e-mail is a CONFLICT naming that row (seed.ts crashed there with P2002);
- a seed user found in another tenant, which this tenant's new service assignments,
  appointments or payments would point at (seed.ts links them), is a CONFLICT, and those
  rows are not created;
- templates are found by name + type + channel in any tenant, as seed.ts does; a seed
  template not found that way is still not created when the tenant already has a
  default template for its (type, channel): a second default would make the text sent
  to customers arbitrary, so that row is the seed's, with its differences shown;
- working hours are added only to a branch with none, appointments and their payments
  only to a tenant with none (seed.ts's all-or-nothing rules); otherwise SKIP, with the
  reason. Payments are registered by the first seed user whose role is the receptionist's,
  as seed.ts picks it: with none, seed.ts creates no payments, and the plan says so;
- appointment times follow seed.ts's clock: local midnight of today in the process's time
  zone (UTC in the app's container), plus the seed's offsets, unless a zone is given.

CONFLICTs come first in the plan.
"""

from __future__ import annotations

import os
import time as clock
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from citaplanner_tui.core.i18n import say, say_n, shown
from citaplanner_tui.core.report import units
from citaplanner_tui.core.seed import data
from citaplanner_tui.core.seed.data import Definition

if TYPE_CHECKING:
    from citaplanner_tui.core.seed.read import Row, Snapshot


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
class Chance:
    """A value seed.ts picks at random among ``choices``; the apply picks the same way."""

    choices: tuple[str, ...]

    def __str__(self) -> str:
        return " or ".join(self.choices) + " (random, as seed.ts)"


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
        """One line for a table cell: the differing columns (and why that row), the collision, or the reason."""
        if self.differs:
            text = "; ".join(f"{c}: db {_show(db)}, seed {_show(seed)}" for c, (db, seed) in self.differs.items())
            return f"{text}; {shown(self.reason)}" if self.reason else text
        return shown(self.conflict or self.reason or "")

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "table": self.table,
            "key": self.key,
            "status": self.status.value,
            "differs": {c: {"db": _plain(db), "seed": _plain(seed)} for c, (db, seed) in self.differs.items()},
            "conflict": self.conflict,
            "reason": self.reason,
            "id": self.row_id,
        }


def _plain(value: object) -> object:
    """JSON-safe: new rows' references and timestamps as text."""
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def _show(value: object) -> str:
    return units.clipped("none" if value is None else str(value), 40)


@dataclass(frozen=True)
class SeedPlan:
    items: tuple[Item, ...]
    clock: str  # the time zone "today" was taken in, and why that one
    source: str = data.SHIPPED.source
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
        return say(
            "Plan: {create}, {exist}, {differ}, {conflict}, {skip}",
            create=say_n("{n} to create", "{n} to create", counts[Status.CREATE]),
            exist=say_n("{n} exists", "{n} exist", counts[Status.EXISTS]),
            differ=say_n("{n} differs", "{n} differ", counts[Status.DIFFERS]),
            conflict=say_n("{n} conflict", "{n} conflicts", counts[Status.CONFLICT]),
            skip=say_n("{n} skipped", "{n} skipped", counts[Status.SKIP]),
        )

    def creates_by_table(self) -> dict[str, int]:
        return dict(Counter(i.table for i in self.items if i.status is Status.CREATE))

    def to_json(self) -> dict[str, object]:
        return {
            "summary": self.summary(),
            "counts": {s.value: n for s, n in self.counts.items()},
            "clock": self.clock,
            "definition": self.source,
            "queries": self.queries_by_table,
            "seconds": round(self.seconds, 4),
            "keys": {
                k.name: {
                    "table": k.table,
                    "natural_key": list(k.natural_key),
                    "unique_keys": [list(u) for u in k.unique_keys],
                }
                for k in data.KINDS
            },
            "items": [item.to_json() for item in self.items],
        }


# -- seed.ts's clock --------------------------------------------------------------------------
def process_zone_name() -> str:
    """The name of this process's time zone, as the TZ variable or the C library gives it."""
    return os.environ.get("TZ") or clock.tzname[0]


def clock_label(zone: str | None) -> str:
    if zone:
        return f"{zone} (--tz)"
    return f"{process_zone_name()} (this process's time zone, as seed.ts; --tz to change)"


def local_midnight(now: datetime, zone: str | None) -> datetime:
    """Today's local midnight in ``zone`` (None: this process's zone, as ``new Date(y, m, d)``), in UTC."""
    if zone:
        local = now.astimezone(ZoneInfo(zone))
        midnight = datetime(local.year, local.month, local.day, tzinfo=ZoneInfo(zone))
        return midnight.astimezone(timezone.utc)
    local = now.astimezone()  # the C library's zone, as Node's Date uses it
    # mktime resolves the day's midnight offset (DST) the way new Date(y, m, d) does.
    stamp = clock.mktime((local.year, local.month, local.day, 0, 0, 0, 0, 0, -1))
    return datetime.fromtimestamp(stamp, timezone.utc)


def appointment_times(midnight: datetime, a: data.Appointment) -> tuple[datetime, datetime]:
    """seed.ts's ``today.getTime() + day * 24 h + hours``: elapsed time, as naive UTC (Prisma's)."""
    day = (midnight + timedelta(days=a.day)).replace(tzinfo=None)
    return day + timedelta(minutes=data.minutes_of(a.start)), day + timedelta(minutes=data.minutes_of(a.end))


# -- the decision -----------------------------------------------------------------------------
def _item(kind: data.Kind, key: str, status: Status, **details: Any) -> Item:
    return Item(kind.name, kind.table, key, status, **details)


class _Decider:
    """Walks the seed parents-first, remembering each parent's id (or ``Ref`` if new)."""

    def __init__(self, snap: Snapshot, now: datetime, seed: Definition, zone: str | None):
        self.snap = snap
        self.now = now
        self.seed = seed
        self.zone = zone
        self.ids: dict[tuple[str, str], object] = {}
        self.items: list[Item] = []

    def add(
        self,
        kind: data.Kind,
        key: str,
        row: Row | None,
        values: dict[str, object],
        *,
        compared: tuple[str, ...] | None = None,
        reason: str | None = None,
    ) -> None:
        """EXISTS/DIFFERS when ``row`` was found, else CREATE with ``values``.

        ``compared`` defaults to every value the seed writes except the natural key.
        """
        if row is None:
            item = _item(kind, key, Status.CREATE, values=values)
            self.ids[(kind.name, key)] = Ref(kind.name, key)
        else:
            columns = compared if compared is not None else tuple(c for c in values if c not in kind.natural_key)
            differs = {c: (row.get(c), values[c]) for c in columns if row.get(c) != values[c]}
            status = Status.DIFFERS if differs else Status.EXISTS
            item = _item(kind, key, status, differs=differs, reason=reason, row_id=row["id"])
            self.ids[(kind.name, key)] = row["id"]
        self.items.append(item)

    def ref(self, kind: data.Kind, key: str) -> object:
        return self.ids[(kind.name, key)]

    def decide(self) -> list[Item]:
        snap, seed = self.snap, self.seed
        note = None
        if snap.tenant_count > 1:
            note = say("{n} tenants have this e-mail; the seed uses the oldest", n=snap.tenant_count)
        email = seed.tenant["email"]
        self.add(data.TENANT, email, snap.tenant, dict(seed.tenant), reason=note)
        tenant = self.ref(data.TENANT, email)
        self.add(data.BRANCH, seed.branch["email"], snap.branch, {**seed.branch, "tenantId": tenant})
        branch = self.ref(data.BRANCH, seed.branch["email"])
        for u in seed.users:
            self.add(
                data.USER,
                u.email,
                snap.users.get(u.email),
                {
                    "email": u.email,
                    "firstName": u.first_name,
                    "lastName": u.last_name,
                    "role": u.role,
                    "phone": u.phone,
                    "tenantId": tenant,
                    "branchId": branch,
                },
            )
        for s in seed.services:
            values = {
                "name": s.name,
                "description": s.description,
                "duration": s.duration,
                "price": s.price,
                "color": s.color,
                "tenantId": tenant,
            }
            if s.color is None:  # not written: the column's default applies, as with seed.ts
                del values["color"]
            self.add(data.SERVICE, s.name, snap.services.get(s.name), values)
        for a in seed.service_users:
            service, user = self.ref(data.SERVICE, a.service), self.ref(data.USER, a.user)
            self.add(
                data.ASSIGNMENT,
                f"{a.service} / {a.user}",
                snap.assignments.get((service, user)),
                {"serviceId": service, "userId": user, "commission": a.commission},
            )
        for c in seed.clients:
            self._client(c, tenant)
        self._hours(branch)
        self._appointments(tenant, branch)
        for t in seed.templates:
            self._template(t, tenant)
        self._foreign_users(tenant)
        return sorted(self.items, key=lambda i: i.status is not Status.CONFLICT)

    def _client(self, c: data.Client, tenant: object) -> None:
        values = {
            "firstName": c.first_name,
            "lastName": c.last_name,
            "email": c.email,
            "phone": c.phone,
            "address": c.address,
            "notes": c.notes,
            "tenantId": tenant,
        }
        row = self.snap.clients_by_email.get(c.email)
        holder = self.snap.clients_by_phone.get(c.phone)
        if row is None and holder is not None:
            unique = ", ".join(data.CLIENT.unique_keys[0])
            self.items.append(
                _item(
                    data.CLIENT,
                    c.email,
                    Status.CONFLICT,
                    conflict=say(
                        "client {id} ({first} {last}, e-mail {email}) already has phone {phone} in this tenant "
                        "(unique key {unique})",
                        id=holder["id"],
                        first=holder["firstName"],
                        last=holder["lastName"],
                        email=holder.get("email") or say("none"),
                        phone=c.phone,
                        unique=unique,
                    ),
                )
            )
            self.ids[(data.CLIENT.name, c.email)] = holder["id"]
            return
        self.add(data.CLIENT, c.email, row, values)

    def _hours(self, branch: object) -> None:
        count = self.snap.branch_hours
        for h in self.seed.working_hours:
            key = f"{self.seed.branch['name']} day {h.day_of_week} {h.start}-{h.end}"
            if count:
                self.items.append(
                    _item(
                        data.HOURS,
                        key,
                        Status.SKIP,
                        reason=say(
                            "the branch already has {count} working-hours rows (the seed adds hours only "
                            "to a branch with none)",
                            count=count,
                        ),
                    )
                )
            else:
                self.items.append(
                    _item(
                        data.HOURS,
                        key,
                        Status.CREATE,
                        values={
                            "dayOfWeek": h.day_of_week,
                            "startTime": h.start,
                            "endTime": h.end,
                            "branchId": branch,
                            "userId": None,
                        },
                    )
                )

    def _receptionist(self) -> tuple[object | None, str | None]:
        """Who registers the payments (seed.ts: the first seed user with that role), or why nobody."""
        rule = self.seed.payments
        for u in self.seed.users:
            row = self.snap.users.get(u.email)
            if (row["role"] if row else u.role) == rule.user_role:
                return self.ref(data.USER, u.email), None
        changed: str | None = None  # "a is X, b is Y", each part a sentence shown in the operator's language
        for u in self.seed.users:
            if u.role == rule.user_role and u.email in self.snap.users:
                part = say("{email} is {role}", email=u.email, role=self.snap.users[u.email]["role"])
                changed = part if changed is None else say("{earlier}, {later}", earlier=changed, later=part)
        if changed is not None:
            return None, say(
                "no seed user has the role {role} ({changed} now), and seed.ts creates no payments then",
                role=rule.user_role,
                changed=changed,
            )
        return None, say("no seed user has the role {role}, and seed.ts creates no payments then", role=rule.user_role)

    def _appointments(self, tenant: object, branch: object) -> None:
        midnight = local_midnight(self.now, self.zone)
        skip = None
        if self.snap.tenant_has_appointments:
            skip = say(
                "the tenant already has appointments (the seed adds appointments and "
                "payments only to a tenant with none)"
            )
        receptionist, no_receptionist = self._receptionist()
        rule = self.seed.payments
        for a in self.seed.appointments:
            client = self.seed.client(a.client)
            start, end = appointment_times(midnight, a)
            key = f"{start:%Y-%m-%d %H:%M} {client.first_name} {client.last_name}"
            paid = a.status == rule.for_status
            if skip:
                self.items.append(_item(data.APPOINTMENT, key, Status.SKIP, reason=skip))
                if paid:
                    self.items.append(_item(data.PAYMENT, f"for {key}", Status.SKIP, reason=skip))
                continue
            values = {
                "startTime": start,
                "endTime": end,
                "status": a.status,
                "notes": a.notes,
                "tenantId": tenant,
                "branchId": branch,
                "clientId": self.ref(data.CLIENT, a.client),
                "serviceId": self.ref(data.SERVICE, a.service),
                "userId": self.ref(data.USER, a.user),
            }
            self.items.append(_item(data.APPOINTMENT, key, Status.CREATE, values=values))
            if not paid:
                continue
            if receptionist is None:
                self.items.append(_item(data.PAYMENT, f"for {key}", Status.SKIP, reason=no_receptionist))
                continue
            found = self.snap.services.get(a.service)
            price = found["price"] if found else self.seed.service(a.service).price
            self.items.append(
                _item(
                    data.PAYMENT,
                    f"for {key}",
                    Status.CREATE,
                    values={
                        "amount": price or rule.fallback_amount,
                        "paymentMethod": Chance(rule.methods),
                        "status": rule.status,
                        "tenantId": tenant,
                        "branchId": branch,
                        "clientId": values["clientId"],
                        "appointmentId": Ref(data.APPOINTMENT.name, key),
                        "userId": receptionist,
                        "createdAt": end,
                    },
                )
            )

    def _template(self, t: data.Template, tenant: object) -> None:
        key = f"{t.name} ({t.channel})"
        values = {
            "name": t.name,
            "type": t.type,
            "channel": t.channel,
            "subject": t.subject,
            "message": t.message,
            "isActive": t.is_active,
            "isDefault": t.is_default,
            "tenantId": tenant,
        }
        row = self.snap.templates.get((t.name, t.type, t.channel))
        reason = None
        if row is not None and row["tenantId"] != tenant:
            reason = say(
                "found in another tenant: seed.ts looks templates up without the tenant, "
                "so it creates none for this one"
            )
        elif row is None and t.is_default:
            row = self.snap.default_templates.get((t.type, t.channel))
            if row is not None:
                reason = say(
                    "the tenant already has the default {type}/{channel} template {name}; a second "
                    "default would make the text customers get arbitrary, so the seed creates none",
                    type=t.type,
                    channel=t.channel,
                    name=repr(row["name"]),
                )
        compared = ("name", "subject", "message", "isActive", "isDefault", "tenantId")
        self.add(data.TEMPLATE, key, row, values, compared=compared, reason=reason)

    def _foreign_users(self, tenant: object) -> None:
        """A seed user of another tenant that new rows of this tenant would point at: CONFLICT."""
        foreign = {row["id"]: email for email, row in self.snap.users.items() if row["tenantId"] != tenant}
        linking: dict[object, list[int]] = {}
        for n, item in enumerate(self.items):
            if item.status is Status.CREATE and item.values.get("userId") in foreign:
                linking.setdefault(item.values["userId"], []).append(n)
        for user_id, positions in linking.items():
            email = foreign[user_id]
            other = self.snap.users[email]["tenantId"]
            tables = sorted({self.items[n].table for n in positions})
            for n in positions:
                old = self.items[n]
                self.items[n] = Item(
                    old.kind,
                    old.table,
                    old.key,
                    Status.SKIP,
                    reason=say("its user {email} belongs to another tenant (see the conflict)", email=email),
                )
            at = next(n for n, i in enumerate(self.items) if i.kind == data.USER.name and i.key == email)
            self.items[at] = _item(
                data.USER,
                email,
                Status.CONFLICT,
                row_id=user_id,
                conflict=say(
                    "user {id} ({email}) belongs to tenant {other}; the seed would link this "
                    "tenant's {tables} to it (seed.ts does), so it links nothing",
                    id=user_id,
                    email=email,
                    other=other,
                    tables=", ".join(tables),
                ),
            )
        skipped = {
            Ref(i.kind, i.key) for i in self.items if i.kind == data.APPOINTMENT.name and i.status is Status.SKIP
        }
        for n, item in enumerate(self.items):
            if item.status is Status.CREATE and item.values.get("appointmentId") in skipped:
                self.items[n] = Item(
                    item.kind,
                    item.table,
                    item.key,
                    Status.SKIP,
                    reason=say("its appointment is not created (see the conflict)"),
                )


def decide(
    snapshot: Snapshot, now: datetime, *, definition: Definition = data.SHIPPED, zone: str | None = None
) -> SeedPlan:
    """The plan for ``snapshot`` at time ``now`` (aware) with ``definition``.

    ``zone`` is the time zone "today" is taken in; None is this process's, as seed.ts does.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    items = _Decider(snapshot, now, definition, zone).decide()
    return SeedPlan(tuple(items), clock_label(zone), definition.source, dict(snapshot.queries))
