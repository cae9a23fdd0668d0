"""The summary written from the figures (S29): a headline, a lead paragraph with the key
figures, then sections under paired four-character headings in the seed's order —
organisation building, study and practice, serving the public, the public's voice — and a
closing on the next batch. Sentences are composed from the figures, each number a segment
that names its figure (``{"text": "1427", "figure": "orgs.founded"}``), so the page can link
it to its rows and the test can check it. A sentence whose figures are all zero is left out,
and so is a section left without sentences.

The content is written in Simplified Chinese whatever the reader's language: it is the
document handed over. The page converts it for zh-Hant readers like every page, and the
.docx through OpenCC (``docx.render_docx``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation

from jiceng.campaigns.models import Campaign
from jiceng.campaigns.progress.rules import Batch
from jiceng.core import clock
from jiceng.orgs.models import Organization, OrgType

from . import wording
from .figures import BY_KEY, FIGURES, Window, campaign_window

Segment = dict[str, Any]
Paragraph = list[Segment]
Progress = Callable[[str, float], None]

# The figures the appendix lists per child unit, in its column order.
APPENDIX = (
    "members.on_roll",
    "members.placed",
    "campaign.units",
    "orgs.founded",
    "orgs.rectified",
    "outreach.visits",
    "outreach.paired_people",
    "petitions.received",
    "rectification.raised",
)
# Figures compared with the previous batch in the lead and sections.
COMPARED = ("campaign.units", "orgs.founded", "practice.four_ones", "outreach.visits")
# How many named units a sentence quotes.
NAMED = 3


@dataclass
class Figures:
    """The values of one report: the whole subtree, each child unit, the previous batch."""

    window: Window
    values: dict[str, int]
    children: list[Organization]
    by_child: dict[str, dict[str, int]] = field(default_factory=dict)
    previous: dict[str, int] = field(default_factory=dict)
    previous_window: Window | None = None
    previous_label: str = ""


def place_name(org: Organization) -> str:
    """The place a committee stands for, as a title names it: 中共上海市委员会 → 上海市,
    中共南京东路街道工作委员会 → 南京东路街道."""
    if org.org_type == OrgType.DISTRICT_COMMITTEE and org.district is not None:
        return org.district.name
    name = re.sub(r"^中共", "", org.name)
    name = re.sub(r"(工作委员会|委员会|党工委|党委|总支部|支部)$", "", name)
    return name or org.name


def scope_word(org: Organization) -> str:
    """How the summary calls the whole of its subtree: 全市, 全区, 全县, 全镇 …"""
    place = place_name(org)
    if org.org_type == OrgType.CITY_COMMITTEE:
        return "全市"
    if org.org_type == OrgType.DISTRICT_COMMITTEE:
        return "全县" if place.endswith("县") else "全区"
    if org.org_type == OrgType.TOWN_COMMITTEE:
        return "全镇"
    if org.org_type == OrgType.STREET_COMMITTEE:
        return "全街道"
    return place


def child_units(root: Organization) -> list[Organization]:
    """The units directly under ``root`` that the summary names and the appendix lists."""
    return list(
        Organization.objects.filter(
            path__startswith=root.path, depth=root.depth + 1, abolished_on__isnull=True
        )
        .select_related("district")
        .order_by("path")
    )


def gather(
    root: Organization,
    window: Window,
    campaign: Campaign | None,
    report: Progress = lambda stage, fraction: None,
) -> Figures:
    """Count every figure over ``root``'s subtree, per child unit, and for the previous batch."""
    children = child_units(root)
    values: dict[str, int] = {}
    by_child: dict[str, dict[str, int]] = {}
    child_length = len(root.path) + 4
    steps = len(FIGURES)
    # The appendix's figures are grouped by child unit first; their total over the subtree is
    # the sum of the groups (rows placed at the root itself form a group of their own), which
    # spares a second pass over the largest tables (two million members).
    grouped = APPENDIX if children else ()
    for i, key in enumerate(grouped):
        report("分单位统计 " + str(BY_KEY[key].label), 0.05 + 0.6 * i / steps)
        by_child[key] = BY_KEY[key].by_child(window, root.path, child_length)
        values[key] = sum(by_child[key].values())
    for i, fig in enumerate(FIGURES, start=len(grouped)):
        if fig.key in values:
            continue
        report("统计 " + str(fig.label), 0.05 + 0.6 * min(i, steps) / steps)
        values[fig.key] = fig.count(window, root.path)
    figures = Figures(window=window, values=values, children=children, by_child=by_child)
    prev = campaign.previous if campaign else None
    if prev is not None:
        report("统计上一批", 0.7)
        pw = campaign_window(prev, prev.ends_on)
        figures.previous_window = pw
        figures.previous_label = str(Batch(prev.batch).label) if prev.batch else prev.name
        for key in COMPARED:
            if root.path.startswith(prev.root_path) or prev.root_path.startswith(root.path):
                figures.previous[key] = BY_KEY[key].count(pw, root.path)
    return figures


