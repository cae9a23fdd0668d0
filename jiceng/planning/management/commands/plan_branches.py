"""Form regional branches where a subtree's dispersed members live (S16, S17)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from jiceng.planning.commands import PlanCommand
from jiceng.planning.rules import SIZE_MAX, SIZE_MIN, TARGET_SIZE, PlanKind


class Command(PlanCommand):
    help = (
        "Propose regional branches of legal size (3-50) where the members of a subtree live,"
        " as a plan; --apply founds them and issues the transfer letters."
    )
    kind = PlanKind.FORM

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--size-min", type=int, default=SIZE_MIN)
        parser.add_argument("--size-max", type=int, default=SIZE_MAX)
        parser.add_argument("--target-size", type=int, default=TARGET_SIZE)
        parser.add_argument("--branches", type=int, default=None, help="how many branches")
        parser.add_argument(
            "--sites",
            action="store_true",
            help="only at community party-service centres (street committees)",
        )
        parser.add_argument("--seed", type=int, default=2005)

    def plan_params(self, options: dict[str, Any]) -> dict[str, Any]:
        return {
            "size_min": options["size_min"],
            "size_max": options["size_max"],
            "target_size": options["target_size"],
            "n_branches": options["branches"],
            "use_sites": options["sites"],
            "seed": options["seed"],
        }
