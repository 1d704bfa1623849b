"""`consult deploy`: the deployments of consult/flows/deployments.py in a process work pool, for
workers on one or more machines (scale-out). The pool is created when it does not exist, and
so is the automation that marks runs of a dead worker crashed."""

from __future__ import annotations

import contextlib

from consult.settings import Settings


def register(settings: Settings, pool: str) -> list[str]:
    """Create the pool if needed, apply every deployment to it; returns the deployment names."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    from consult.flows.deployments import deployments, ensure_crash_detection

    with get_client(sync_client=True) as client, contextlib.suppress(ObjectAlreadyExists):
        client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
    ensure_crash_detection(settings)
    names = []
    for deployment in deployments(settings, work_pool=pool):
        deployment.apply(work_pool_name=pool)
        names.append(f"{deployment.flow_name}/{deployment.name}")
    return names
