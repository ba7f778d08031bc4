"""Deterministic demo data for CitaPlanner databases we own (``--demo``, tests, benchmarks).

``generate(conn, tenants=3, clients=3000, appointments=15000, seed=42)`` fills a database
that has the CitaPlanner schema (and no demo data yet) with salons and spas: branches,
staff, services, clients with Spanish names, Mexican phones and e-mails, appointments over
past and future weeks, and a payment for every completed appointment.

Why it looks like this:
- Same seed, same ``today`` -> same rows, byte for byte: every id and every "random"
  choice comes from ``md5(seed:kind:n)``, in Python for the small tables and in SQL for
  the big ones, so no RNG state and no PostgreSQL-version-dependent hash is involved.
- Fast: clients, appointments and payments are made by the server with
  ``INSERT ... SELECT ... generate_series`` (no row crosses the wire); small tables go
  through COPY. Each derived table ends in ``OFFSET 0`` so PostgreSQL cannot flatten it:
  flattened, every reference to ``r`` or ``st`` re-ran the md5s (5x slower). Keys and
  indexes are dropped for the load and rebuilt after it, inside the same transaction
  (``_drop_keys``), so nobody sees the tables without them; each foreign key is then
  checked with one join instead of once per row.
- Prisma's conventions hold: cuid-shaped ids (``'c'`` + 24 hex chars, a subset of
  base36), ``"updatedAt"`` set, UTC timestamps computed from each tenant's time zone.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Sequence, TypeVar

from citaplanner_tui.core.app.schema import TABLES
from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.seed.data import TEMPLATES
from citaplanner_tui.core.seed.passwords import hash_password
from citaplanner_tui.core.seed.read import check_schema

if TYPE_CHECKING:
    from citaplanner_tui.core.pg.connect import Connection

_T = TypeVar("_T")

FIRST_NAMES = (
    "María",
    "José",
    "Guadalupe",
    "Juan",
    "Fernanda",
    "Luis",
    "Ana",
    "Carlos",
    "Sofía",
    "Miguel",
    "Valentina",
    "Jorge",
    "Camila",
    "Alejandro",
    "Ximena",
    "Diego",
    "Regina",
    "Ricardo",
    "Daniela",
    "Javier",
    "Mariana",
    "Eduardo",
    "Paola",
    "Fernando",
    "Andrea",
    "Roberto",
    "Lucía",
    "Arturo",
    "Renata",
    "Sergio",
    "Isabella",
    "Emiliano",
    "Natalia",
    "Héctor",
    "Gabriela",
    "Raúl",
    "Victoria",
    "Óscar",
    "Alejandra",
    "Santiago",
    "Mónica",
    "Iván",
    "Claudia",
    "Rodrigo",
    "Verónica",
    "Andrés",
    "Itzel",
    "Mateo",
)
LAST_NAMES = (
    "Hernández",
    "García",
    "Martínez",
    "López",
    "González",
    "Pérez",
    "Rodríguez",
    "Sánchez",
    "Ramírez",
    "Cruz",
    "Flores",
    "Gómez",
    "Morales",
    "Vázquez",
    "Reyes",
    "Jiménez",
    "Torres",
    "Díaz",
    "Gutiérrez",
    "Ruiz",
    "Mendoza",
    "Aguilar",
    "Ortiz",
    "Moreno",
    "Castillo",
    "Romero",
    "Álvarez",
    "Méndez",
    "Chávez",
    "Rivera",
    "Juárez",
    "Ramos",
    "Domínguez",
    "Herrera",
    "Medina",
    "Castro",
    "Vargas",
    "Guzmán",
    "Velázquez",
    "Rojas",
    "Contreras",
    "Salazar",
    "Luna",
    "Ortega",
    "Cervantes",
    "Núñez",
    "Ríos",
    "Estrada",
)
MAIL_DOMAINS = ("gmail.com", "hotmail.com", "outlook.com", "yahoo.com.mx", "icloud.com", "live.com.mx")
BUSINESSES = (
    "Estética Aurora",
    "Spa Luna Azul",
    "Barbería Don Bigote",
    "Salón Magnolia",
    "Centro de Belleza Jade",
    "Spa Agua Viva",
    "Estudio Coral",
    "Barbería La Navaja",
    "Salón Bugambilia",
    "Estética Orquídea",
    "Spa Cenote",
    "Salón Jacaranda",
)
# (city, time zone): the tenant's zone decides what "10:00 today" means in UTC.
CITIES = (
    ("Ciudad de México", "America/Mexico_City"),
    ("Guadalajara", "America/Mexico_City"),
    ("Monterrey", "America/Monterrey"),
    ("Cancún", "America/Cancun"),
    ("Tijuana", "America/Tijuana"),
    ("Puebla", "America/Mexico_City"),
    ("Mérida", "America/Merida"),
    ("Querétaro", "America/Mexico_City"),
)
STREETS = (
    "Av. Insurgentes Sur",
    "Calle Madero",
    "Av. Juárez",
    "Calle Hidalgo",
    "Av. Revolución",
    "Calle Morelos",
    "Av. Universidad",
    "Calle 5 de Mayo",
)
BRANCH_NAMES = (
    "Sucursal Centro",
    "Sucursal Norte",
    "Sucursal Sur",
    "Sucursal Poniente",
    "Sucursal Oriente",
    "Sucursal Plaza",
)
# (name, description, minutes, price MXN, colour)
SERVICES = (
    ("Corte de Cabello", "Corte y peinado", 45, 350.0, "#8B5CF6"),
    ("Tinte Completo", "Color de raíz a puntas", 120, 1100.0, "#EC4899"),
    ("Manicure", "Limpieza, forma y esmalte", 45, 280.0, "#F59E0B"),
    ("Pedicure Spa", "Pedicure con exfoliación", 60, 420.0, "#10B981"),
    ("Facial Hidratante", "Limpieza e hidratación profunda", 60, 850.0, "#3B82F6"),
    ("Masaje Relajante", "Masaje de cuerpo completo", 90, 1200.0, "#06B6D4"),
    ("Depilación con Cera", "Piernas completas", 40, 390.0, "#EF4444"),
    ("Arreglo de Barba", "Perfilado con navaja y toalla caliente", 30, 220.0, "#6366F1"),
)
STAFF_ROLES = ("ADMIN", "MANAGER", "RECEPTIONIST")
CLIENT_NOTES = (
    "Prefiere citas por la tarde",
    "Alergia a productos con fragancia",
    "Cliente frecuente",
    "Pide siempre a la misma estilista",
)
DEMO_PASSWORD = "demo123"
# Weeks of appointments before and after today.
PAST_WEEKS = 12
FUTURE_WEEKS = 4
# Bytes of plain SQL dump per row, measured with ``pg_dump -a -t <table> | wc -c`` on
# 1 M clients / 5 M appointments / 2.6 M payments of generated data (PostgreSQL 18).
DUMP_BYTES_PER_CLIENT = 183
DUMP_BYTES_PER_APPOINTMENT = 271
DUMP_BYTES_PER_PAYMENT = 217
# Completed share of all appointments (3/4 of the window is past, 70 % of past ones complete).
PAYMENTS_PER_APPOINTMENT = 0.525


@dataclass(frozen=True)
class DemoSize:
    """How much to generate: the three numbers ``generate`` takes."""

    tenants: int
    clients: int
    appointments: int


def size_for_dump_mb(megabytes: float, *, appointments_per_client: int = 5) -> DemoSize:
    """The sizes whose plain ``pg_dump`` is about ``megabytes`` MB (1 GB -> ~0.5 M clients).

    A client costs its own row, ``appointments_per_client`` appointments and the payments of
    the completed ones; the small tables are noise at these sizes.
    """
    per_client = DUMP_BYTES_PER_CLIENT + appointments_per_client * (
        DUMP_BYTES_PER_APPOINTMENT + PAYMENTS_PER_APPOINTMENT * DUMP_BYTES_PER_PAYMENT
    )
    clients = max(1, int(megabytes * 1024 * 1024 / per_client))
    tenants = max(1, min(200, clients // 20000))
    return DemoSize(tenants, clients, clients * appointments_per_client)


def demo_id(seed: int, kind: str, n: int | str) -> str:
    """The id row ``n`` of ``kind`` gets; ``_sql_id`` computes the same in SQL."""
    return "c" + hashlib.md5(f"{seed}:{kind}:{n}".encode()).hexdigest()[:24]


def _sql_id(kind: str, expr: str) -> str:
    return f"'c' || substr(md5(%(seed)s || ':{kind}:' || ({expr})), 1, 24)"


def _pick(seq: Sequence[_T], seed: int, *key: object) -> _T:
    digest = hashlib.md5(":".join(map(str, (seed, *key))).encode()).digest()
    return seq[int.from_bytes(digest[:4], "big") % len(seq)]


def ascii_slug(text: str, sep: str = "") -> str:
    """'Estética Aurora' -> 'esteticaaurora' (for e-mail addresses and subdomains)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return sep.join("".join(c for c in word if c.isalnum()) for word in plain.lower().split())


