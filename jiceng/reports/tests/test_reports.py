"""Summary reports end to end (issue 22 item 1; S29, and the facts whose figures a summary
quotes: S1, S3, S10–S13, S17–S28): the report written from the data of the tiny world, every
figure leading to exactly the rows it counts, sections without data left out, the report kept
as generated, the pages and scoping, the command."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from jiceng.campaigns.models import Campaign
from jiceng.reports import selectors, services, wording
from jiceng.reports.compose import paragraphs
from jiceng.reports.models import ReportState, SummaryReport

pytestmark = pytest.mark.django_db


def second_batch() -> Campaign:
    return Campaign.objects.get(batch="second")


def text_of(paragraph: list[dict[str, Any]]) -> str:
    return "".join(s["text"] for s in paragraph)


@pytest.fixture
def report(world: Any) -> SummaryReport:
    return services.report_now(
        actor=world.user("city.admin"), root=world.city, campaign=second_batch()
    )


def test_report_is_written_from_the_data(report: SummaryReport) -> None:
    """S29: a headline, a lead with the key figures, sections under paired four-character
    headings; stored done with its as-of time and data generation."""
    assert report.state == ReportState.DONE
    content = report.content
    assert content["title"] == "上海市第二批保持共产党员先进性教育活动综述"
    lead = text_of(content["lead"])
    assert "全市" in lead
    assert "个基层党组织" in lead
    assert "名党员参加" in lead
    for section in content["sections"]:
        assert re.fullmatch(r"\S{4} \S{4}", section["heading"]), section["heading"]
    assert report.as_of is not None
    assert report.data_generation is not None


def test_every_figure_lists_exactly_its_rows(report: SummaryReport) -> None:
    """Traceability: each figure the report quotes (in text, in shares, in the appendix per
    unit) is the number of rows its list yields."""
    assert len(report.figures) > 10
    for ref, quoted in report.figures.items():
        rows = selectors.figure_rows(report, ref).rows
        assert rows.count() == quoted["value"], ref


def test_every_number_in_the_text_is_a_figure(report: SummaryReport) -> None:
    for para in paragraphs(report.content):
        for seg in para:
            if "figure" not in seg:
                continue
            quoted = report.figures[seg["figure"]]
            if "of" in seg:
                den = report.figures[seg["of"]]["value"]
                assert seg["text"] == wording.percent(quoted["value"], den)
            else:
                assert seg["text"] == wording.amount(quoted["value"])


def test_a_section_without_data_is_left_out(world: Any) -> None:
    """The tiny world has no petitions, surveys or rectification items (built without the
    public's voice): the voice section is not written with zeros."""
    report = services.report_now(
        actor=world.user("city.admin"), root=world.city, campaign=second_batch()
    )
    keys = [s["key"] for s in report.content["sections"]]
    assert "voice" not in keys
    assert "受理群众信访0件" not in str(report.content)


def test_amounts_the_chinese_way() -> None:
    assert wording.amount(1427) == "1427"
    assert wording.amount(12_345) == "1.2万多"
    assert wording.amount(86_800) == "近8.7万"
    assert wording.amount(15_278) == "1.5万多"
    assert wording.amount(2_081_990) == "208万多"
    assert wording.percent(1, 3) == "33.3%"
    assert wording.months_between(dt.date(2005, 6, 30), dt.date(2005, 12, 5)) == (5, True)


@pytest.fixture
def voiced(world: Any) -> Any:
    """The tiny world with the public's voice (petitions, surveys, rectification items)."""
    from jiceng.scenario import voice

    voice.build_voice("tiny", 7)
    return world


def test_the_voice_section_quotes_petitions_rectification_and_satisfaction(voiced: Any) -> None:
    """S20–S23: petitions received and closed with the on-time and satisfaction shares, items
    rectified, surveys returned — each figure lists exactly its rows."""
    report = services.report_now(
        actor=voiced.user("city.admin"), root=voiced.city, campaign=second_batch()
    )
    voice = next(s for s in report.content["sections"] if s["key"] == "voice")
    text = "".join(text_of(p) for p in voice["paragraphs"])
    assert "受理群众信访" in text
    assert "按期办结率" in text
    refs = {seg["figure"] for p in voice["paragraphs"] for seg in p if "figure" in seg}
    assert {"petitions.received", "petitions.on_time"} <= refs
    for ref in refs:
        assert selectors.figure_rows(report, ref).rows.count() == report.figures[ref]["value"]


def test_a_report_handed_over_never_changes(world: Any, report: SummaryReport) -> None:
    """The stored figures stay; the rows page shows today's count beside the report's."""
    from jiceng.outreach.models import Visit

    before = dict(report.figures["outreach.visits"])
    Visit.objects.filter(
        pk__in=selectors.figure_rows(report, "outreach.visits").rows.values("pk")[:2]
    ).update(state="returned")
    report.refresh_from_db()
    assert report.figures["outreach.visits"] == before
    assert selectors.figure_rows(report, "outreach.visits").rows.count() == before["value"] - 2


def test_an_officer_asks_for_a_report_and_reads_it_with_links_to_rows(
    client: Any, login: Any, world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    login("huangpu.officer")
    page = client.get(reverse("reports:list"))
    assert page.status_code == 200
    assert "生成综述" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:list"),
            {"root_code": world.huangpu.code, "campaign": second_batch().pk},
            follow=True,
        )
    assert response.status_code == 200
    report = SummaryReport.objects.get(path=world.huangpu.path)
    assert report.state == ReportState.DONE  # the test backend runs the task at once
    assert report.title.startswith("黄浦区第二批")
    detail = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert report.title in detail
    assert 'data-testid="report-figure"' in detail
    rows_url = reverse("reports:rows", args=[report.pk, "members.on_roll"])
    assert f'href="{rows_url}"' in detail
    rows = client.get(rows_url)
    assert rows.status_code == 200
    assert rows.context["count"] == report.figures["members.on_roll"]["value"]
    # audited: asked for and generated
    from jiceng.core.models import AuditEvent

    notes = list(
        AuditEvent.objects.filter(
            object_type__icontains="summaryreport", object_id=str(report.pk)
        ).values_list("note", flat=True)
    )
    assert any("发起生成综述" in n for n in notes)
    assert any("综述已生成" in n for n in notes)


def test_a_branch_secretary_may_not_summarise_the_district(
    client: Any, login: Any, world: Any
) -> None:
    """The page offers only units the user may act on; the service refuses in words."""
    from django.core.exceptions import PermissionDenied

    secretary = world.user("branch.secretary")
    with pytest.raises(PermissionDenied, match="只有负责该范围的组织部门或党组织可以生成综述"):
        services.report_queue(actor=secretary, root=world.huangpu, campaign=second_batch())
    login("branch.secretary")
    response = client.post(
        reverse("reports:list"), {"root_code": world.huangpu.code, "campaign": second_batch().pk}
    )
    assert response.status_code == 200
    assert "不在您的管辖范围内" in response.content.decode()
    assert not SummaryReport.objects.exists()


def test_bad_periods_are_refused_in_words(world: Any) -> None:
    from django.core.exceptions import ValidationError

    admin = world.user("city.admin")
    with pytest.raises(ValidationError, match="截止日期不能早于起始日期"):
        services.report_queue(
            actor=admin, root=world.city, start=dt.date(2005, 9, 1), end=dt.date(2005, 8, 1)
        )
    with pytest.raises(ValidationError, match="请选择活动批次"):
        services.report_queue(actor=admin, root=world.city)


def test_two_reports_compared(client: Any, login: Any, world: Any, report: SummaryReport) -> None:
    admin = login("city.admin")
    later = services.report_now(
        actor=admin, root=world.city, start=dt.date(2005, 6, 30), end=dt.date(2005, 9, 20)
    )
    page = client.get(reverse("reports:compare", args=[later.pk, report.pk]))
    assert page.status_code == 200
    rows = {r.ref: r for r in page.context["rows"]}
    assert rows["members.on_roll"].older == report.figures["members.on_roll"]["value"]
    assert rows["members.on_roll"].change == 0


def test_the_api_asks_for_a_report_and_lists_a_figure_s_rows(
    client: Any, login: Any, world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    login("city.admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("api-reports"),
            {"root_id": world.city.pk, "campaign_id": second_batch().pk},
            content_type="application/json",
        )
    assert response.status_code == 202, response.content
    pk = response.json()["id"]
    detail = client.get(reverse("api-report", args=[pk])).json()
    assert detail["state"] == "done"
    assert detail["content"]["title"]
    rows = client.get(reverse("api-report-rows", args=[pk, "members.on_roll"])).json()
    assert rows["count"] == rows["value"] == detail["figures"]["members.on_roll"]["value"]


def test_the_command_writes_the_report_and_its_docx(tmp_path: Any, world: Any) -> None:
    out = tmp_path / "综述.docx"
    call_command("summarize", "--org", world.city.code, "--docx", str(out))
    report = SummaryReport.objects.get()
    assert report.state == ReportState.DONE
    assert out.read_bytes()[:2] == b"PK"


def test_the_workers_recruited_this_year_are_quoted_with_their_rows(
    report: SummaryReport,
) -> None:
    """S3: 公开招聘了461名专职党群工作者，经过培训后全部上岗，主要充实到"两新"组织 — in the demo,
    the workers hired in 2005 (May, before the batch's launch), in post and in two-new units."""
    from jiceng.orgs.models import TWO_NEW_SECTORS
    from jiceng.workers.models import PartyWorker

    hired = PartyWorker.objects.filter(hired_on__year=2005, hired_on__lte=dt.date(2005, 9, 20))
    in_post = hired.filter(org__isnull=False, until__isnull=True)
    two_new = in_post.filter(org__sector__in=TWO_NEW_SECTORS)
    assert 0 < two_new.count() <= in_post.count() <= hired.count()
    text = "".join(text_of(p) for p in paragraphs(report.content))
    assert (
        f"公开招聘了{wording.amount(hired.count())}名专职党群工作者，经过培训，"
        f"{wording.amount(in_post.count())}名已经上岗，其中"
        f"{wording.amount(two_new.count())}名充实到“两新”组织。"
    ) in text
    for key in ("workers.hired", "workers.in_post", "workers.two_new"):
        ref = next(r for r in report.figures if r.startswith(key))
        assert selectors.figure_rows(report, ref).rows.count() == report.figures[ref]["value"]
