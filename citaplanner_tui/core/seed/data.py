"""CitaPlanner's seed (``app/scripts/seed.ts``) as data, with the reference's values.

What is ours rather than the reference's: the reference gives no text for the services'
descriptions, the clients' addresses and two notes, the two appointment notes, nor the
templates (``templates.py``), so those are plausible Spanish texts; the original picked each
payment's method at random, here it is fixed per payment.

Keys: each kind names its *natural key* (how the seed decides a row already exists, as
the original looked it up) and the *unique keys* the database enforces (the ones a create
can collide with): users.email is unique across tenants, clients are unique on
(phone, tenantId), service_users on (serviceId, userId); tenants, branches, services and
templates have no unique key, which is why the apply takes a lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from citaplanner_tui.core.seed.templates import TEMPLATES


@dataclass(frozen=True)
class Kind:
    """One kind of seed row: its table, natural key, enforced unique keys, compared columns."""

    name: str
    table: str
    natural_key: tuple[str, ...]
    unique_keys: tuple[tuple[str, ...], ...]
    compared: tuple[str, ...]


TENANT = Kind("tenant", "tenants", ("email",), (), ("name", "phone", "address", "city", "country"))
BRANCH = Kind("branch", "branches", ("tenantId", "email"), (), ("name", "address", "phone"))
USER = Kind("user", "users", ("email",), (("email",),),
            ("firstName", "lastName", "role", "phone", "tenantId", "branchId"))
SERVICE = Kind("service", "services", ("tenantId", "name"), (),
               ("description", "duration", "price", "color"))
ASSIGNMENT = Kind("assignment", "service_users", ("serviceId", "userId"), (("serviceId", "userId"),),
                  ("commission",))
CLIENT = Kind("client", "clients", ("tenantId", "email"), (("phone", "tenantId"),),
              ("firstName", "lastName", "phone", "address", "notes"))
HOURS = Kind("hours", "working_hours", ("branchId", "dayOfWeek"), (), ())
APPOINTMENT = Kind("appointment", "appointments", (), (), ())
PAYMENT = Kind("payment", "payments", (), (), ())
TEMPLATE = Kind("template", "notification_templates", ("tenantId", "name", "type", "channel"), (),
                ("subject", "message", "isActive", "isDefault"))
KINDS = (TENANT, BRANCH, USER, SERVICE, ASSIGNMENT, CLIENT, HOURS, APPOINTMENT, PAYMENT, TEMPLATE)

# Columns each table must have for the seed to read and write it (checked before any query).
COLUMNS: dict[str, tuple[str, ...]] = {
    "tenants": ("id", "name", "email", "phone", "address", "city", "country", "timezone",
                "createdAt", "updatedAt"),
    "branches": ("id", "name", "address", "phone", "email", "tenantId", "createdAt", "updatedAt"),
    "users": ("id", "email", "password", "firstName", "lastName", "phone", "role", "tenantId",
              "branchId", "createdAt", "updatedAt"),
    "services": ("id", "name", "description", "duration", "price", "color", "tenantId",
                 "createdAt", "updatedAt"),
    "service_users": ("id", "serviceId", "userId", "commission", "createdAt"),
    "clients": ("id", "firstName", "lastName", "email", "phone", "address", "notes", "tenantId",
                "createdAt", "updatedAt"),
    "working_hours": ("id", "dayOfWeek", "startTime", "endTime", "branchId", "userId",
                      "createdAt", "updatedAt"),
    "appointments": ("id", "startTime", "endTime", "status", "notes", "tenantId", "branchId",
                     "clientId", "serviceId", "userId", "createdAt", "updatedAt"),
    "payments": ("id", "amount", "paymentMethod", "status", "tenantId", "branchId", "clientId",
                 "appointmentId", "userId", "createdAt", "updatedAt"),
    "notification_templates": ("id", "name", "type", "channel", "subject", "message", "isActive",
                               "isDefault", "tenantId", "createdAt", "updatedAt"),
}

DEFAULT_TIMEZONE = "America/Mexico_City"

TENANT_ROW = {"name": "Bella Vita Spa & Wellness", "email": "contacto@bellavita.com",
              "phone": "+52 55 1234 5678", "address": "Avenida Reforma 123, Col. Centro",
              "city": "Ciudad de México", "country": "México"}
BRANCH_ROW = {"name": "Sucursal Centro", "email": "centro@bellavita.com",
              "address": TENANT_ROW["address"], "phone": TENANT_ROW["phone"]}


@dataclass(frozen=True)
class User:
    email: str
    password: str
    role: str
    first_name: str
    last_name: str
    phone: str


USERS = (
    User("admin@citaplanner.com", "admin123", "ADMIN", "Administrador", "Principal", "+52 55 1111 1111"),
    User("manager@citaplanner.com", "manager123", "MANAGER", "Gerente", "de Sucursal", "+52 55 2222 2222"),
    User("pro1@citaplanner.com", "prof123", "PROFESSIONAL", "Estilista", "Senior", "+52 55 3333 3333"),
    User("pro2@citaplanner.com", "prof123", "PROFESSIONAL", "Barbero", "Profesional", "+52 55 4444 4444"),
    User("recepcionista@citaplanner.com", "prof123", "RECEPTIONIST", "Recepcionista", "Principal",
         "+52 55 5555 5555"),
)
PASSWORDS = {u.email: u.password for u in USERS}
RECEPTIONIST = "recepcionista@citaplanner.com"


@dataclass(frozen=True)
class Service:
    name: str
    description: str
    duration: int
    price: float
    color: str
    professional: str  # e-mail of the professional assigned to it
    commission: float


SERVICES = (
    Service("Facial Hidratante", "Tratamiento facial de hidratación profunda", 60, 850.0, "#3B82F6",
            "pro1@citaplanner.com", 40.0),
    Service("Masaje Relajante", "Masaje de cuerpo completo para aliviar el estrés", 90, 1200.0, "#10B981",
            "pro2@citaplanner.com", 35.0),
    Service("Manicure y Pedicure", "Cuidado completo de manos y pies", 120, 650.0, "#F59E0B",
            "pro1@citaplanner.com", 30.0),
    Service("Corte de Cabello", "Corte y estilizado profesional", 45, 450.0, "#8B5CF6",
            "pro2@citaplanner.com", 50.0),
    Service("Limpieza Facial Profunda", "Limpieza facial con extracción y mascarilla", 75, 950.0,
            "#EF4444", "pro1@citaplanner.com", 45.0),
    Service("Masaje Terapéutico", "Masaje para aliviar tensión muscular", 60, 1000.0, "#06B6D4",
            "pro2@citaplanner.com", 40.0),
)


@dataclass(frozen=True)
class Client:
    first_name: str
    last_name: str
    email: str
    phone: str
    address: str
    notes: str | None


CLIENTS = (
    Client("Isabella", "Torres", "isabella.torres@email.com", "+52 55 1111 0001",
           "Calle Durango 45, Col. Roma Norte", "Cliente VIP, prefiere citas por la mañana"),
    Client("Diego", "Hernández", "diego.hernandez@email.com", "+52 55 1111 0002",
           "Av. Insurgentes Sur 820, Col. Del Valle", None),
    Client("Sofía", "Ramírez", "sofia.ramirez@email.com", "+52 55 1111 0003",
           "Calle Ámsterdam 102, Col. Condesa", "Alérgica a productos con parabenos"),
    Client("Alejandro", "Morales", "alejandro.morales@email.com", "+52 55 1111 0004",
           "Calle Eugenia 310, Col. Narvarte", None),
    Client("Camila", "Vega", "camila.vega@email.com", "+52 55 1111 0005",
           "Av. Coyoacán 1500, Col. Del Valle", None),
    Client("Fernando", "Castro", "fernando.castro@email.com", "+52 55 1111 0006",
           "Calle Tabasco 88, Col. Roma Norte", None),
)

# (dayOfWeek with 0 = Sunday, start, end): Monday to Friday 09-18, Saturday 10-16, branch-wide.
WORKING_HOURS = tuple((d, "09:00", "18:00") for d in range(1, 6)) + ((6, "10:00", "16:00"),)


@dataclass(frozen=True)
class Appointment:
    day: int          # days from today, in the tenant's time zone
    start: str        # local wall-clock time
    end: str
    client: int       # index into CLIENTS
    service: int      # index into SERVICES
    professional: str
    status: str
    notes: str | None
    payment_method: str | None  # completed ones are paid: fixed here, random in the original


APPOINTMENTS = (
    Appointment(0, "10:00", "11:00", 0, 0, "pro1@citaplanner.com", "CONFIRMED",
                "Cliente VIP: confirmar un día antes", None),
    Appointment(0, "14:00", "15:30", 1, 1, "pro2@citaplanner.com", "PENDING", None, None),
    Appointment(1, "11:00", "12:15", 2, 4, "pro1@citaplanner.com", "CONFIRMED", None, None),
    Appointment(-3, "10:00", "12:00", 3, 2, "pro1@citaplanner.com", "COMPLETED",
                "Servicio completado, cliente satisfecho", "CREDIT_CARD"),
    Appointment(-2, "15:00", "16:00", 4, 5, "pro2@citaplanner.com", "COMPLETED", None, "CASH"),
    Appointment(-1, "13:00", "13:45", 5, 3, "pro2@citaplanner.com", "COMPLETED", None, "CASH"),
)

__all__ = ["KINDS", "COLUMNS", "TENANT_ROW", "BRANCH_ROW", "USERS", "SERVICES", "CLIENTS",
           "WORKING_HOURS", "APPOINTMENTS", "TEMPLATES", "PASSWORDS", "RECEPTIONIST"]
