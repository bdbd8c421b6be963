"""Structured logs: one JSON object a line, for a log collector (LOG_FORMAT=json).

Each line has the time (UTC, ISO 8601), level, logger, message and process, the exception's
traceback when there is one, and the extra fields a call passed (`logger.info(..., extra={})`)
that JSON can hold. Messages are the same as the plain lines: nothing secret is in either.
"""

import json
import logging
from datetime import UTC, datetime

# The attributes every LogRecord has; anything else on a record was passed as `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_") and name not in entry:
                entry[name] = value if _plain(value) else repr(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _plain(value) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)
