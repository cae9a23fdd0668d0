"""The summary report's .docx (GB/T 9704-2012) and its charts, read back with python-docx."""

from __future__ import annotations

import io
import struct
import warnings
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Length, Pt
from matplotlib import font_manager

from jiceng.reports import charts
from jiceng.reports.docx import CHAR_PITCH, render_docx

SEG = dict[str, Any]


def t(text: str) -> SEG:
    return {"text": text}


def content() -> dict[str, Any]:
    return {
        "title": "上海市第二批保持共产党员先进性教育活动综述",
        "scope": {"name": "上海市", "path": "0001"},
        "period": {"start": "2005-06-30", "end": "2005-12-05"},
        "as_of": "2005-12-05T18:00:00+08:00",
        "issuer": "中共上海市委组织部",
        "lead": [
            t("第二批先进性教育活动开展以来，全市新建基层党组织"),
            {"text": "1427", "figure": "orgs.founded"},
            t("个，活动成为反映群众意见的晴雨表。"),
        ],
        "sections": [
            {
                "key": "organisation",
                "heading": "精心准备 打实基础",
                "paragraphs": [
                    [t("各区县党组织"), {"text": "1.2万多", "figure": "members.total"}, t("名。")],
                    [t("农村党员发展多种经营，带动群众致富。")],
                ],
                "subsections": [
                    {
                        "heading": "健全组织 理顺关系",
                        "paragraphs": [[t("街道社区党组织理顺了组织关系。")]],
                    }
                ],
                "chart": {
                    "kind": "bar",
                    "title": "各区县新建基层党组织数",
                    "unit": "个",
                    "labels": ["黄浦区", "卢湾区", "徐汇区"],
                    "values": [12, 7, 30],
                },
            },
            {
                "key": "outreach",
                "heading": "服务群众 凝聚人心",
                "paragraphs": [[t("走访群众"), {"text": "5698", "figure": "visits"}, t("人次。")]],
                "subsections": [],
                "chart": None,
            },
        ],
        "appendix": {
            "title": "附表：各单位主要数据",
            "columns": [
                {"key": "orgs.founded", "label": "新建基层党组织", "unit": "个"},
                {"key": "visits", "label": "走访群众", "unit": "人次"},
            ],
            "rows": [
                {"name": "黄浦区", "values": {"orgs.founded": 12, "visits": 1200}},
                {"name": "卢湾区", "values": {"orgs.founded": 7, "visits": 898}},
                {"name": "徐汇区", "values": {"orgs.founded": 30, "visits": 3600}},
            ],
            "total": {"name": "合计", "values": {"orgs.founded": 49, "visits": 5698}},
        },
        "figures": {"orgs.founded": {"value": 1427, "label": "新建基层党组织", "unit": "个"}},
    }


@pytest.fixture(scope="module")
def doc():
    return Document(io.BytesIO(render_docx(content())))


def mm(length: Length | None) -> float:
    assert length is not None
    return round(length.mm)


def effective(paragraph, attr: str) -> Any:
    """A run property as Word resolves it: the run, then its paragraph's style chain, then
    the document defaults (python-docx reports only what is set at each level)."""
    run = paragraph.runs[0]
    if getattr(run.font, attr) is not None:
        return getattr(run.font, attr)
    style = paragraph.style
    while style is not None:
        if getattr(style.font, attr) is not None:
            return getattr(style.font, attr)
        style = style.base_style
    return None


def east_asia(paragraph) -> str | None:
    """The East Asian font of a paragraph's first run, resolved like ``effective``."""
    elements = [paragraph.runs[0]._r]
    style = paragraph.style
    while style is not None:
        elements.append(style.element)
        style = style.base_style
    for element in elements:
        fonts = element.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        if fonts is not None and fonts.get(qn("w:eastAsia")):
            return fonts.get(qn("w:eastAsia"))
    return None


def paragraph_with(doc, text: str):
    return next(p for p in doc.paragraphs if text in p.text)


def test_page_is_a4_with_the_standard_margins(doc):
    section = doc.sections[0]
    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [mm(m) for m in margins] == [37, 35, 28, 26]