@dataclass(frozen=True)
class _Shape:
    seed: int
    tenants: int
    branches: int
    professionals: int
    today: date

    @property
    def staff(self) -> int:
        return len(STAFF_ROLES) + self.professionals

    @property
    def base(self) -> datetime:
        """When the demo businesses were 'created': a bit over a year before today."""
        return datetime.combine(self.today - timedelta(days=400), time(9, 0))


def generate(
    conn: Connection,
    *,
    tenants: int = 3,
    clients: int = 3000,
    appointments: int = 15000,
    seed: int = 42,
    branches: int = 2,
    professionals: int = 4,
    today: date | None = None,
) -> dict[str, int]:
    """Fill the database behind ``conn`` with demo data; returns rows added per table.

    ``branches`` and ``professionals`` are per tenant; clients and appointments are totals
    spread over the tenants. ``today`` (default: today in UTC) anchors the appointments, so
    a fixed ``today`` gives identical content. Runs in one transaction.
    """
    if min(tenants, branches, professionals) < 1 or clients < 0 or appointments < 0:
        raise ValueError("tenants, branches and professionals must be at least 1")
    if appointments and not clients:
        raise ValueError("appointments need clients")
    shape = _Shape(seed, tenants, branches, professionals, today or datetime.now(timezone.utc).date())
    check_schema(conn)
    if conn.execute("SELECT 1 FROM tenants WHERE id = %s", (demo_id(seed, "tenant", 0),)).fetchone():
        raise OperatorError(say("this database already has the demo data of seed {seed}", seed=seed))
    with conn.transaction():
        conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
        restore = _drop_keys(conn)
        counts = _copy_small_tables(conn, shape)
        counts["clients"] = _insert_clients(conn, shape, clients)
        counts["appointments"] = _insert_appointments(conn, shape, clients, appointments)
        counts["payments"] = _insert_payments(conn, shape)
        for statement in restore:
            conn.execute(statement)
    for table in counts:
        conn.execute(f'ANALYZE "{table}"')
    return counts