class Writer:
    """Builds the content document from ``Figures``: segments, sentences, sections."""

    def __init__(self, root: Organization, figures: Figures, campaign: Campaign | None) -> None:
        self.root, self.f, self.campaign = root, figures, campaign
        self.scope = scope_word(root)
        # every figure quoted, with what the page needs to list its rows
        self.quoted: dict[str, dict[str, Any]] = {}

    # —— segments ——
    def v(self, key: str) -> int:
        return self.f.values.get(key, 0)

    def _quote(self, key: str, value: int, window: Window, under: str) -> None:
        fig = BY_KEY[key.split(":")[-1]]
        self.quoted[key] = {
            "value": value,
            "label": str(fig.label),
            "unit": fig.unit,
            "figure": fig.key,
            "under": under,
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "campaign": window.campaign_id,
        }

    def n(self, key: str) -> Segment:
        """The figure ``key`` over the whole subtree, written the Chinese way."""
        value = self.v(key)
        self._quote(key, value, self.f.window, self.root.path)
        return {"text": wording.amount(value), "figure": key}

    def share(self, numerator: str, denominator: str) -> Segment:
        self.n(numerator), self.n(denominator)
        return {
            "text": wording.percent(self.v(numerator), self.v(denominator)),
            "figure": numerator,
            "of": denominator,
        }

    def child(self, key: str, org: Organization) -> Segment:
        value = self.f.by_child.get(key, {}).get(org.path, 0)
        ref = f"{org.path}:{key}"
        self._quote(ref, value, self.f.window, org.path)
        return {"text": wording.amount(value), "figure": ref}

    def compared(self, key: str) -> Paragraph:
        """ "，比第一批增加 N 个" when the previous batch has the figure."""
        prev = self.f.previous.get(key, 0)
        text = wording.change(self.v(key), prev, BY_KEY[key].unit)
        if not text or self.f.previous_window is None:
            return []
        ref = f"previous:{key}"
        self._quote(ref, prev, self.f.previous_window, self.root.path)
        return [
            {"text": f"（{self.f.previous_label}为"},
            {"text": wording.amount(prev), "figure": ref},
            {"text": f"{BY_KEY[key].unit}，本批{text}）"},
        ]

    def named(self, key: str) -> Paragraph:
        """ "其中，黄浦区 12 个、徐汇区 9 个和……": the child units with the largest figures."""
        counts = self.f.by_child.get(key, {})
        top = sorted(
            (o for o in self.f.children if counts.get(o.path, 0) > 0),
            key=lambda o: (-counts.get(o.path, 0), o.path),
        )[:NAMED]
        if len(self.f.children) < 2 or not top:
            return []
        unit = BY_KEY[key].unit
        out: Paragraph = [{"text": "其中，"}]
        for i, org in enumerate(top):
            if i:
                out.append({"text": "和" if i == len(top) - 1 else "、"})
            out += [{"text": place_name(org)}, self.child(key, org), {"text": unit}]
        return out

    # —— sentences ——
    def sentence(self, *parts: Segment | Paragraph, when: Iterable[str]) -> Paragraph:
        """The parts joined, or nothing when every figure in ``when`` is zero."""
        if not any(self.v(k) for k in when):
            return []
        out: Paragraph = []
        for p in parts:
            out += p if isinstance(p, list) else [p]
        return out

    @staticmethod
    def t(text: str) -> Segment:
        return {"text": text}

    def workers(self) -> Paragraph:
        """S3: 今年以来…公开招聘了461名专职党群工作者，经过培训，461名已经上岗，其中…名充实到
        “两新”组织 (each clause only when its figure is not zero)."""
        t, n = self.t, self.n
        if not self.v("workers.hired"):
            return []
        out: Paragraph = [
            t("今年以来，各区县组织部门、人事部门公开招聘了"),
            n("workers.hired"),
            t("名专职党群工作者"),
        ]
        if self.v("workers.in_post"):
            out += [t("，经过培训，"), n("workers.in_post"), t("名已经上岗")]
            if self.v("workers.two_new"):
                out += [t("，其中"), n("workers.two_new"), t("名充实到“两新”组织")]
        return [*out, t("。")]

    def lead(self) -> Paragraph:
        t, n = self.t, self.n
        c = self.campaign
        out: Paragraph = []
        if c is not None:
            months, more = wording.months_between(c.starts_on, self.f.window.end)
            span = f"历时{months}个{'多' if more else ''}月的" if months else ""
            out += [
                t(f"{span}{place_name(self.root)}{_batch_label(c)}{_theme(c)}，"),
                t(
                    f"自{wording.long_date(c.starts_on)}启动，截至{wording.long_date(self.f.window.end)}，"
                ),
            ]
        else:
            out += [
                t(
                    f"{wording.long_date(self.f.window.start)}至{wording.long_date(self.f.window.end)}，"
                )
            ]
        out += self.sentence(
            t(f"{self.scope}"),
            n("campaign.units"),
            t("个基层党组织"),
            self.compared("campaign.units"),
            t("、"),
            n("members.on_roll"),
            t("名党员参加，"),
            when=["campaign.units"],
        ) or self.sentence(
            t(f"{self.scope}在册党员"), n("members.on_roll"), t("名，"), when=["members.on_roll"]
        )
        out += self.sentence(
            n("campaign.completed"),
            t("个基层党组织完成了各阶段各环节的工作，"),
            when=["campaign.completed"],
        )
        out += [t("确保了各阶段各环节的工作真正落到实处、取得实效。")]
        return out

    def organisation(self) -> list[Paragraph]:
        t, n = self.t, self.n
        paras = [
            self.sentence(
                t(f"各级党组织确立以党员组织关系所在地为主、与就近方便相结合的原则，{self.scope}"),
                n("members.placed"),
                t("名党员落实了参加活动的单位，占在册党员的"),
                self.share("members.placed", "members.on_roll"),
                t("。"),
                when=["members.placed"],
            ),
            self.sentence(
                t(f"活动中，{self.scope}新建基层党组织"),
                n("orgs.founded"),
                t("个"),
                self.compared("orgs.founded"),
                [t("，"), *self.named("orgs.founded")] if self.named("orgs.founded") else [],
                t("。"),
                when=["orgs.founded"],
            )
            + self.sentence(
                t("对"),
                n("orgs.rectified"),
                t("个软弱涣散的基层党组织进行了调整。"),
                when=["orgs.rectified"],
            ),
            self.sentence(
                t("在党员居住集中地组建了"),
                n("planning.branches"),
                t("个区域党支部，"),
                n("planning.moved"),
                t("名党员的组织关系转到了离家最近的党支部。"),
                when=["planning.branches"],
            ),
            self.workers(),
            self.sentence(
                t("各级党组织还采取措施，找到长期失去联系的党员"),
                n("members.found"),
                t("名。"),
                when=["members.found"],
            ),
        ]
        return [p for p in paras if p]

    def practice(self) -> list[Paragraph]:
        t, n = self.t, self.n
        paras = [
            self.sentence(
                t("坚持分类指导，在"),
                n("campaign.pilots"),
                t("个单位先行试点、积累经验。"),
                when=["campaign.pilots"],
            ),
            self.sentence(
                t("各基层党组织组织集中学习"),
                n("study.sessions"),
                t("次，党员参加学习"),
                n("study.attendance"),
                t("人次。"),
                when=["study.sessions", "study.attendance"],
            ),
            self.sentence(
                t("党员开展“四个一”活动，办实事、提建议、参加公益活动、与困难群众结对，完成项目"),
                n("practice.four_ones"),
                t("项"),
                self.compared("practice.four_ones"),
                t("。"),
                when=["practice.four_ones"],
            ),
            self.sentence(
                t("各级党组织开展主题实践活动"),
                n("practice.activities"),
                t("次。"),
                when=["practice.activities"],
            ),
        ]
        return [p for p in paras if p]

    def outreach(self) -> list[Paragraph]:
        t, n = self.t, self.n
        paras = [
            self.sentence(
                t("各基层党组织共走访群众"),
                n("outreach.visits"),
                t("人次"),
                self.compared("outreach.visits"),
                t("，重点走访了"),
                n("outreach.households"),
                t("户困难家庭。"),
                when=["outreach.visits"],
            ),
            self.sentence(
                t("深化“双结对”活动，基层党支部与"),
                n("outreach.paired_people"),
                t("名需要帮助的困难群众结对，基层单位党组织与"),
                n("outreach.paired_units"),
                t("个居民区或“两新”组织结对。"),
                when=["outreach.paired_people", "outreach.paired_units"],
            ),
            self.sentence(
                t("推出“特殊群体特别服务”，"),
                n("outreach.cards"),
                t("户特别服务对象收到了特别服务卡，党员上门服务"),
                n("outreach.services"),
                t("次。"),
                when=["outreach.cards"],
            ),
            self.sentence(
                t("围绕结对对象实施帮扶项目"),
                n("outreach.projects"),
                t("个，指派党员负责项目的实施和推广。"),
                when=["outreach.projects"],
            ),
        ]
        return [p for p in paras if p]

    def voice(self) -> list[Paragraph]:
        t, n = self.t, self.n
        paras = [
            self.sentence(
                t("各级党组织把群众满意作为“晴雨表”，精心组织、热情接访、尽心解难，共受理群众信访"),
                n("petitions.received"),
                t("件，办结"),
                n("petitions.closed"),
                t("件，按期办结率"),
                self.share("petitions.on_time", "petitions.closed"),
                t("；"),
                t("信访人满意和基本满意的占"),
                self.share("petitions.satisfied", "petitions.rated"),
                t("。"),
                when=["petitions.received", "petitions.closed"],
            ),
            self.sentence(
                t("坚持边学边改、边整边改，对群众反映的问题立项整改"),
                n("rectification.raised"),
                t("项，已整改"),
                n("rectification.done"),
                t("项，"),
                n("rectification.long_running"),
                t("个困扰群众多年的难题得以破解，建立长效管理机制"),
                n("rectification.standing"),
                t("项。"),
                when=["rectification.raised", "rectification.done"],
            ),
            self.sentence(
                t("将群众满意度纳入考核，收回群众满意度测评"),
                n("satisfaction.responses"),
                t("份，评价满意的占"),
                self.share("satisfaction.satisfied", "satisfaction.responses"),
                t("。"),
                when=["satisfaction.responses"],
            ),
        ]
        return [p for p in paras if p]

    def closing(self) -> list[Paragraph]:
        c = self.campaign
        if c is None:
            return []
        nxt = c.next_batches.order_by("starts_on").first()
        if nxt is not None:
            text = (
                f"{_batch_label(nxt)}{_theme(nxt)}定于{wording.long_date(nxt.starts_on)}启动。"
                f"{self.scope}各级党组织将认真总结{_batch_label(c)}的经验，"
                "巩固和扩大活动成果，把好的做法运用到下一批活动中。"
            )
        else:
            text = (
                f"下一步，{self.scope}各级党组织将认真总结{_batch_label(c)}先进性教育活动的经验，"
                "巩固和扩大活动成果，建立健全长效机制，为下一批活动做好准备。"
            )
        return [[self.t(text)]]

    def chart(self, key: str, title: str) -> dict[str, Any] | None:
        counts = self.f.by_child.get(key, {})
        orgs = [o for o in self.f.children if counts.get(o.path, 0) > 0]
        if len(orgs) < 2:
            return None
        return {
            "kind": "bar",
            "figure": key,
            "title": title,
            "unit": BY_KEY[key].unit,
            "labels": [place_name(o) for o in orgs],
            "paths": [o.path for o in orgs],
            "values": [counts[o.path] for o in orgs],
        }

    def appendix(self) -> dict[str, Any] | None:
        if len(self.f.children) < 2 or not self.f.by_child:
            return None
        columns = [k for k in APPENDIX if self.v(k)]
        if not columns:
            return None
        rows = []
        for org in self.f.children:
            values = {k: self.f.by_child.get(k, {}).get(org.path, 0) for k in columns}
            if not any(values.values()):
                continue
            for k in columns:
                self._quote(f"{org.path}:{k}", values[k], self.f.window, org.path)
            rows.append({"name": place_name(org), "path": org.path, "values": values})
        for k in columns:
            self.n(k)
        return {
            "title": "附表：各单位主要数据",
            "columns": [
                {"key": k, "label": str(BY_KEY[k].label), "unit": BY_KEY[k].unit} for k in columns
            ],
            "rows": rows,
            "total": {"name": "合计", "values": {k: self.v(k) for k in columns}},
        }


