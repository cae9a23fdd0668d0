"""The generated summary beside the seed (issue 22 "must show"; S29): the seed's sections
come in the seed's order under its own headings, and each figure the seed quotes has its
sentence in the summary, with the number of rows behind it, whenever the data hold such rows
(the tiny world with its public voice: S12 founding and rectification, S13 lost members found,
S10 placement, S18 four ones, S19 visits, S26 pairing, S27 service cards, S21 petitions, S22
rectification items)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jiceng.campaigns.models import Campaign
from jiceng.core.text import to_simplified
from jiceng.reports import services, wording
from jiceng.reports.compose import SECTIONS, paragraphs

pytestmark = pytest.mark.django_db

# A copy of ../shared/seed/000_91810e67b83352f2.txt, so the test runs in any checkout.
SEED = Path(__file__).with_name("seed.txt")

# What the seed says, the figure that counts it, and the words the summary puts after it.
SEED_FIGURES = (
    ("全市新建基层党组织 1427个", "orgs.founded", "个"),
    ("对 623个软弱涣散的基层党组织进行了调整", "orgs.rectified", "个软弱涣散"),
    ("找到各种长期联络不上的党员 1.2万多名", "members.found", "名"),
    ("100%参加了先进性教育活动", "members.placed", "名党员落实"),
    ("“四个一”主题实践活动", "practice.four_ones", "项"),
    ("共走访职工 5698人次", "outreach.visits", "人次"),
    ("重点访问了1500个困难家庭", "outreach.households", "户困难家庭"),
    ("共与近 8.7万名需要帮助的困难群众结对", "outreach.paired_people", "名需要帮助"),
    ("与 1.5万多各基层单位及其党组织结对", "outreach.paired_units", "个居民区"),
    ("首批 589户特别服务对象已陆续收到了特别服务卡", "outreach.cards", "户特别服务对象"),
    ("热情接访", "petitions.received", "件"),
    ("困扰周围居民长达 10年", "rectification.raised", "项"),
)


def seed_text() -> str:
    return to_simplified(SEED.read_text(encoding="utf-8"))


@pytest.fixture
def summary(world: Any) -> Any:
    from jiceng.members.lost_contact.rules import CaseState
    from jiceng.members.models import LostContactCase
    from jiceng.scenario import voice

    voice.build_voice("tiny", 7)
    # a lost member found during the batch (the tiny world's cases are found before it)
    case = LostContactCase.objects.order_by("pk").first()
    LostContactCase.objects.filter(pk=case.pk).update(
        state=CaseState.FOUND_RELINKED, found_on="2005-08-01"
    )
    campaign = Campaign.objects.get(batch="second")
    return services.report_now(actor=None, root=world.city, campaign=campaign)


def test_the_seed_is_where_the_tests_expect_it() -> None:
    text = seed_text()
    for quote, _key, _after in SEED_FIGURES:
        assert quote.replace(" ", "") in text.replace(" ", ""), quote


def test_the_sections_follow_the_seed(summary: Any) -> None:
    """The seed's two first headings open the summary in the same order; every heading is two
    four-character halves as in the seed."""
    text = seed_text()
    seed_headings = [h for _k, h, *_rest in SECTIONS if h in text]
    assert seed_headings == ["精心准备 打实基础", "分类指导 讲求实效"]
    ours = [s["heading"] for s in summary.content["sections"]]
    assert ours[:2] == seed_headings
    assert ours[-1] == "总结经验 巩固成果"


def test_each_figure_of_the_seed_has_its_sentence_and_its_rows(summary: Any) -> None:
    written = {
        seg["figure"]: (seg["text"], para[i + 1]["text"] if i + 1 < len(para) else "")
        for para in paragraphs(summary.content)
        for i, seg in enumerate(para)
        if "figure" in seg and "of" not in seg
    }
    for quote, key, after in SEED_FIGURES:
        value = summary.figures.get(key, {}).get("value", 0)
        if not value:
            # no rows of this kind in the data: the sentence is left out, never "0"
            assert key not in written, (quote, key)
            continue
        number, following = written[key]
        assert number == wording.amount(value), key
        assert following.startswith(after), (key, following)


def test_the_tiny_world_quotes_most_of_the_seed_s_figures(summary: Any) -> None:
    quoted = [key for _q, key, _a in SEED_FIGURES if summary.figures.get(key, {}).get("value")]
    assert len(quoted) >= 9, quoted
