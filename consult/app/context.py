"""The process's live objects (settings, database, templates, taxonomy), built once.

Entry points that run in a long-lived process (the flows' workers, the CLI) ask `current()`;
the web app builds its own from the settings it was given.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from consult.settings import CONFIG_ENV, load_settings
from consult.wiring import App, build_app

AppContext = App

_lock = threading.Lock()
_built: tuple[tuple[tuple[str, str], ...], App] | None = None


def _configuration() -> tuple[tuple[str, str], ...]:
    """What the settings are read from: every CONSULT_* variable and the configuration file's
    contents (a few hundred bytes, read again on each call)."""
    read = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("CONSULT_")))
    path = os.environ.get(CONFIG_ENV)
    try:
        contents = Path(path).read_bytes() if path else b""
    except OSError:
        contents = b""  # load_settings says what is wrong with it
    return (*read, ("file", hashlib.sha256(contents).hexdigest()))


def current() -> App:
    """This process's context, built on first use. It is built again only when the
    configuration it came from changes (the demo and the tests point a process at another
    workspace); the previous one's database connections are closed then."""
    global _built
    key = _configuration()
    with _lock:
        if _built is None or _built[0] != key:
            previous = _built
            _built = (key, build_app(load_settings()))
            if previous is not None:
                previous[1].db.dispose()
        return _built[1]