def _drop_keys(conn: Connection) -> list[str]:
    """Drop the app tables' foreign keys, keys and indexes; return the statements that restore them.

    Loading into bare heaps and then building each index once by sorting is about twice as
    fast as updating a primary key on random cuids row by row; the foreign keys come back
    last and PostgreSQL validates each with one join over the whole table.
    """
    names = [f'"{t}"' for t in TABLES] + list(TABLES)
    foreign = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND (conrelid::regclass::text = ANY(%s) OR confrelid::regclass::text = ANY(%s))",
        (names, names),
    ).fetchall()
    keys = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype IN ('p', 'u') AND conrelid::regclass::text = ANY(%s)",
        (names,),
    ).fetchall()
    indexes = conn.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
        "WHERE indrelid::regclass::text = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        (names,),
    ).fetchall()
    for table, name, _definition in foreign + keys:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        conn.execute(f"DROP INDEX {name}")
    return (
        [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in keys]
        + [definition for _name, definition in indexes]
        + [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in foreign]
    )


def _copy(conn: Connection, table: str, columns: tuple[str, ...], rows: Sequence[tuple[object, ...]]) -> int:
    names = ", ".join(f'"{c}"' for c in columns)
    with conn.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
    return len(rows)


def _copy_small_tables(conn: Connection, s: _Shape) -> dict[str, int]:
    """Tenants, branches, staff, services, assignments, hours, templates: built in Python."""
    stamp = s.base
    password = hash_password(DEMO_PASSWORD, salt=_fixed_salt(s.seed))
    tenants, branches, users, services, assignments, hours, templates = ([] for _ in range(7))
    for t in range(s.tenants):
        name = BUSINESSES[t % len(BUSINESSES)]
        if t >= len(BUSINESSES):
            name += f" {t // len(BUSINESSES) + 1}"
        domain = f"{ascii_slug(name)}{t + 1}.mx"
        city, zone = CITIES[t % len(CITIES)]
        tid = demo_id(s.seed, "tenant", t)
        street = _pick(STREETS, s.seed, "street", t)
        tenants.append(
            (
                tid,
                name,
                f"contacto@{domain}",
                _phone(s.seed, "tenant", t),
                f"{street} {100 + t % 800}",
                city,
                zone,
                ascii_slug(name, "-") + f"-{t + 1}",
                stamp,
                stamp,
            )
        )
        for b in range(s.branches):
            bid = demo_id(s.seed, "branch", t * s.branches + b)
            bname = BRANCH_NAMES[b % len(BRANCH_NAMES)] + (f" {b + 1}" if b >= len(BRANCH_NAMES) else "")
            branches.append(
                (
                    bid,
                    bname,
                    f"{_pick(STREETS, s.seed, 'bstreet', t, b)} {20 + b}",
                    _phone(s.seed, "branch", t * s.branches + b),
                    f"{ascii_slug(bname, '.')}@{domain}",
                    tid,
                    stamp,
                    stamp,
                )
            )
            for day in range(1, 7):
                start, end = ("10:00", "16:00") if day == 6 else ("09:00", "18:00")
                hours.append(
                    (demo_id(s.seed, "hours", (t * s.branches + b) * 6 + day), day, start, end, bid, stamp, stamp)
                )
        for k in range(s.staff):
            first = _pick(FIRST_NAMES, s.seed, "staff-first", t, k)
            last = _pick(LAST_NAMES, s.seed, "staff-last", t, k)
            role = STAFF_ROLES[k] if k < len(STAFF_ROLES) else "PROFESSIONAL"
            users.append(
                (
                    demo_id(s.seed, "user", t * s.staff + k),
                    f"{ascii_slug(first)}.{ascii_slug(last)}{k + 1}@{domain}",
                    password,
                    first,
                    last,
                    _phone(s.seed, "user", t * s.staff + k),
                    role,
                    tid,
                    demo_id(s.seed, "branch", t * s.branches + k % s.branches),
                    stamp,
                    stamp,
                )
            )
        for i, (sname, desc, minutes, price, colour) in enumerate(SERVICES):
            sid = demo_id(s.seed, "service", t * len(SERVICES) + i)
            services.append((sid, sname, desc, minutes, price, colour, tid, stamp, stamp))
            for p in {i % s.professionals, (i + 1) % s.professionals}:
                uid = demo_id(s.seed, "user", t * s.staff + len(STAFF_ROLES) + p)
                assignments.append(
                    (demo_id(s.seed, "assign", f"{sid}:{uid}"), sid, uid, float(30 + 5 * ((i + p) % 5)), stamp)
                )
        for i, tpl in enumerate(TEMPLATES):
            templates.append(
                (
                    demo_id(s.seed, "template", t * len(TEMPLATES) + i),
                    tpl.name,
                    tpl.type,
                    tpl.channel,
                    tpl.subject,
                    tpl.message,
                    tpl.is_active,
                    tpl.is_default,
                    tid,
                    stamp,
                    stamp,
                )
            )
    stamps = ("createdAt", "updatedAt")
    return {
        "tenants": _copy(
            conn,
            "tenants",
            ("id", "name", "email", "phone", "address", "city", "timezone", "subdomain", *stamps),
            tenants,
        ),
        "branches": _copy(conn, "branches", ("id", "name", "address", "phone", "email", "tenantId", *stamps), branches),
        "users": _copy(
            conn,
            "users",
            ("id", "email", "password", "firstName", "lastName", "phone", "role", "tenantId", "branchId", *stamps),
            users,
        ),
        "services": _copy(
            conn, "services", ("id", "name", "description", "duration", "price", "color", "tenantId", *stamps), services
        ),
        "service_users": _copy(
            conn, "service_users", ("id", "serviceId", "userId", "commission", "createdAt"), assignments
        ),
        "working_hours": _copy(
            conn, "working_hours", ("id", "dayOfWeek", "startTime", "endTime", "branchId", *stamps), hours
        ),
        "notification_templates": _copy(
            conn,
            "notification_templates",
            ("id", "name", "type", "channel", "subject", "message", "isActive", "isDefault", "tenantId", *stamps),
            templates,
        ),
    }


