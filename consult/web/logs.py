"""Log lines without link tokens: the access log writes every request line, and a token in it
would open that invitee's page for anyone who reads the log."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from consult.tokens import redact_links


def _redacted(value: object) -> object:
    return redact_links(value) if isinstance(value, str) else value


def redact_record(record: logging.LogRecord) -> None:
    """Cut tokens out of the record's message and arguments.

    Arguments keep their shape where they can (uvicorn's access formatter unpacks the tuple);
    a token that only forms a link once the message is put together ("/i/%s") costs the record
    its arguments instead.
    """
    if isinstance(record.msg, str):
        record.msg = redact_links(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_redacted(arg) for arg in record.args)
    elif isinstance(record.args, Mapping):
        record.args = {key: _redacted(arg) for key, arg in record.args.items()}
    if record.args:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return  # logging reports the malformed call itself
        redacted = redact_links(message)
        if redacted != message:
            record.msg, record.args = redacted, ()


class _RedactingFactory:
    def __init__(self, make: Callable[..., logging.LogRecord]) -> None:
        self.make = make

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.make(*args, **kwargs)
        redact_record(record)
        return record


def install_link_redaction() -> None:
    """Redact every log record of this process as it is made.

    At the making rather than as a filter on handlers: uvicorn, Prefect and the app each set up
    handlers of their own, some of them later (Prefect on the first event), and a filter on one
    logger does not see records of its children.
    """
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _RedactingFactory):
        logging.setLogRecordFactory(_RedactingFactory(factory))