SECTIONS: Sequence[tuple[str, str, str, str, str]] = (
    # key, heading (paired four characters), method, chart figure, chart title
    ("organisation", "精心准备 打实基础", "organisation", "orgs.founded", "新建基层党组织数"),
    ("practice", "分类指导 讲求实效", "practice", "practice.four_ones", "党员完成“四个一”项目数"),
    ("outreach", "服务群众 凝聚人心", "outreach", "outreach.visits", "走访群众人次"),
    ("voice", "倾听民意 解决难题", "voice", "petitions.received", "受理群众信访件数"),
    ("closing", "总结经验 巩固成果", "closing", "", ""),
)


def _batch_label(c: Campaign) -> str:
    return str(Batch(c.batch).label) if c.batch in Batch.values else ""


def _theme(c: Campaign) -> str:
    """保持共产党员先进性教育活动（第二批） → 保持共产党员先进性教育活动."""
    return re.sub(r"（[^）]*）$", "", c.name).strip()


def title(root: Organization, campaign: Campaign | None, window: Window) -> str:
    if campaign is not None:
        return f"{place_name(root)}{_batch_label(campaign)}{_theme(campaign)}综述"
    return (
        f"{place_name(root)}{wording.long_date(window.start)}至"
        f"{wording.long_date(window.end)}党建工作综述"
    )


