# SPDX-License-Identifier: Apache-2.0
"""``downtown-projections``: list, rebuild, compare and swap a town's projections.

Each service names its projections under the ``downtown.projections`` entry point group
(``catalog = "catalog.projections:PROJECTIONS"``), so this one tool serves all four.
Town and database come from ``DOWNTOWN_*`` settings, as for the service itself.
"""

from __future__ import annotations

import asyncio
from importlib.metadata import entry_points

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table as RichTable

from downtown_events.runtime.database import open_pool
from downtown_events.runtime.projection import Projection
from downtown_events.runtime.rebuild import ProjectionRebuild, RebuildReport
from downtown_events.runtime.rebuild_sources import source_of
from downtown_events.runtime.settings import RuntimeSettings

cli = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
console = Console(stderr=True)


def service_projections(service: str) -> dict[str, Projection]:
    found = [ep for ep in entry_points(group="downtown.projections") if ep.name == service]
    if not found:
        raise typer.BadParameter(f"no service {service!r} registers projections; is it installed?")
    return {projection.name: projection for projection in found[0].load()}


@cli.command("list")
def list_projections(service: str = typer.Option(..., help="catalog, ordering, vouchers or dispatch")) -> None:
    """Name the projections a service maintains."""
    for name, projection in service_projections(service).items():
        tables = ", ".join(table.name for table in projection.tables)
        console.print(f"[bold]{name}[/bold]: {tables}")


@cli.command()
def rebuild(
    service: str = typer.Option(..., help="catalog, ordering, vouchers or dispatch"),
    projection: str = typer.Option(..., help="projection name (see `list`)"),
    swap: bool = typer.Option(True, help="swap the rebuilt tables in when they match the live ones"),
    force: bool = typer.Option(False, help="swap even if the checksums differ (recovery)"),
) -> None:
    """Rebuild PROJECTION from offset zero beside the live tables, compare, and swap."""
    settings = RuntimeSettings()  # type: ignore[call-arg]
    chosen = service_projections(service).get(projection)
    if chosen is None:
        raise typer.BadParameter(f"{service} has no projection {projection!r}")
    report = asyncio.run(_rebuild(settings, service, chosen, swap=swap, force=force))
    _print_summary(report)
    raise typer.Exit(0 if report.matches or (force and report.swapped) else 1)


async def _rebuild(
    settings: RuntimeSettings, service: str, projection: Projection, *, swap: bool, force: bool
) -> RebuildReport:
    pool = await open_pool(settings.database_url, max_size=2, name="rebuild")
    try:
        source = source_of(
            projection, pool=pool, town=settings.town, service=service, bootstrap=settings.kafka_bootstrap
        )
        job = ProjectionRebuild(pool, projection, town=settings.town, source=source)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as bar:
            task = bar.add_task(f"rebuilding {projection.name} ({settings.town})", total=None)
            return await job.run(
                swap=swap, force=force, progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
    finally:
        await pool.close()


def _print_summary(report: RebuildReport) -> None:
    table = RichTable(title=f"rebuild of {report.projection}")
    table.add_column("table")
    table.add_column("live rows", justify="right")
    table.add_column("rebuilt rows", justify="right")
    table.add_column("checksum match")
    for name, (rows, checksum) in report.rebuilt.items():
        live_rows, live_checksum = report.live.get(name, (0, ""))
        table.add_row(name, str(live_rows), str(rows), "yes" if checksum == live_checksum else "NO")
    console.print(table)
    console.print(
        f"events read: {report.events_read}  undecodable: {report.undecodable}  "
        f"rate: {report.events_per_second:,.0f} events/s  checksum match: {'yes' if report.matches else 'no'}  "
        f"swapped: {'yes' if report.swapped else 'no'}"
    )
    if report.note:
        console.print(f"[yellow]{report.note}[/yellow]")


def main() -> None:
    cli()
