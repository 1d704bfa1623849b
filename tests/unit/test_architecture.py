"""The shape of the code: no two packages import each other (directly or round about), and the
process context is built once however often it is asked for."""

from __future__ import annotations

import grimp
import networkx as nx
import pytest

import consult.app.context as context
from consult.wiring import build_app


def _package(module: str) -> str:
    # consult.mail.outbox -> consult.mail; consult.cli -> consult.cli; models.x -> models
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "consult" else parts[0]


def test_no_package_imports_itself_round_about() -> None:
    graph = grimp.build_graph("consult", "models")
    packages = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            source, target = _package(module), _package(imported)
            if source != target and "consult" not in (source, target):
                packages.add_edge(source, target)
    cycles = [sorted(c) for c in nx.strongly_connected_components(packages) if len(c) > 1]
    assert cycles == []


def test_the_context_is_built_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []

    def counting(settings: object) -> object:
        built.append(settings)
        return build_app(settings)  # type: ignore[arg-type]

    monkeypatch.setattr(context, "build_app", counting)
    monkeypatch.setattr(context, "_built", None)
    first = context.current()
    assert all(context.current() is first for _ in range(5))
    assert len(built) == 1
