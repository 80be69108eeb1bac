"""`kho`: run the pipeline, or any step of it, from a terminal."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
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

from kho.pipeline import STEPS, RunSummary, run_pipeline
from kho.settings import Settings

app = typer.Typer(help="Kho — the province's shared-database pipeline (kho cơ sở dữ liệu dùng chung).",
                  no_args_is_help=True, pretty_exceptions_enable=False)
console = Console()

STEP_TITLES = {
    "ingest:dossier": "Ingest dossiers (hồ sơ TTHC)",
    "gate:after_ingest": "Quality gate after ingest",
    "build": "dbt build (staging → warehouse → marts)",
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
        self.tasks[step] = self.progress.add_task(STEP_TITLES.get(step, step), total=None)

    def step_finished(self, step: str, ok: bool, detail: dict | None) -> None:
        task = self.tasks[step]
        mark = "[green]✔[/]" if ok else "[red]✘[/]"
        seconds = time.perf_counter() - self.started[step]
        self.progress.update(task, description=f"{mark} {STEP_TITLES.get(step, step)} ({seconds:.1f}s)",
                             total=1, completed=1)

    def ingest_progress(self, source: str, records: int) -> None:
        self.progress.update(self.tasks[f"ingest:{source}"], completed=records)

    def node_finished(self, node: Any) -> None:
        self.progress.update(self.tasks["build"], advance=1)


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def summary_table(summary: RunSummary) -> Table:
    table = Table(title="Kho run summary", show_lines=False)
    table.add_column("step")
    table.add_column("result")
    table.add_column("figures", overflow="fold")
    for source, result in summary.ingests.items():
        ok = result.get("status") == "succeeded"
        table.add_row(f"ingest {source}", "[green]ok[/]" if ok else "[red]failed[/]",
                      f"received {result['received']:,} · loaded {result['loaded']:,} · "
                      f"quarantined {result['quarantined']:,} · duplicates {result['duplicates']:,} · "
                      f"{result['seconds']:.1f}s")
    for gate, result in summary.gates.items():
        figures = f"{result['evaluated']} expectations · {result['seconds']:.1f}s"
        if result["failures"]:
            figures += "\n" + "\n".join(result["failures"][:5])
        table.add_row(f"gate {gate}", "[green]passed[/]" if result["success"] else "[red]failed[/]", figures)
    if summary.build:
        table.add_row("dbt build", "[green]ok[/]" if summary.build["success"] else "[red]failed[/]",
                      f"models built {summary.build['models_built']} · tests passed {summary.build['tests_passed']}"
                      + ("\n" + "\n".join(summary.build["problems"][:5]) if summary.build["problems"] else ""))
    if summary.publish:
        files = len(summary.publish["files"])
        rows = sum(summary.publish["datasets"].values())
        table.add_row("publish", "[green]ok[/]",
                      f"{len(summary.publish['datasets'])} dataset(s) · {rows:,} rows · {files} files")
    for step in STEPS[STEPS.index(summary.failed_step) + 1:] if summary.failed_step else ():
        table.add_row(step.replace(":", " "), "[yellow]not run[/]", f"stopped by the failure in {summary.failed_step}")
    table.add_row("wall time", "", f"{summary.seconds:.1f}s")
    return table


def _finish(summary: RunSummary, settings: Settings) -> None:
    console.print(summary_table(summary))
    if summary.success:
        console.print(f"Open data: [bold]{settings.open_data_dir}[/] (each dataset's files under <dataset>/latest/)")
    else:
        console.print(f"[red]Failed at {summary.failed_step}:[/] {summary.error}")
        raise typer.Exit(1)


@app.command()
def demo(
    dossiers: Annotated[int, typer.Option(help="How many dossiers the simulated dossier system holds.")] = 50_000,
    start: Annotated[str, typer.Option(help="First day of simulated data (YYYY-MM-DD).")] = "2024-01-01",
) -> None:
    """Embedded PostgreSQL + simulated sources + the whole pipeline once, then a summary."""
    from kho.simulation import SimulationPlan, running_simulators
    from kho.warehouse import open_warehouse

    settings = Settings.from_env()
    console.print(f"[bold]Kho demo[/] · working folder {settings.home}")
    with open_warehouse(settings) as warehouse:
        console.print(f"Warehouse: {warehouse.describe()}")
        settings = settings.with_(database_url=warehouse.url)
        with console.status("Starting the simulated dossier system (generated once per day, then cached)…"):
            plan = SimulationPlan(dossiers=dossiers, start=date.fromisoformat(start))
            simulators = running_simulators(settings, plan)
            settings = simulators.__enter__()
        try:
            console.print(f"Dossier system (simulated): {settings.dossier_api_url} · {dossiers:,} dossiers")
            with _progress() as progress:
                summary = run_pipeline(settings, RichObserver(progress))
        finally:
            simulators.__exit__(None, None, None)
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
    """Extract from a source since its watermark into raw (validated, quarantined, merged)."""
    from kho.pipeline import ingest_dossiers

    if source not in ("all", "dossier"):
        console.print(f"[red]Unknown source {source!r}[/]; sources: dossier")
        raise typer.Exit(2)
    with _progress() as progress:
        task = progress.add_task("Ingest dossiers", total=None)
        result = ingest_dossiers(progress=lambda n: progress.update(task, completed=n))
    console.print(result)


@app.command()
def build() -> None:
    """dbt build: every model and its tests."""
    from kho.pipeline import build_warehouse

    with console.status("dbt build…"):
        console.print(build_warehouse())


@app.command()
def check(gate: Annotated[str, typer.Argument(help="after_ingest or before_publish; all by default.")] = "all"
          ) -> None:
    """Run a quality gate by hand; exits 1 and names the failing expectations if it fails."""
    from kho.pipeline import check_gate
    from kho.quality import GATES, GateFailed

    gates = list(GATES) if gate == "all" else [gate]
    for name in gates:
        try:
            result = check_gate(name)
        except GateFailed as exc:
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(1) from None
        console.print(f"[green]gate {name} passed[/] ({result['evaluated']} expectations, {result['seconds']}s)")


@app.command()
def publish() -> None:
    """Publish the open marts as a new version of each open dataset."""
    from kho.pipeline import publish_open_data

    console.print(publish_open_data())


@app.command()
def simulate(
    port: Annotated[int, typer.Option(help="Port for the dossier system's API.")] = 8701,
    dossiers: Annotated[int, typer.Option(help="How many dossiers it holds.")] = 50_000,
) -> None:
    """Serve the simulated dossier system until interrupted (to point a real deployment at)."""
    from simulators.dossier.generate import DossierSimConfig
    from simulators.dossier.server import DossierSimulator
    from simulators.dossier.store import DossierStore

    settings = Settings.from_env()
    simulator = DossierSimulator(DossierStore.open(DossierSimConfig(dossiers=dossiers), settings.home / "simulators"),
                                 host="0.0.0.0", port=port)
    console.print(f"Dossier system (simulated) at {simulator.url} — Ctrl-C to stop")
    with contextlib.suppress(KeyboardInterrupt):
        simulator.server.serve_forever()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    app()


if __name__ == "__main__":
    main()
