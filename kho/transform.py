"""Run the dbt project against the warehouse, in process, and report what it built and tested."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kho.settings import Settings
from kho.warehouse import Warehouse

# No network here, and none wanted: dbt must not phone home or look for a newer version.
QUIET_DBT_ENV = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1", "DBT_VERSION_CHECK": "false"}


@dataclass
class NodeOutcome:
    unique_id: str
    resource_type: str
    status: str
    message: str = ""
    failures: int | None = None


@dataclass
class BuildResult:
    success: bool
    command: str
    nodes: list[NodeOutcome] = field(default_factory=list)
    error: str = ""

    def count(self, resource_type: str, *statuses: str) -> int:
        return sum(1 for n in self.nodes if n.resource_type == resource_type and (not statuses or n.status in statuses))

    @property
    def models_built(self) -> int:
        return self.count("model", "success")

    @property
    def tests_passed(self) -> int:
        return self.count("test", "pass")

    @property
    def problems(self) -> list[NodeOutcome]:
        return [n for n in self.nodes if n.status in ("error", "fail", "runtime error", "skipped", "warn")
                and n.status != "warn"]

    def as_dict(self) -> dict[str, Any]:
        return {"success": self.success, "command": self.command, "models_built": self.models_built,
                "tests_passed": self.tests_passed, "error": self.error,
                "problems": [f"{n.unique_id}: {n.status} {n.message}" for n in self.problems]}


class BuildError(RuntimeError):
    def __init__(self, message: str, result: BuildResult) -> None:
        super().__init__(message)
        self.result = result


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def target_dir(settings: Settings) -> Path:
    """Where dbt leaves its artifacts (manifest, run results, docs site) for Kho's other steps to read."""
    return settings.home / "dbt" / "target"


def dbt_log(settings: Settings) -> Path:
    return settings.home / "dbt" / "logs" / "dbt.log"


def dbt_args(settings: Settings, command: str, *extra: str) -> list[str]:
    return [*command.split(), "--project-dir", str(settings.dbt_project_dir),
            "--profiles-dir", str(settings.dbt_project_dir),
            "--target-path", str(target_dir(settings)),
            "--log-path", str(dbt_log(settings).parent), *extra]


def _raise_unless_succeeded(settings: Settings, result: BuildResult, what: str) -> None:
    """A failed invocation as a BuildError naming its first problems and the log to read."""
    if not result.success:
        details = "; ".join(f"{n.unique_id} {n.status}: {n.message}" for n in result.problems[:5])
        raise BuildError(f"{what} failed ({result.error or details or 'see the dbt log'}); log: {dbt_log(settings)}",
                         result)


def run_dbt(settings: Settings, warehouse: Warehouse, command: str = "build", *extra: str,
            on_node: Callable[[NodeOutcome], None] | None = None) -> BuildResult:
    """Invoke dbt in this process; `on_node` hears each model and test as it finishes."""
    from dbt.cli.main import dbtRunner  # heavy: imported only when a build runs

    def callback(event: Any) -> None:
        if on_node and event.info.name == "NodeFinished":
            node = event.data.node_info
            on_node(NodeOutcome(node.unique_id, node.resource_type, node.node_status))

    env = {**QUIET_DBT_ENV, **warehouse.dbt_env(), "KHO_DBT_THREADS": str(settings.dbt_threads)}
    with _environment(env):
        outcome = dbtRunner(callbacks=[callback]).invoke(
            dbt_args(settings, command, "--no-use-colors", "--log-level", "warn", *extra)
        )
    result = BuildResult(success=bool(outcome.success), command=command)
    if outcome.exception is not None:
        result.error = f"{type(outcome.exception).__name__}: {outcome.exception}"
    for node_result in getattr(outcome.result, "results", None) or []:
        node = node_result.node
        result.nodes.append(NodeOutcome(node.unique_id, str(node.resource_type), str(node_result.status),
                                        node_result.message or "", getattr(node_result, "failures", None)))
    return result


def build(settings: Settings, warehouse: Warehouse, *extra: str,
          on_node: Callable[[NodeOutcome], None] | None = None) -> BuildResult:
    """`dbt build`: every model, seed, snapshot and test, in dependency order; raise if any fails."""
    from ingest.schema import ensure_every_raw_table
    from kho.quality import ensure_quality_tables

    ensure_every_raw_table(warehouse.url)
    ensure_quality_tables(warehouse.url)  # the data-quality marts read the gates' record
    result = run_dbt(settings, warehouse, "build", *extra, on_node=on_node)
    _raise_unless_succeeded(settings, result, "dbt build")
    return result


def deferred_tests(manifest: dict[str, Any]) -> list[str]:
    """The tests no model's own task runs in the Airflow build, by name: those that read more than one node
    (relationships, reconciliations: a model's `dbt build --select <model>` with cautious indirect selection leaves
    them out, since their other parent may not be built yet), and those on a source alone (cosmos renders no
    source nodes). The build runs them all in one invocation after every model."""
    def after(node: dict[str, Any]) -> bool:
        parents = node["depends_on"]["nodes"]
        return len(parents) > 1 or all(parent.startswith("source.") for parent in parents)

    return sorted(node["name"] for node in manifest["nodes"].values()
                  if node["resource_type"] == "test" and after(node))


def run_deferred_tests(settings: Settings, warehouse: Warehouse) -> BuildResult:
    """`dbt test` of `deferred_tests`; raise if any fails. Leaves the manifest in KHO_HOME/dbt/target, where
    publication reads each dataset's metadata from."""
    parsed = run_dbt(settings, warehouse, "parse")
    _raise_unless_succeeded(settings, parsed, "dbt parse")
    manifest = json.loads((target_dir(settings) / "manifest.json").read_text(encoding="utf-8"))
    names = deferred_tests(manifest)
    if not names:
        return parsed
    result = run_dbt(settings, warehouse, "test", "--select", *names)
    _raise_unless_succeeded(settings, result, "dbt tests after the models")
    return result


@dataclass
class SourceFreshness:
    source: str  # source.table
    status: str  # pass, warn, error, runtime error
    max_loaded_at: str | None
    age_seconds: float | None


def source_freshness(settings: Settings, warehouse: Warehouse) -> list[SourceFreshness]:
    """`dbt source freshness`: each raw table's last load against its declared schedule (warn/error after)."""
    from dbt.cli.main import dbtRunner

    env = {**QUIET_DBT_ENV, **warehouse.dbt_env(), "KHO_DBT_THREADS": str(settings.dbt_threads)}
    output = target_dir(settings) / "sources.json"
    with _environment(env):
        outcome = dbtRunner().invoke(dbt_args(settings, "source freshness", "--no-use-colors", "--log-level",
                                              "none", "--output", str(output)))
    found = []
    for result in getattr(outcome.result, "results", None) or []:
        node = result.node
        if not hasattr(node, "source_name"):  # the project's on-run-start/end hooks report here too
            continue
        max_loaded = getattr(result, "max_loaded_at", None)
        found.append(SourceFreshness(f"{node.source_name}.{node.name}", str(result.status),
                                     max_loaded.isoformat() if max_loaded else None,
                                     getattr(result, "age", None)))
    return sorted(found, key=lambda f: f.source)


def generate_docs(settings: Settings, warehouse: Warehouse) -> Path:
    """`dbt docs generate`: the documentation site with the catalog and lineage; returns its folder."""
    result = run_dbt(settings, warehouse, "docs generate")
    _raise_unless_succeeded(settings, result, "dbt docs generate")
    return target_dir(settings)
