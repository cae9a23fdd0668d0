"""Campaign progress at city scale on PostgreSQL (issue 6, S1): the city-wide progress
dashboard and a district's lagging-units list, median and p95, against the bare SQL of the
roll-up in the same run; and the members' summary the dashboard loads after it (htmx: the
"four ones" and study completion, aggregates over members).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jiceng_bench python bench/campaigns.py

By default it uses the city database of ``bench/run.py`` (the ``city`` scenario: 2,000,000
members in ~80,000 organisations, with the demo's campaigns at that scale), building it when
it is empty. ``BENCH_CAMPAIGN_SYNTHETIC=1`` uses a database of its own instead, built in a
couple of minutes: 19 districts of 11 streets, each street with 20 general branches of 18
branches — 79,420 grassroots units — and the second batch over them, no members (the
dashboard's roll-up reads units, not members). Targets: dashboard ≤ 500 ms, lagging ≤ 200 ms.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
CITY_URL = "postgres://postgres@127.0.0.1:5432/jiceng_bench"
SYNTHETIC_URL = "postgres://postgres@127.0.0.1:5432/jiceng_bench_campaigns"
SYNTHETIC = os.environ.get("BENCH_CAMPAIGN_SYNTHETIC") == "1"
DISTRICTS = 19
STREETS = 11
GENERAL_BRANCHES = 20
BRANCHES = 18


def _code(n: int) -> str:
    """Treebeard's step of 4 in base 36, as ``MP_Node`` writes it."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    for _ in range(4):
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out


def build_tree() -> None:
    from jiceng.accounts.models import RoleAssignment, User
    from jiceng.accounts.roles import Role
    from jiceng.orgs.models import Organization, OrgType, Sector

    rows: list[Organization] = []

    def add(path: str, code: str, name: str, kind: str, children: int, sector: str) -> None:
        org = Organization(
            path=path,
            depth=len(path) // 4,
            numchild=children,
            code=code,
            name=name,
            org_type=kind,
            sector=sector,
        )
        org.fill_search_keys()
        rows.append(org)

    city = _code(1)
    add(city, "310000", "中共上海市委员会", OrgType.CITY_COMMITTEE, DISTRICTS, Sector.OTHER)
    for d in range(1, DISTRICTS + 1):
        dp = city + _code(d)
        add(dp, f"31{d:04d}", f"第{d}区委", OrgType.DISTRICT_COMMITTEE, STREETS, Sector.OTHER)
        for s in range(1, STREETS + 1):
            sp = dp + _code(s)
            community = Sector.STREET_COMMUNITY
            add(
                sp,
                f"31{d:04d}{s:03d}",
                f"第{d}区第{s}街道党工委",
                OrgType.STREET_COMMITTEE,
                GENERAL_BRANCHES,
                community,
            )
            for g in range(1, GENERAL_BRANCHES + 1):
                gp = sp + _code(g)
                add(
                    gp,
                    f"31{d:04d}{s:03d}{g:02d}",
                    f"第{d}区{s}街道第{g}居民区党总支",
                    OrgType.GENERAL_BRANCH,
                    BRANCHES,
                    community,
                )
                for b in range(1, BRANCHES + 1):
                    add(
                        gp + _code(b),
                        f"31{d:04d}{s:03d}{g:02d}{b:02d}",
                        f"第{d}区{s}街道{g}居民区第{b}党支部",
                        OrgType.BRANCH,
                        0,
                        community,
                    )
    Organization.objects.bulk_create(rows, batch_size=5_000)
    for username, role, code in (
        ("city.admin", Role.CITY_ADMIN, "310000"),
        ("district.officer", Role.DISTRICT_OFFICER, "310001"),
    ):
        user = User.objects.create(username=username, display_name=username)
        RoleAssignment.objects.create(
            user=user, role=role, organization=Organization.objects.get(code=code)
        )


