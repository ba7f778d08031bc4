"""The seed's 10 notification templates (6 WHATSAPP, 4 PUSH).

The reference lists only their count, channels and fields (name, type, channel, subject
for PUSH, a message with ``{{vars}}``, active, default); their wording is not recorded,
so the messages below are our own plausible Spanish texts using the app's variables.
"""

from __future__ import annotations

# (name, type, channel, subject, message)
TEMPLATES: tuple[tuple[str, str, str, str | None, str], ...] = (
    ("Confirmación de cita WhatsApp", "APPOINTMENT_CONFIRMATION", "WHATSAPP", None,
     "Hola {{clientName}}, tu cita de {{serviceName}} quedó confirmada para el {{appointmentDate}} "
     "a las {{appointmentTime}} en {{branchName}}. ¡Te esperamos!"),
    ("Recordatorio de cita WhatsApp", "APPOINTMENT_REMINDER", "WHATSAPP", None,
     "Hola {{clientName}}, te recordamos tu cita de {{serviceName}} mañana {{appointmentDate}} "
     "a las {{appointmentTime}} con {{professionalName}}. Responde SI para confirmar."),
    ("Cancelación de cita WhatsApp", "APPOINTMENT_CANCELLATION", "WHATSAPP", None,
     "Hola {{clientName}}, tu cita de {{serviceName}} del {{appointmentDate}} fue cancelada. "
     "Escríbenos para agendar una nueva fecha."),
    ("Reprogramación de cita WhatsApp", "APPOINTMENT_RESCHEDULE", "WHATSAPP", None,
     "Hola {{clientName}}, tu cita de {{serviceName}} se movió al {{appointmentDate}} "
     "a las {{appointmentTime}}. Si no te queda, contáctanos."),
    ("Promoción WhatsApp", "PROMOTION", "WHATSAPP", None,
     "¡Hola {{clientName}}! Este mes en {{businessName}} tienes {{discount}} de descuento en "
     "{{serviceName}}. Agenda tu cita respondiendo este mensaje."),
    ("Recordatorio de pago WhatsApp", "PAYMENT_REMINDER", "WHATSAPP", None,
     "Hola {{clientName}}, tienes un saldo pendiente de {{amount}} por {{serviceName}}. "
     "Puedes pagarlo en tu próxima visita a {{branchName}}."),
    ("Confirmación de cita Push", "APPOINTMENT_CONFIRMATION", "PUSH", "Cita confirmada",
     "{{serviceName}} el {{appointmentDate}} a las {{appointmentTime}} en {{branchName}}."),
    ("Recordatorio de cita Push", "APPOINTMENT_REMINDER", "PUSH", "Tu cita es mañana",
     "{{serviceName}} con {{professionalName}} a las {{appointmentTime}}."),
    ("Cancelación de cita Push", "APPOINTMENT_CANCELLATION", "PUSH", "Cita cancelada",
     "Tu cita de {{serviceName}} del {{appointmentDate}} fue cancelada."),
    ("Reprogramación de cita Push", "APPOINTMENT_RESCHEDULE", "PUSH", "Cita reprogramada",
     "Tu cita de {{serviceName}} ahora es el {{appointmentDate}} a las {{appointmentTime}}."),
)
