"""`kho`: run the pipeline, or any step of it, from a terminal."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
import warnings
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from kho.pipeline import RunSummary, run_pipeline
from kho.settings import Settings

app = typer.Typer(help="Kho — the province's shared-database pipeline (kho cơ sở dữ liệu dùng chung).",
                  no_args_is_help=True, pretty_exceptions_enable=False)
console = Console()

STEP_TITLES = {
    "gate:after_ingest": "Quality gate after ingest",
    "build": "dbt build (staging → warehouse → marts)",
    "gate:after_build": "Quality gate after the build",
    "gate:before_publish": "Quality gate before publish",
    "publish": "Publish open data",
}


class RichObserver:
    """Progress bars while the pipeline runs."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, Any] = {}
        self.started: dict[str, float] = {}

    def step_started(self, step: str) -> None:
        self.started[step] = time.perf_counter()
        if not step.startswith("ingest:"):  # an ingest step shows one bar per entity instead
            self.tasks[step] = self.progress.add_task(_title(step), total=None)

    def step_finished(self, step: str, ok: bool, detail: dict | None) -> None:
        mark = "[green]✔[/]" if ok else "[red]✘[/]"
        seconds = time.perf_counter() - self.started[step]
        keys = [k for k in self.tasks if k.startswith(f"{step}.")] if step.startswith("ingest:") else [step]
        if not keys:  # failed before its first record
            keys = [step]
            self.tasks[step] = self.progress.add_task(_title(step), total=None)
        for key in keys:
            task = self.progress.tasks[self.tasks[key]]
            self.progress.update(self.tasks[key], description=f"{mark} {task.description} ({seconds:.1f}s)",
                                 total=max(task.completed, 1), completed=max(task.completed, 1))

    def ingest_progress(self, source: str, entity: str, records: int) -> None:
        key = f"ingest:{source}.{entity}"
        if key not in self.tasks:
            self.tasks[key] = self.progress.add_task(f"Ingest {source}.{entity}", total=None)
        self.progress.update(self.tasks[key], completed=records)

    def node_finished(self, node: Any) -> None:
        self.progress.update(self.tasks["build"], advance=1)


def _title(step: str) -> str:
    kind, _, name = step.partition(":")
    return f"Ingest {name}" if kind == "ingest" else STEP_TITLES.get(step, step)


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def summary_table(summary: RunSummary) -> Table:
    """One row per step, in the order the pipeline ran them (an ingest step: a row per entity)."""
    table = Table(title="Kho run summary", show_lines=False)
    table.add_column("step")
    table.add_column("result")
    table.add_column("figures", overflow="fold")
    for step in summary.steps:
        kind, _, name = step.partition(":")
        if kind == "ingest":
            for entity, result in summary.ingests.items():
                if entity.partition(".")[0] == name:
                    table.add_row(f"ingest {entity}", *_ingest_cells(result))
        elif kind == "gate" and name in summary.gates:
            table.add_row(f"gate {name}", *_gate_cells(summary.gates[name]))
        elif kind == "build" and summary.build:
            build = summary.build
            table.add_row("dbt build", "[green]ok[/]" if build["success"] else "[red]failed[/]",
                          f"models built {build['models_built']} · tests passed {build['tests_passed']}"
                          + ("\n" + "\n".join(build["problems"][:5]) if build["problems"] else ""))
        elif kind == "publish" and summary.publish:
            files = len(summary.publish["files"])
            rows = sum(summary.publish["datasets"].values())
            table.add_row("publish", "[green]ok[/]",
                          f"{len(summary.publish['datasets'])} dataset(s) · {rows:,} rows · {files} files")
    not_run = summary.steps[summary.steps.index(summary.failed_step) + 1:] if summary.failed_step else []
    for step in not_run:
        table.add_row(step.replace(":", " "), "[yellow]not run[/]", f"stopped by the failure in {summary.failed_step}")
    table.add_row("wall time", "", f"{summary.seconds:.1f}s")
    return table


def _ingest_cells(result: dict) -> tuple[str, str]:
    figures = (f"received {result['received']:,} · loaded {result['loaded']:,} · "
               f"quarantined {result['quarantined']:,} · duplicates {result['duplicates']:,} · "
               f"{result['seconds']:.1f}s")
    if result.get("drift"):
        figures += f"\n[yellow]schema drift[/]: {result['drift']}"
    return ("[green]ok[/]" if result.get("status") == "succeeded" else "[red]failed[/]"), figures