def main() -> int:
    from run import ensure_database, timed

    url = (
        os.environ.get("BENCH_CAMPAIGN_DATABASE_URL", SYNTHETIC_URL)
        if SYNTHETIC
        else os.environ.get("BENCH_DATABASE_URL", CITY_URL)
    )
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    from jiceng.accounts.models import User
    from jiceng.campaigns.models import Campaign, CampaignUnit
    from jiceng.members.models import Member
    from jiceng.orgs.models import Organization
    from jiceng.scenario.campaigns import build_campaigns

    if not Organization.objects.exists():
        if SYNTHETIC:
            print("building 79,420 units and the second batch …")
            build_tree()
            build_campaigns("city", 2005)
        else:
            call_command("scenario", scale="city", seed=2005)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    campaign = Campaign.objects.filter(batch="second").order_by("-starts_on").first()
    assert campaign is not None
    district_code, district_user = (
        ("310001", "district.officer") if SYNTHETIC else ("310101", "huangpu.officer")
    )
    district = Organization.objects.get(code=district_code)
    members = Member.objects.count()
    units = CampaignUnit.objects.filter(campaign=campaign).count()

    def page(username: str, path: str, htmx: bool = False, cold: bool = False) -> Any:
        from conftest import mark_verified

        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        mark_verified(client, user)  # the second factor passed, as django-otp marks it
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

        def run() -> None:
            if cold:
                cache.clear()  # the members' summary computed afresh, as after a change
            response = client.get(path, **headers)
            assert response.status_code == 200, (path, response.status_code)

        return run

    rollup_sql = (
        "SELECT substr(org_path, 1, 8), count(*), "
        "count(*) FILTER (WHERE state = 'in_progress' AND due_on < %s) "
        "FROM campaigns_campaignunit WHERE campaign_id = %s AND org_path LIKE %s GROUP BY 1"
    )

    def raw() -> None:
        with connection.cursor() as cursor:
            cursor.execute(rollup_sql, [campaign.reference_date(), campaign.pk, "0001%"])
            cursor.fetchall()

    cases = {
        "city-wide progress dashboard (city.admin)": page(
            "city.admin", f"/campaigns/{campaign.pk}/"
        ),
        "district lagging units, page 1 (district officer)": page(
            district_user, f"/campaigns/{campaign.pk}/lagging/"
        ),
        "district progress dashboard (district officer)": page(
            district_user, f"/campaigns/{campaign.pk}/"
        ),
        "API progress by district (city.admin)": page(
            "city.admin", f"/api/campaigns/{campaign.pk}/progress/"
        ),
        "baseline: bare SQL roll-up by district (no Django)": raw,
    }
    if members:
        summary = f"/campaigns/{campaign.pk}/?part=members"
        for who, user in (("district", district_user), ("city", "city.admin")):
            cases[f"members' summary after the page, {who}, computed"] = page(
                user, summary, htmx=True, cold=True
            )
            cases[f"members' summary after the page, {who}, cached"] = page(
                user, summary, htmx=True
            )
        cases.update(stored_totals_cases(campaign, page))
    results: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": f"PostgreSQL {connection.pg_version // 10000}",  # type: ignore[attr-defined]
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "units": units,
        "members": members,
        "district_units": CampaignUnit.objects.filter(
            campaign=campaign, org_path__startswith=district.path
        ).count(),
        "cases": {},
    }
    for name, fn in cases.items():
        # the members' summaries aggregate over up to 2,000,000 members: fewer repeats
        results["cases"][name] = timed(fn, 20) if "members'" in name else timed(fn)
        print(f"{name:55s} {results['cases'][name]}")
    c = results["cases"]
    results["ratios"] = {
        **{
            f"{page} / {base}": round(c[page]["median_ms"] / c[base]["median_ms"], 1)
            for page, base in (
                (STORED_CASES[0], STORED_CASES[3]),
                (STORED_CASES[1], STORED_CASES[4]),
            )
            if page in c
        },
        "dashboard / bare SQL roll-up": round(
            c["city-wide progress dashboard (city.admin)"]["median_ms"]
            / c["baseline: bare SQL roll-up by district (no Django)"]["median_ms"],
            1,
        ),
    }
    out = ROOT / "bench" / "results" / "campaigns.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    write_table(results)
    return 0


# Issue 22: the city's figures read from the stored totals, without a cache, against the
# bare SQL of the same sums.
STORED_CASES = (
    "study completion, city (city.admin), no cache",
    "four lets, city (city.admin), no cache",
    "members' summary after the page, city, computed",
    "baseline: bare SQL, study completion by district from the stored totals",
    "baseline: bare SQL, four lets' roll figures of the city from the stored totals",
)


def stored_totals_cases(campaign: Any, page: Any) -> dict[str, Any]:
    from run import sql_timer

    from jiceng.study.selectors import period_current

    period = period_current(today=campaign.reference_date())
    assert period is not None
    return {
        STORED_CASES[0]: page("city.admin", f"/study/?period={period.pk}", cold=True),
        STORED_CASES[1]: page("city.admin", f"/campaigns/{campaign.pk}/coverage/", cold=True),
        STORED_CASES[3]: sql_timer(
            "SELECT substr(org_path, 1, 8), sum(members), sum(with_requirement), "
            "sum(completed), sum(below), sum(done) FROM study_studytally "
            "WHERE period_id = %s AND org_path LIKE %s GROUP BY 1",
            [period.pk, "0001%"],
        ),
        STORED_CASES[4]: sql_timer(
            "SELECT sum(members), sum(placed), sum(attended) FROM campaigns_coveragetally "
            "WHERE campaign_id = %s AND org_path LIKE %s",
            [campaign.pk, "0001%"],
        ),
    }


def write_table(results: dict[str, Any]) -> None:
    from report import write_section

    lines = [
        f"{results['database']}, {results['machine']}; {results['units']:,} grassroots units "
        f"in the second batch (the district holds {results['district_units']:,}) and "
        f"{results.get('members', 0):,} members, spread over the phases as in the demo, read "
        f"as of 2005-09-20. Run {results['when']}.",
        "",
        "Targets: city-wide dashboard ≤ 500 ms, a district's lagging list ≤ 200 ms (p95).",
        "Each page is timed through Django's test client (routing, scoping, every aggregate",
        "query, rendering). The roll-ups are GROUP BY queries over `campaigns_campaignunit`",
        "(one per table on the page), never rows loaded into Python. The members' summary (four",
        "ones, study completion) is fetched by the page after it shows, aggregates over members",
        'and is cached for five minutes or until a member records something; "computed" clears',
        "the cache before each request (issue 22: its figures are sums of stored totals per",
        "unit, so it no longer leaves study out above 300,000 members; computed member by member",
        "study completion took 28 s city-wide). The study completion and four lets pages also",
        "clear the cache before each request; their baselines are the bare SQL of the same sums",
        "over the stored totals (about 80,000 units' rows, not 2,000,000 members).",
        "",
        "| case | median ms | p95 ms | max ms |",
        "|---|---:|---:|---:|",
    ]
    for name, r in results["cases"].items():
        lines.append(f"| {name} | {r['median_ms']} | {r['p95_ms']} | {r['max_ms']} |")
    lines += ["", "Ratio against the baseline measured in the same run:", ""]
    for name, value in results["ratios"].items():
        lines.append(f"- {name}: {value}×")
    write_section("Campaigns (issue 6): progress dashboard and lagging units", lines)


if __name__ == "__main__":
    raise SystemExit(main())