def test_grid_gives_22_lines_of_28_characters(doc):
    section = doc.sections[0]
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) in {"lines", "linesAndChars"}
    text_height = Length(section.page_height - section.top_margin - section.bottom_margin)
    pitch = int(grid.get(qn("w:linePitch")))
    assert text_height.twips // pitch == 22
    body = paragraph_with(doc, "全市新建基层党组织")
    assert body.style.paragraph_format.line_spacing.twips == pitch  # exact, on the grid
    text_width = Length(section.page_width - section.left_margin - section.right_margin)
    # Each 3号 character's advance: 16 pt and the documents' character spacing (20ths of pt).
    spacing = doc.styles.element.find(f".//{qn('w:rPrDefault')}//{qn('w:spacing')}")
    char = 16 + int(spacing.get(qn("w:val"))) / 20
    assert int(text_width.pt // char) == 28


def test_title_is_2hao_xiaobiaosong_centred(doc):
    title = doc.paragraphs[0]
    assert title.text.replace("\n", "") == "上海市第二批保持共产党员先进性教育活动综述"
    assert effective(title, "size") == Pt(22)
    assert east_asia(title) == "方正小标宋简体"
    assert title.style.paragraph_format.alignment == 1  # centre
    assert doc.paragraphs[1].text == ""  # a blank line before the body


def test_body_is_3hao_fangsong_indented_two_characters(doc):
    for text in ("全市新建基层党组织1427个", "各区县党组织1.2万多名。", "走访群众5698人次。"):
        body = paragraph_with(doc, text)
        assert east_asia(body) == "仿宋_GB2312"
        assert effective(body, "size") == Pt(16)
        indent = body.style.element.find(f"{qn('w:pPr')}/{qn('w:ind')}")
        assert indent.get(qn("w:firstLineChars")) == "200"
    fonts = doc.styles.element.find(f".//{qn('w:rPrDefault')}//{qn('w:rFonts')}")
    assert fonts.get(qn("w:ascii")) == "Times New Roman"  # the digits


def test_headings_are_numbered_in_the_standard_fonts(doc):
    first = paragraph_with(doc, "精心准备 打实基础")
    assert first.text == "一、精心准备 打实基础"
    assert east_asia(first) == "黑体"
    assert paragraph_with(doc, "服务群众 凝聚人心").text == "二、服务群众 凝聚人心"
    sub = paragraph_with(doc, "健全组织 理顺关系")
    assert sub.text == "（一）健全组织 理顺关系"
    assert east_asia(sub) == "楷体_GB2312"
    assert effective(sub, "size") == Pt(16)


def test_a_third_level_is_numbered_1_in_bold_fangsong():
    deep = content()
    deep["sections"][0]["subsections"][0]["subsections"] = [
        {"heading": "居民区", "paragraphs": [[t("居民区党组织全部建立。")]]}
    ]
    doc = Document(io.BytesIO(render_docx(deep)))
    third = paragraph_with(doc, "居民区")
    assert third.text == "1.居民区"
    assert east_asia(third) == "仿宋_GB2312"
    assert effective(third, "bold") is True


def test_each_chart_is_an_inline_picture_with_its_caption(doc):
    pictures = doc.inline_shapes
    assert len(pictures) == 1  # the second section has no chart
    assert 14.5 <= pictures[0].width.cm <= 15.5
    texts = [p.text for p in doc.paragraphs]
    caption = texts.index("图1　各区县新建基层党组织数（单位：个）")
    assert "街道社区党组织理顺了组织关系。" in texts[caption:]  # after the section's paragraphs
    assert texts.index("农村党员发展多种经营，带动群众致富。") < caption


def test_issuer_and_date_close_the_body_right_aligned(doc):
    issuer = paragraph_with(doc, "中共上海市委组织部")
    date = paragraph_with(doc, "2005年12月5日")
    assert issuer.style.paragraph_format.alignment == date.style.paragraph_format.alignment == 2
    # GB/T 9704-2012 §7.3.5.2: the issuer two characters in from the right margin, and the
    # date starting two characters right of the issuer's first character ("2005" is half
    # width: the date is 6.5 characters wide, the issuer 9).
    issuer_right = issuer.paragraph_format.right_indent.twips / CHAR_PITCH
    date_right = date.paragraph_format.right_indent.twips / CHAR_PITCH
    assert issuer_right == pytest.approx(2, abs=0.01)
    assert (issuer_right + 9) - (date_right + 6.5) == pytest.approx(2, abs=0.01)


def test_appendix_table_on_a_new_page_with_a_repeated_header_and_the_total(doc):
    label = paragraph_with(doc, "附表")
    assert label.style.paragraph_format.page_break_before
    (table,) = doc.tables
    assert [c.text.replace("\n", "") for c in table.rows[0].cells] == [
        "单位",
        "新建基层党组织（个）",
        "走访群众（人次）",
    ]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert [c.text for c in table.rows[-1].cells] == ["合计", "49", "5698"]
    assert [r.cells[0].text for r in table.rows[1:-1]] == ["黄浦区", "卢湾区", "徐汇区"]
    cell = table.rows[1].cells[0].paragraphs[0]
    assert east_asia(cell) == "仿宋_GB2312"
    assert effective(cell, "size") == Pt(12)
    assert table.style.name == "Table Grid"  # bordered


def test_a_wide_appendix_gets_a_landscape_page_of_its_own():
    wide = content()
    keys = [f"k{i}" for i in range(9)]
    wide["appendix"]["columns"] = [
        {"key": k, "label": "新建基层党组织", "unit": "个"} for k in keys
    ]
    for row in [*wide["appendix"]["rows"], wide["appendix"]["total"]]:
        row["values"] = dict.fromkeys(keys, 1)
    doc = Document(io.BytesIO(render_docx(wide)))
    body, appendix = doc.sections
    assert (mm(body.page_width), mm(body.page_height)) == (210, 297)
    assert (mm(appendix.page_width), mm(appendix.page_height)) == (297, 210)
    assert [mm(appendix.left_margin), mm(appendix.right_margin)] == [37, 35]
    assert len(doc.tables[0].columns) == 10
    # Both sections number their pages the same way.
    assert appendix.footer.paragraphs[0].text == body.footer.paragraphs[0].text


def test_page_numbers_are_dashed_and_alternate_sides(doc):
    section = doc.sections[0]
    assert doc.settings.odd_and_even_pages_header_footer
    odd, even = section.footer.paragraphs[0], section.even_page_footer.paragraphs[0]
    assert odd.text.startswith("— ")
    assert odd.text.endswith(" —")
    assert "PAGE" in odd._p.xml
    assert (odd.alignment, even.alignment) == (2, 0)  # odd right, even left


def test_the_document_without_appendix_or_issuer_still_renders():
    bare = content() | {"appendix": None, "issuer": ""}
    doc = Document(io.BytesIO(render_docx(bare)))
    texts = [p.text for p in doc.paragraphs]
    assert "2005年12月5日" in texts
    assert "中共上海市委组织部" not in texts
    assert not doc.tables
    assert not any("{{" in text or "{%" in text for text in texts)


def test_text_with_markup_characters_is_printed_as_written():
    odd = content() | {"title": "<综述> & {{ title }}", "issuer": "A&B党委"}
    odd["lead"] = [t("“五好”&<b>{%p if x %}")]
    doc = Document(io.BytesIO(render_docx(odd)))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "<综述> & {{ title }}"
    assert "“五好”&<b>{%p if x %}" in texts
    assert "A&B党委" in texts


def test_traditional_converts_every_text_by_phrase():
    doc = Document(io.BytesIO(render_docx(content(), traditional=True)))
    texts = "\n".join(p.text for p in doc.paragraphs)
    assert "晴雨表" in texts  # a phrase table, not a character map (晴雨錶)
    assert "多種經營" in texts
    assert "組織" in texts
    assert "组织" not in texts
    table = doc.tables[0]
    assert [c.text.replace("\n", "") for c in table.rows[0].cells[:2]] == [
        "單位",
        "新建基層黨組織（個）",
    ]
    assert "圖1　各區縣新建基層黨組織數（單位：個）" in texts  # the words the .docx adds too


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize(
    ("chart", "tall"),
    [
        ({"kind": "bar", "unit": "个", "labels": ["黄浦区", "卢湾区"], "values": [3, 5]}, False),
        (
            {
                "kind": "bar",
                "unit": "人次",
                "labels": [f"第{n}区" for n in range(12)],
                "values": list(range(12)),
            },
            True,  # more than eight bars lie horizontally, one line each
        ),
        (
            {"kind": "pie", "unit": "个", "labels": ["机关", "企业", "社区"], "values": [1, 2, 3]},
            False,
        ),
    ],
)
def test_chart_png_draws_chinese_labels_in_noto_cjk(chart, tall):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = charts.chart_png({"title": "各区县新建基层党组织数", **chart})
    assert not [w for w in caught if "missing from font" in str(w.message)]
    width, height = png_size(data)
    assert 1100 <= width <= 1250  # 15 cm at 200 dpi
    assert (height > width * 0.7) is tall
    assert 5_000 < len(data) < 1_000_000
    path = font_manager.findfont(charts.FONT_FAMILY, fallback_to_default=False)
    assert path == str(charts.FONT_PATH)


def test_chart_png_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown chart kind"):
        charts.chart_png({"kind": "radar", "labels": [], "values": []})


def test_missing_font_names_the_debian_package(monkeypatch, tmp_path):
    monkeypatch.setattr(charts, "FONT_PATH", tmp_path / "NotoSansCJK-Regular.ttc")
    charts.chart_font.cache_clear()
    try:
        with pytest.raises(charts.MissingFontError, match="fonts-noto-cjk"):
            charts.chart_png({"kind": "bar", "labels": ["黄浦区"], "values": [1]})
    finally:
        monkeypatch.undo()
        charts.chart_font.cache_clear()