def _gate_cells(result: dict) -> tuple[str, str]:
    figures = f"{result['evaluated']} expectations · {result['seconds']:.1f}s"
    if result["failures"]:
        figures += "\n" + "\n".join(result["failures"][:5])
    if result.get("warnings"):
        figures += f"\n[yellow]{len(result['warnings'])} warning(s)[/]: " + "\n".join(result["warnings"][:3])
    return ("[green]passed[/]" if result["success"] else "[red]failed[/]"), figures


def _finish(summary: RunSummary, settings: Settings) -> None:
    console.print(summary_table(summary))
    docs = next((g["data_docs"] for g in reversed(summary.gates.values()) if g.get("data_docs")), None)
    if docs:
        console.print(f"Quality gates' Data Docs: [bold]{docs}[/] (every expectation's result: quality.gate_results)")
    if summary.success:
        console.print(f"Open data: [bold]{settings.open_data_dir}[/] (each dataset's files under <dataset>/latest/)")
    else:
        console.print(f"[red]Failed at {summary.failed_step}:[/] {summary.error}")
        raise typer.Exit(1)


def _document(settings: Settings) -> None:
    """The dbt docs site (catalog and lineage) and each source's freshness against its declared schedule."""
    from kho.transform import generate_docs, source_freshness
    from kho.warehouse import open_warehouse

    with open_warehouse(settings) as warehouse, console.status("dbt docs generate and source freshness…"):
        target = generate_docs(settings, warehouse)
        freshness = source_freshness(settings, warehouse)
    table = Table(title="Source freshness (dbt source freshness)")
    for column in ("source table", "status", "last loaded"):
        table.add_column(column)
    colours = {"pass": "green", "warn": "yellow"}
    for item in freshness:
        colour = colours.get(item.status, "red")
        table.add_row(item.source, f"[{colour}]{item.status}[/]", item.max_loaded_at or "never")
    console.print(table)
    console.print(f"dbt docs (lineage from each source to the open marts): [bold]{target / 'index.html'}[/] "
                  f"(`dbt docs serve --project-dir dbt_project --target-path {target}` to browse)")


@app.command()
def docs() -> None:
    """dbt docs generate (catalog, lineage) and dbt source freshness for every raw table."""
    _document(Settings.from_env())


@app.command()
def demo(
    scale: Annotated[int, typer.Option(help="How many dossiers the simulated province holds; "
                                            "other sources are sized from it.")] = 100_000,
    start: Annotated[str, typer.Option(help="First day of simulated data (YYYY-MM-DD).")] = "2016-01-01",
    province: Annotated[str, typer.Option(help="Simulated province: long-an or vinh-long.")] = "long-an",
) -> None:
    """Embedded PostgreSQL + simulated sources + the whole pipeline once, then a summary."""
    from kho.simulation import running_simulators, today_plan
    from kho.warehouse import open_warehouse

    settings = Settings.from_env()
    console.print(f"[bold]Kho demo[/] · working folder {settings.home}")
    with open_warehouse(settings) as warehouse:
        console.print(f"Warehouse: {warehouse.describe()}")
        settings = settings.with_(database_url=warehouse.url)
        plan = today_plan(scale, date.fromisoformat(start), province)
        with console.status("Starting the simulated source systems (generated once a day, then cached)…"):
            simulators = running_simulators(settings, plan, postgres_url=warehouse.url)
            settings, running = simulators.__enter__()
        try:
            for source in running.values():
                console.print(f"  {source.name}: {source.description}")
            with _progress() as progress:
                summary = run_pipeline(settings, RichObserver(progress))
        finally:
            simulators.__exit__(None, None, None)
        if summary.success:
            _document(settings)
        _finish(summary, settings)


@app.command()
def run() -> None:
    """The whole pipeline once against the configured sources and warehouse."""
    settings = Settings.from_env()
    with _progress() as progress:
        summary = run_pipeline(settings, RichObserver(progress))
    _finish(summary, settings)


@app.command()
def ingest(source: Annotated[str, typer.Argument(help="Source to ingest, or 'all'.")] = "all") -> None:
    """Extract from a source (or all configured ones) since each watermark into raw, with a bar per entity."""
    from ingest.sources import sources
    from kho.pipeline import configured_sources, ingest_source

    settings = Settings.from_env()
    names = configured_sources(settings) if source == "all" else [source]
    if source != "all" and source not in sources():
        console.print(f"[red]Unknown source {source!r}[/]; sources: {', '.join(sources())}")
        raise typer.Exit(2)
    if not names:
        console.print("[red]No source is configured[/]: set the KHO_… location of at least one (see README)")
        raise typer.Exit(2)
    summary = RunSummary(steps=[f"ingest:{n}" for n in names])
    started = time.perf_counter()
    with _progress() as progress:
        observer = RichObserver(progress)
        for name in names:
            observer.step_started(f"ingest:{name}")
            try:
                results = ingest_source(name, settings,
                                        progress=lambda entity, n, name=name: observer.ingest_progress(name, entity, n))
            except Exception as exc:
                summary.failed_step, summary.error = f"ingest:{name}", f"{type(exc).__name__}: {exc}"
                observer.step_finished(f"ingest:{name}", False, None)
                break
            summary.ingests.update({f"{name}.{entity}": r for entity, r in results.items()})
            observer.step_finished(f"ingest:{name}", True, None)
    summary.seconds = time.perf_counter() - started
    console.print(summary_table(summary))
    if summary.failed_step:
        console.print(f"[red]Failed at {summary.failed_step}:[/] {summary.error}")
        raise typer.Exit(1)


