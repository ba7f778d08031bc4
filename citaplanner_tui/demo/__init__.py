"""The ``--demo`` console's world, outside the core (which never imports it): a local
PostgreSQL server (``server``), CitaPlanner-shaped data (``data``), and a volume of
backups built from them (``volume``)."""