def _fixed_salt(seed: int) -> bytes:
    """A bcrypt salt derived from the seed, so staff password hashes are reproducible too."""
    alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    digest = hashlib.sha256(f"salt:{seed}".encode()).digest()
    # The 22nd character carries only 2 bits; bcrypt uses one of '.', 'O', 'e', 'u' there.
    body = "".join(alphabet[b % 64] for b in digest[:21]) + ".Oeu"[digest[21] % 4]
    return f"$2b$10${body}".encode()


def _phone(seed: int, kind: str, n: int) -> str:
    digits = int(hashlib.md5(f"{seed}:{kind}-phone:{n}".encode()).hexdigest()[:8], 16) % 10**8
    return f"+52 55 {digits // 10000:04d} {digits % 10000:04d}"


# A client's phone: a bijection of its number modulo 10^8 (the multiplier is coprime with
# 10^8), so phones never repeat and (phone, tenantId) stays unique.
_CLIENT_PHONE = "((n::bigint + %(seed)s::bigint * 7919) * 37139213) %% 100000000"


def _insert_clients(conn: Connection, s: _Shape, count: int) -> int:
    if not count:
        return 0
    nf, nl, nd, nn = len(FIRST_NAMES), len(LAST_NAMES), len(MAIL_DOMAINS), len(CLIENT_NOTES)
    sql = f"""
    INSERT INTO clients (id, "firstName", "lastName", email, phone, address, notes, "tenantId",
                         "createdAt", "updatedAt")
    SELECT 'c' || substr(m, 1, 24), fn[1 + r %% {nf}],
           ln[1 + (r / {nf}) %% {nl}] || ' ' || ln[1 + (r / {nf * nl}) %% {nl}],
           fa[1 + r %% {nf}] || '.' || la[1 + (r / {nf}) %% {nl}] || n || '@'
               || dom[1 + (r / {nf * nl * nl}) %% {nd}],
           '+52 55 ' || lpad((p / 10000)::text, 4, '0') || ' ' || lpad((p %% 10000)::text, 4, '0'),
           CASE WHEN r %% 3 = 0 THEN st[1 + r %% {len(STREETS)}] || ' ' || (1 + r %% 990) END,
           CASE WHEN r %% 11 = 0 THEN notes[1 + (r / 11) %% {nn}] END,
           {_sql_id("tenant", "n %% %(tenants)s")},
           %(base)s + (r %% 365) * interval '1 day', %(base)s + (r %% 365) * interval '1 day'
    FROM (SELECT n, m, ('x' || substr(m, 25, 7))::bit(28)::int AS r, {_CLIENT_PHONE} AS p
          FROM (SELECT n, md5(%(seed)s || ':client:' || n) AS m
                FROM generate_series(0, %(count)s - 1) n OFFSET 0) g OFFSET 0) x,
         (SELECT %(fn)s::text[] fn, %(ln)s::text[] ln, %(fa)s::text[] fa, %(la)s::text[] la,
                 %(dom)s::text[] dom, %(st)s::text[] st, %(notes)s::text[] notes) k
    """
    return conn.execute(
        sql,
        {
            "seed": str(s.seed),
            "tenants": s.tenants,
            "count": count,
            "base": s.base,
            "fn": list(FIRST_NAMES),
            "ln": list(LAST_NAMES),
            "fa": [ascii_slug(x) for x in FIRST_NAMES],
            "la": [ascii_slug(x) for x in LAST_NAMES],
            "dom": list(MAIL_DOMAINS),
            "st": list(STREETS),
            "notes": list(CLIENT_NOTES),
        },
    ).rowcount