@app.command()
def build() -> None:
    """dbt build: every model and its tests."""
    from kho.pipeline import build_warehouse

    with console.status("dbt build…"):
        console.print(build_warehouse())


@app.command()
def check(gate: Annotated[str, typer.Argument(
        help="after_ingest, after_build or before_publish; all, in that order, by default.")] = "all") -> None:
    """Run a quality gate by hand; exits 1 and names the failing expectations if it fails."""
    from kho.pipeline import check_gate
    from kho.quality import GATES, GateFailed

    if gate != "all" and gate not in GATES:
        console.print(f"[red]unknown gate {gate!r}[/]; gates: {', '.join(GATES)}")
        raise typer.Exit(2)
    gates = list(GATES) if gate == "all" else [gate]
    for name in gates:
        try:
            result = check_gate(name)
        except GateFailed as exc:
            console.print(f"[red]{exc}[/]")
            if exc.result.data_docs:
                console.print(f"Data Docs: {exc.result.data_docs}")
            raise typer.Exit(1) from None
        console.print(f"[green]gate {name} passed[/] ({result['evaluated']} expectations, {result['seconds']}s)")
        for warning in result["warnings"]:
            console.print(f"  [yellow]warning[/] {warning}")
    if result.get("data_docs"):
        console.print(f"Data Docs: {result['data_docs']}")


@app.command()
def publish() -> None:
    """Publish the open marts as a new version of each open dataset."""
    from kho.pipeline import publish_open_data

    result = publish_open_data()
    for folder, version in sorted(result["versions"].items()):
        console.print(f"  {folder}: v{version}")
    unchanged = len(result["datasets"]) - len(result["versions"])
    console.print(f"{len(result['versions'])} datasets published, {unchanged} unchanged (no new version); "
                  f"portal: [bold]{Settings.from_env().open_data_dir / 'index.html'}[/]")


