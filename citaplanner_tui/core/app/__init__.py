"""CitaPlanner itself: its Prisma schema (``schema.sql``, read by ``schema``), used by the
demo, the tests and the seed."""