def _insert_appointments(conn: Connection, s: _Shape, clients: int, count: int) -> int:
    """Appointment n: client n % clients, a random day in the window, slot, service, status.

    Times are local wall-clock times in the tenant's zone (09:00-17:45 in 15-minute slots),
    stored as UTC like Prisma does. Past ones are mostly COMPLETED, future ones PENDING or
    CONFIRMED; the professional is one assigned to the service.
    """
    if not count:
        return 0
    days = 7 * (PAST_WEEKS + FUTURE_WEEKS)
    ns = len(SERVICES)
    tenant = "(n %% %(clients)s) %% %(tenants)s"
    sql = f"""
    INSERT INTO appointments (id, "startTime", "endTime", status, notes, "tenantId", "branchId",
                              "clientId", "serviceId", "userId", "createdAt", "updatedAt")
    SELECT id, st, st + dur[1 + sv] * interval '1 minute', status, notes,
           {_sql_id("tenant", "t")}, {_sql_id("branch", "t * %(branches)s + b")},
           {_sql_id("client", "n %% %(clients)s")}, {_sql_id("service", f"t * {ns} + sv")},
           {_sql_id("user", f"t * %(staff)s + {len(STAFF_ROLES)} + sv %% %(pros)s")},
           LEAST(st - interval '5 days', %(now)s), LEAST(st - interval '5 days', %(now)s)
    FROM (SELECT n, t, id, sv, b, notes,
                 ((%(today)s::date + dy) + interval '9 hours' + slot * interval '15 minutes')
                     AT TIME ZONE zones[1 + t %% {len(CITIES)}] AT TIME ZONE 'UTC' AS st,
                 (CASE WHEN dy < 0 THEN (CASE WHEN q < 14 THEN 'COMPLETED' WHEN q < 18
                       THEN 'CANCELLED' ELSE 'NO_SHOW' END)
                       ELSE (CASE WHEN q < 12 THEN 'CONFIRMED' ELSE 'PENDING' END) END
                 )::"AppointmentStatus" AS status, dur, zones
          FROM (SELECT n, {tenant} AS t, 'c' || substr(m, 1, 24) AS id,
                       r %% {days} - {7 * PAST_WEEKS} AS dy, (r / {days}) %% 36 AS slot,
                       (r / {days * 36}) %% {ns} AS sv, (r / {days * 36 * ns}) %% 20 AS q,
                       (r / {days * 36 * ns * 20}) %% %(branches)s AS b,
                       CASE WHEN r %% 13 = 0 THEN 'Primera visita' END AS notes
                FROM (SELECT n, m, ('x' || substr(m, 25, 7))::bit(28)::int AS r
                      FROM (SELECT n, md5(%(seed)s || ':appointment:' || n) AS m
                            FROM generate_series(0, %(count)s - 1) n OFFSET 0) g OFFSET 0) x
                OFFSET 0) y,
               (SELECT %(dur)s::int[] dur, %(zones)s::text[] zones) k OFFSET 0) z
    """
    return conn.execute(
        sql,
        {
            "seed": str(s.seed),
            "tenants": s.tenants,
            "clients": clients,
            "count": count,
            "branches": s.branches,
            "staff": s.staff,
            "pros": s.professionals,
            "today": s.today,
            "now": datetime.combine(s.today, time(12, 0)),
            "dur": [x[2] for x in SERVICES],
            "zones": [z for _, z in CITIES],
        },
    ).rowcount


