"""PostgreSQL: connection strings (``conninfo``), connecting (``connect``), and the client
tools (``tools``: pg_dump, psql, ... of the right major version)."""
