"""Propose double pairing (S26): needy people (from a CSV list) with the branches of a subtree.

Until the needy-people registry lands, the people come from the list civil affairs hands over
(CSV: ``name,lat,lng[,category][,district]``). Branches are the subtree's branches with a
location; a branch's category is its sector (``hospital``, ``street_community``, …), so
``--affinity chronic_illness=hospital:3000`` pairs chronically ill people with hospital
branches as if they lived 3 km nearer. The proposal is printed or written (JSON/CSV); nothing
in the database changes.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from jiceng import optimize
from jiceng.core.exports import SafeDictWriter
from jiceng.core.scoping import Action
from jiceng.orgs.models import Organization
from jiceng.planning import services
from jiceng.planning.commands import officer, unit
from jiceng.planning.rules import TARGET_TYPES

REASONS = {optimize.OUT_OF_REACH: "允许范围内没有支部", optimize.BRANCHES_FULL: "附近支部名额已满"}


def _affinity(values: list[str]) -> dict[tuple[str, str], float]:
    out = {}
    for v in values:
        try:
            pair, metres = v.rsplit(":", 1)
            person, branch = pair.split("=", 1)
            out[(person.strip(), branch.strip())] = float(metres)
        except ValueError as exc:
            raise CommandError(
                "--affinity 格式应为 人员类别=支部领域:米数，"
                f"如 chronic_illness=hospital:3000（收到 {v}）"
            ) from exc
    return out


def _people(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"无法读取 {path}：{exc}") from exc
    for n, r in enumerate(rows, 2):
        try:
            float(r["lat"])
            float(r["lng"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CommandError(f"第 {n} 行：需要 lat 和 lng 两列数字坐标") from exc
    return rows


class Command(BaseCommand):
    help = "Propose pairing needy people (CSV) with the branches of a subtree (S26)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", required=True, help="CSV: name,lat,lng[,category]")
        parser.add_argument("--org", required=True, help="organisation code: whose branches")
        parser.add_argument("--user", required=True, help="the officer")
        parser.add_argument("--per-branch", type=int, default=1, help="people per branch")
        parser.add_argument(
            "--affinity",
            action="append",
            default=[],
            help="person_category=branch_sector:metres (repeatable)",
        )
        parser.add_argument("--max-distance-km", type=float, default=None)
        parser.add_argument("--json", action="store_true", help="print the proposal as JSON")
        parser.add_argument("--csv", metavar="FILE", help="write the proposal as CSV")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout))
        user = officer(options["user"])
        root = unit(user, options["org"], Action.VIEW)
        people = _people(Path(options["people"]))
        branches = list(
            Organization.objects.visible_to(user)
            .active()
            .filter(path__startswith=root.path, org_type__in=TARGET_TYPES)
            .exclude(lat__isnull=True)
            .exclude(lng__isnull=True)
            .order_by("path")
            .values_list("id", "name", "lat", "lng", "sector")
        )
        if not branches:
            raise CommandError("该范围内没有有坐标的支部")
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=options["json"],
        ) as bar:
            task = bar.add_task("结对", total=1.0)
            try:
                result = optimize.pair(
                    [(float(p["lat"]), float(p["lng"])) for p in people],
                    [(b[2], b[3]) for b in branches],
                    options["per_branch"],
                    people_category=[p.get("category", "") or "" for p in people],
                    branch_category=[b[4] for b in branches],
                    affinity=_affinity(options["affinity"]) or None,
                    max_distance=(options["max_distance_km"] or 0) * 1000 or None,
                    progress=lambda s, f: bar.update(
                        task, completed=f, description=services._stage_label(s)
                    ),
                )
            except optimize.OptimizeError as exc:
                raise CommandError(str(exc)) from exc
        rows = []
        for i, p in enumerate(people):
            j = int(result.branch[i])
            rows.append(
                {
                    "person": p.get("name", str(i + 1)),
                    "branch_id": branches[j][0] if j >= 0 else None,
                    "branch": branches[j][1] if j >= 0 else "",
                    "distance_km": None if j < 0 else round(float(result.distance[i]) / 1000, 3),
                    "unpaired_reason": REASONS.get(result.reason[i], ""),
                }
            )
        if options["csv"]:
            with Path(options["csv"]).open("w", newline="", encoding="utf-8-sig") as f:
                w = SafeDictWriter(f, fieldnames=list(rows[0]) if rows else ["person"])
                w.writeheader()
                w.writerows(rows)
        summary = {
            "people": len(people),
            "paired": result.paired,
            "unpaired": len(people) - result.paired,
            "branches": len(branches),
            "optimal": result.optimal,
            "mean_km": round(float(np.nanmean(result.distance)) / 1000, 3)
            if result.paired
            else None,
            "seconds": round(result.seconds, 2),
        }
        if options["json"]:
            self.stdout.write(json.dumps({"summary": summary, "pairs": rows}, ensure_ascii=False))
            return
        console.print(
            f"{summary['people']} 人中结对 {summary['paired']} 人（{summary['branches']} 个支部，"
            f"平均 {summary['mean_km']} 公里）" + ("，已证明最优" if result.optimal else "")
        )
        for code, label in REASONS.items():
            n = sum(1 for r in result.reason if r == code)
            if n:
                console.print(f"  {n} 人未结对：{label}")
