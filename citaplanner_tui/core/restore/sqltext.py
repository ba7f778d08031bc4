"""Quoting for SQL text we write ourselves.

The restore streams SQL into psql (the schema reset, the row-count check) and runs
utility statements (CREATE/ALTER/DROP DATABASE) that take no bind parameters, so
identifiers and literals are quoted here, the way PostgreSQL's quote_ident and
quote_literal do (standard_conforming_strings is on in every supported server).
"""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_role(name: str) -> str:
    """A role in GRANT/REVOKE: the PUBLIC keyword stays bare, any other name is quoted."""
    return "PUBLIC" if name == "PUBLIC" else quote_ident(name)


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