@app.command()
def serve(port: Annotated[int, typer.Option(help="Port on localhost.")] = 8000) -> None:
    """Serve the open-data folder (portal, catalog, files) on localhost for a person to look at."""
    import functools
    import http.server

    folder = Settings.from_env().open_data_dir
    if not (folder / "index.html").exists():
        console.print(f"[red]{folder / 'index.html'} does not exist:[/] run `kho publish` (or `kho demo`) first")
        raise typer.Exit(1)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        console.print(f"Open data portal: [bold]http://127.0.0.1:{port}/[/] (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


@app.command()
def access(action: Annotated[str, typer.Argument(help="apply: roles, entitlements and policies from the access "
                                                      "configuration; show: what the warehouse holds now.")] = "show"
           ) -> None:
    """Per-agency access to the marts (KHO_ACCESS_CONFIG or access.toml; docs/access.md)."""
    from kho.access import AccessError, apply_configured_access, describe_access
    from kho.warehouse import open_warehouse

    if action not in ("apply", "show"):
        console.print(f"[red]Unknown action {action!r}[/]: apply or show")
        raise typer.Exit(2)
    settings = Settings.from_env()
    with open_warehouse(settings) as warehouse:
        if action == "apply":
            try:
                console.print(apply_configured_access(settings, warehouse))
            except AccessError as exc:
                console.print(f"[red]{exc}[/]", markup=False)
                raise typer.Exit(1) from None
        state = describe_access(warehouse)
    tables = Table(title="Marts: row-level security and readers")
    for column in ("table", "RLS", "forced", "policies", "agency_code index", "readers"):
        tables.add_column(column, overflow="fold")
    for t in state["tables"]:
        yes = {key: "yes" if t[key] else "no" for key in ("rls", "forced", "agency_code_index")}
        tables.add_row(t["table"], yes["rls"], yes["forced"], ", ".join(t["policies"]), yes["agency_code_index"],
                       ", ".join(t["readers"]))
    console.print(tables)
    roles = Table(title="Agency roles (access.agency_entitlements)")
    for column in ("role", "agency codes readable", "own codes"):
        roles.add_column(column, overflow="fold")
    for r in state["roles"]:
        roles.add_row(r["role"], f"{r['agency_codes_readable']:,}", ", ".join(r["own_codes"]))
    console.print(roles)


@app.command()
def simulate(
    scale: Annotated[int, typer.Option(help="How many dossiers the simulated province holds.")] = 100_000,
    province: Annotated[str, typer.Option(help="long-an or vinh-long.")] = "long-an",
) -> None:
    """Serve every simulated source system until interrupted, and print the settings that point Kho at them."""
    import threading

    from kho.simulation import running_simulators, today_plan
    from kho.warehouse import open_warehouse

    settings = Settings.from_env()
    with open_warehouse(settings) as warehouse, running_simulators(
            settings, today_plan(scale, date(2016, 1, 1), province), postgres_url=warehouse.url) as (pointed, running):
        for source in running.values():
            console.print(f"{source.name}: {source.description}")
        console.print("\nPoint Kho at them with:")
        for key, value in pointed.locations.items():
            console.print(f"  export {key}={value}")
        console.print("\nCtrl-C to stop.")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


quarantine_app = typer.Typer(help="What ingest refused, why, and replaying it once the cause is fixed.",
                             no_args_is_help=False, invoke_without_command=True)
app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.callback()
def quarantine_list(ctx: typer.Context) -> None:
    """List quarantined records grouped by source, entity and problem, with what to do about each."""
    if ctx.invoked_subcommand:
        return
    from ingest.quarantine import advice_for, summary
    from kho.warehouse import open_warehouse

    with open_warehouse(Settings.from_env()) as warehouse:
        groups = summary(warehouse.url)
    if not groups:
        console.print("[green]Nothing is quarantined.[/]")
        return
    table = Table(title="Quarantined records (raw._quarantine)")
    for column in ("source.entity", "problem", "pending", "replayed", "last seen", "what to do"):
        table.add_column(column, overflow="fold")
    for g in groups:
        table.add_row(f"{g.source}.{g.entity}", g.problem, f"{g.pending:,}", f"{g.replayed:,}",
                      f"{g.last_seen:%Y-%m-%d %H:%M}", advice_for(g.problem))
    console.print(table)
    console.print("Details: kho quarantine show SOURCE[.ENTITY] [--reason TEXT] · "
                  "after fixing the cause: kho quarantine replay SOURCE[.ENTITY]")


@quarantine_app.command("show")
def quarantine_show(
    target: Annotated[str, typer.Argument(help="SOURCE or SOURCE.ENTITY, e.g. dossier.dossiers")],
    reason: Annotated[str | None, typer.Option(help="Only records whose reason contains this text.")] = None,
    limit: Annotated[int, typer.Option(help="How many records to show.")] = 5,
) -> None:
    """Show quarantined records: key, reason, what to do, and the payload as the source sent it."""
    from ingest.quarantine import advice_for, records
    from kho.warehouse import open_warehouse

    source, _, entity = target.partition(".")
    with open_warehouse(Settings.from_env()) as warehouse:
        found = records(warehouse.url, source, entity or None, reason, limit)
    for record in found:
        state = f"replayed in load {record.replayed_load_id}" if record.replayed_load_id else "pending"
        console.rule(f"#{record.quarantine_id} · key {record.record_key or '(none)'} · load {record.load_id} · {state}")
        console.print(f"[red]Reason:[/] {record.reason}")
        console.print(f"[yellow]What to do:[/] {advice_for(record.reason)}")
        console.print(f"Payload: {record.payload[:600]}{'…' if len(record.payload) > 600 else ''}", markup=False)
    if not found:
        console.print("No quarantined record matches.")


@quarantine_app.command("replay")
def quarantine_replay(
    target: Annotated[str, typer.Argument(help="SOURCE or SOURCE.ENTITY")],
) -> None:
    """Run pending quarantined records through the current contract; those that pass are loaded."""
    from ingest.quarantine import replay
    from ingest.sources import source as find_source
    from kho.warehouse import open_warehouse

    name, _, entity = target.partition(".")
    spec = find_source(name)
    entities = [entity] if entity else list(spec.entities)
    with open_warehouse(Settings.from_env()) as warehouse:
        for entity_name in entities:
            result = replay(warehouse.url, spec.entities[entity_name])
            console.print(f"{name}.{entity_name}: replayed {result.received:,} · loaded {result.loaded:,} · "
                          f"still quarantined {result.quarantined:,} (load {result.load_id})")


def main() -> None:
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    app()


if __name__ == "__main__":
    main()
