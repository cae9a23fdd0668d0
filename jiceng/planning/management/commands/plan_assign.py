"""Assign a subtree's members to the nearest existing branches with room, optimally (S10)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from jiceng.planning.commands import PlanCommand, officer, unit
from jiceng.planning.rules import PlanKind


class Command(PlanCommand):
    help = (
        "Propose moving members to the nearest branches with room (least total distance,"
        " proven optimal), as a plan; --apply issues the transfer letters."
    )
    kind = PlanKind.ASSIGN

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--target", default=None, help="organisation code of the receiving branches' subtree"
        )
        parser.add_argument("--max-distance-km", type=float, default=None)
        parser.add_argument(
            "--move-cost-km",
            type=float,
            default=0.0,
            help="keep members already placed unless moving saves this much",
        )

    def plan_params(self, options: dict[str, Any]) -> dict[str, Any]:
        target = None
        if options["target"]:
            target = unit(officer(options["user"]), options["target"])
        return {
            "target": target,
            "max_distance_km": options["max_distance_km"],
            "move_cost_km": options["move_cost_km"],
        }
