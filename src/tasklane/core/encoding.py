"""How the API writes JSON: orjson, with every timestamp as RFC 3339 in UTC ending in ``Z``."""

from __future__ import annotations

from typing import Any

import orjson

#: Naive datetimes are UTC (MariaDB and SQLite columns hold them so) and UTC ones are written
#: with a ``Z``. A datetime with another offset keeps it: bring it to UTC first.
OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z


def dumps(payload: Any) -> bytes:
    return orjson.dumps(payload, option=OPTIONS)