def issuer(root: Organization) -> str:
    """Who issues the summary: the committee's organisation department (中共上海市委组织部)."""
    name = root.name
    for suffix in ("工作委员会", "委员会"):
        if name.endswith(suffix):
            return name[: -len(suffix)] + "委组织部"
    return name


def write(
    root: Organization,
    figures: Figures,
    campaign: Campaign | None,
    as_of: dt.datetime,
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The content document and the figures it quotes."""
    with translation.override("zh-hans"):
        w = Writer(root, figures, campaign)
        sections: list[dict[str, Any]] = []
        for key, heading, method, chart_key, chart_title in SECTIONS:
            paragraphs = getattr(w, method)()
            if not paragraphs:
                continue
            if key == "closing" and not sections:
                continue  # a summary of nothing has no closing either
            chart = w.chart(chart_key, f"各单位{chart_title}") if chart_key else None
            sections.append(
                {
                    "key": key,
                    "heading": heading,
                    "paragraphs": paragraphs,
                    "subsections": [],
                    "chart": chart,
                }
            )
        content = {
            "title": title(root, campaign, figures.window),
            "scope": {"name": root.name, "path": root.path},
            "period": {
                "start": figures.window.start.isoformat(),
                "end": figures.window.end.isoformat(),
            },
            "as_of": as_of.isoformat(),
            # the site's day (the demo lives in 2005), the date the summary is signed
            "issued_on": clock.today().isoformat(),
            "issuer": issuer(root),
            "lead": w.lead(),
            "sections": sections,
            "appendix": w.appendix(),
        }
        shown = _refs(content)
        quoted = {k: q for k, q in w.quoted.items() if k in shown}
        content["figures"] = {
            k: {"value": q["value"], "label": q["label"], "unit": q["unit"]}
            for k, q in quoted.items()
        }
        return content, quoted


def paragraphs(content: dict[str, Any]) -> Iterable[Paragraph]:
    """Every paragraph of a content document, lead first."""
    yield content["lead"]
    for section in content["sections"]:
        yield from section["paragraphs"]
        for sub in section.get("subsections", []):
            yield from sub["paragraphs"]


def _refs(content: dict[str, Any]) -> set[str]:
    """The figures a content document shows: its segments' and its appendix's."""
    refs: set[str] = set()
    for para in paragraphs(content):
        for seg in para:
            refs.update(seg[k] for k in ("figure", "of") if k in seg)
    appendix = content.get("appendix")
    if appendix:
        for row in appendix["rows"]:
            refs.update(f"{row['path']}:{k}" for k in row["values"])
        refs.update(appendix["total"]["values"])
    return refs