def _insert_payments(conn: Connection, s: _Shape) -> int:
    """One payment per completed appointment of our tenants, made at its end by the receptionist."""
    receptionist = len(STAFF_ROLES) - 1
    tenant_ids = [demo_id(s.seed, "tenant", t) for t in range(s.tenants)]
    reception = [demo_id(s.seed, "user", t * s.staff + receptionist) for t in range(s.tenants)]
    sql = """
    INSERT INTO payments (id, amount, "paymentMethod", status, "tenantId", "branchId", "clientId",
                          "appointmentId", "userId", "createdAt", "updatedAt")
    SELECT 'c' || substr(md5(%(seed)s || ':payment:' || a.id), 1, 24), sv.price,
           (ARRAY['CASH', 'CASH', 'CASH', 'CASH', 'CREDIT_CARD', 'CREDIT_CARD', 'CREDIT_CARD',
                  'DEBIT_CARD', 'DEBIT_CARD', 'TRANSFER'])[1 + ('x' || substr(a.id, 20, 6))::bit(24)::int %% 10]
               ::"PaymentMethod",
           'PAID', a."tenantId", a."branchId", a."clientId", a.id, r.uid, a."endTime", a."endTime"
    FROM appointments a
    JOIN unnest(%(tenants)s::text[], %(reception)s::text[]) AS r(tid, uid) ON r.tid = a."tenantId"
    JOIN services sv ON sv.id = a."serviceId"
    WHERE a.status = 'COMPLETED'
    """
    return conn.execute(sql, {"seed": str(s.seed), "tenants": tenant_ids, "reception": reception}).rowcount
