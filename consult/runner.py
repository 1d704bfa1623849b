"""`python -m consult.runner`: serve every deployment (consult/flows/deployments.py) in this process
until SIGTERM. Started by `consult serve`, which supervises it."""

from __future__ import annotations

import os


def main() -> None:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect import serve

    from consult.flows.deployments import deployments, ensure_crash_detection
    from consult.settings import load_settings

    settings = load_settings()
    ensure_crash_detection(settings)
    served = deployments(settings)
    # Paused schedules would survive a restart; the tick must run again when we come back.
    serve(*served, pause_on_shutdown=False, print_starting_message=False)


if __name__ == "__main__":
    main()
