"""JSON logs, one object a line, with the request id of the request being served."""

import asyncio
import json
import logging
import sys
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from shared.tracecontext import current_trace_id

ACCESS_LOGGER = "access"
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_RESERVED = {*logging.LogRecord("", 0, "", 0, "", None, None).__dict__, "message", "asctime", "color_message"}
# json.dumps with any option makes a new encoder (and its C scanner) on every call: one, made once.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


class JsonFormatter(logging.Formatter):
    """Formats records as JSON; Korean text stays readable (ensure_ascii=False)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service
        self._second: tuple[int, str] = (-1, "")  # one tuple: a thread sees both parts of the same second

    def _timestamp(self, created: float) -> str:
        """`datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")`, the part up to the
        second made once a second (each access log line paid for the whole of it)."""
        second = int(created)
        micros = round((created - second) * 1_000_000)  # rounded as datetime.fromtimestamp does
        if micros >= 1_000_000:
            second, micros = second + 1, micros - 1_000_000
        cached = self._second
        if cached[0] != second:
            cached = self._second = (
                second,
                datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            )
        return f"{cached[1]}.{micros // 1000:03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        entry = self._entry(record.created, record.levelname.lower(), record.name, record.getMessage())
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return _ENCODER.encode(entry)

    def access_line(self, created: float, message: str, fields: dict[str, Any]) -> str:
        """The line `format` makes of an INFO record of the `access` logger with `fields` as its extras."""
        entry = self._entry(created, "info", ACCESS_LOGGER, message)
        entry.update(fields)
        return _ENCODER.encode(entry)

    def _entry(self, created: float, level: str, logger: str, message: str) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "ts": self._timestamp(created),
            "level": level,
            "service": self.service,
            "logger": logger,
            "msg": message,
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        trace_id = current_trace_id()
        if trace_id:
            entry["trace_id"] = trace_id
        return entry


class AccessLog:
    """Each request's access line: the `access` logger's INFO record as `JsonFormatter` writes it.

    While logging is as `configure_logging` left it (the root's one handler ours, no filter anywhere, the
    `access` logger without handlers of its own), the line is written straight to the handler's stream, under
    its lock, and the stream is flushed once per turn of the event loop instead of once per line: the same
    text, in the same order with every other line on that stream, without a `LogRecord` and the logging
    machinery's calls (~23 µs of a ~100 µs request, measured in process). Otherwise (a test's capturing
    handler, a filter) the line goes through `logging` as any other."""

    def __init__(self) -> None:
        self.logger = logging.getLogger(ACCESS_LOGGER)
        self._flush_loop: asyncio.AbstractEventLoop | None = None

    def write(self, message: str, fields: dict[str, Any]) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        handler = self._direct_handler()
        if handler is None:
            self.logger.info(message, extra=fields)
            return
        formatter = handler.formatter
        assert isinstance(formatter, JsonFormatter)
        line = formatter.access_line(time.time(), message, fields)
        try:
            with handler.lock:  # type: ignore[union-attr]  # made by Handler.__init__
                handler.stream.write(line + handler.terminator)
        except Exception:  # as a handler's own failure: reported by logging, never the request's
            self.logger.info(message, extra=fields)
            return
        self._flush_soon(handler)

    def _direct_handler(self) -> "logging.StreamHandler[Any] | None":
        logger = self.logger
        root = logging.root
        if logger.handlers or logger.filters or not logger.propagate or logger.parent is not root:
            return None
        if len(root.handlers) != 1 or root.filters:
            return None
        handler = root.handlers[0]
        if (
            type(handler) is not logging.StreamHandler
            or handler.filters
            or handler.level > logging.INFO
            or not isinstance(handler.formatter, JsonFormatter)
        ):
            return None
        return handler

    def _flush_soon(self, handler: "logging.StreamHandler[Any]") -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop in this thread: now
            handler.flush()
            return
        if self._flush_loop is not loop:  # not yet pending (or pending on a loop that is gone)
            self._flush_loop = loop
            loop.call_soon(self._flush, handler)

    def _flush(self, handler: "logging.StreamHandler[Any]") -> None:
        self._flush_loop = None
        try:
            handler.flush()
        except Exception:
            handler.handleError(logging.makeLogRecord({"name": ACCESS_LOGGER, "msg": "access log flush"}))


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every logger (uvicorn's too) to stdout as JSON."""
    # What no line holds is not worked out for each record: the calling function and line, the thread's and
    # process's names (the logging HOWTO's "Optimization").
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # The access log is written by our middleware, with the request id.
    logging.getLogger("uvicorn.access").disabled = True
