"""`epoch_micros(column)`: a timestamp column as integer microseconds since 1970 (UTC), computed
by the database, so that loading a million timestamps needs no Python datetime objects.

Timestamps are stored as naive UTC (see `queries.schema.UTCDateTime`), so each dialect only
counts microseconds from 1970-01-01 00:00:00 without any time zone conversion.
"""
from __future__ import annotations

from sqlalchemy import BigInteger
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class epoch_micros(FunctionElement):  # noqa: N801 (reads like the SQL function it stands for)
    """Microseconds since 1970-01-01 00:00:00 of a naive-UTC timestamp column; NULL stays NULL."""

    type = BigInteger()
    name = "epoch_micros"
    inherit_cache = True


@compiles(epoch_micros, "sqlite")
def _sqlite(element, compiler, **kw):
    # Stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]': whole seconds from strftime, then the fraction
    # padded to six digits (a shorter or missing fraction reads as its microseconds).
    column = compiler.process(element.clauses, **kw)
    return (f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000"
            f" + CAST(substr({column} || '000000', 21, 6) AS INTEGER))")


@compiles(epoch_micros, "postgresql")
def _postgresql(element, compiler, **kw):
    # EXTRACT(EPOCH) of a timestamp without time zone ignores the session's time zone.
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) * 1000000 AS BIGINT)"


@compiles(epoch_micros, "mysql")
@compiles(epoch_micros, "mariadb")
def _mysql(element, compiler, **kw):
    # TIMESTAMPDIFF on DATETIME values is free of the session's time zone (UNIX_TIMESTAMP is not).
    return f"TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', {compiler.process(element.clauses, **kw)})"


@compiles(epoch_micros)
def _other(element, compiler, **kw):
    raise NotImplementedError(f"epoch_micros has no rule for the {compiler.dialect.name} dialect")
