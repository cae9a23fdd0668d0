"""The summary report as a .docx laid out to GB/T 9704-2012 (党政机关公文格式).

The page, the fonts and the page numbers live in the Word template
``templates_docx/summary.docx`` (built by ``scripts/make_report_template.py``; a user may
restyle it in Word). docxtpl fills its title, issuer and date placeholders; the body (headings
一、/（一）/1., paragraphs, charts) and the appendix table are written with python-docx into
docxtpl subdocuments, in the template's styles, so every run takes its East Asian font from
the style.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable, Iterable
from copy import deepcopy
from pathlib import Path
from typing import Any

from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Twips
from docxtpl import DocxTemplate, Listing

from jiceng.core.text import to_traditional

from .charts import chart_png, format_value

TEMPLATE = Path(__file__).resolve().parent / "templates_docx" / "summary.docx"

# GB/T 9704-2012 §5.2: A4, top 37 mm, bottom 35 mm, left 28 mm, right 26 mm, text area
# 156 mm × 225 mm; §5.2.2: 22 lines of 28 characters in 3号 (16 pt) type. Lengths in twips.
PAGE_WIDTH, PAGE_HEIGHT = 11906, 16838
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 2098, 1984, 1587, 1474
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT  # 8845 ≈ 156 mm
TEXT_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM  # 12756 ≈ 225 mm
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
BODY_PT = 16
LINE_PITCH = TEXT_HEIGHT // LINES_PER_PAGE  # 579 twips = 28.95 pt, exact line spacing
# Every character tightened by 0.3 pt (w:spacing, in 20ths of a point): 28 × 15.7 pt fit the
# 442.25 pt line in Word and in LibreOffice alike (make_report_template.py, ``_page``).
CHAR_TIGHTEN = -6
CHAR_PITCH = BODY_PT * 20 + CHAR_TIGHTEN  # twips a 3号 character takes, 314
# Word's docGrid charSpace (4096ths of a point added to each character of the default size),
# used when a user turns the character grid on: 28 characters in the line.
CHAR_SPACE = math.floor((TEXT_WIDTH / CHARS_PER_LINE / 20 - BODY_PT) * 4096)  # -842
# 4号 (14 pt) page numbers, 7 mm under the text area (§7.5): the footer's bottom edge.
FOOTER_DISTANCE = 1304  # 23 mm

# Style names of the template (Word's built-in names where one fits, so the navigation pane
# and outline view know the headings).
TITLE, BODY = "Title", "Body Text"
HEADINGS = ("Heading 1", "Heading 2", "Heading 3")  # 一、 黑体 / （一） 楷体 / 1. 仿宋 bold
FIGURE, CAPTION = "Figure", "Caption"
SIGNATURE, DATE = "Signature", "Date"
APPENDIX_LABEL, TABLE, TABLE_TEXT, TABLE_HEADING = (
    "Appendix Label",
    "Table Grid",
    "Table Text",
    "Table Heading",
)

# More figure columns than this and the appendix table gets a landscape page.
PORTRAIT_COLUMNS = 5
LANDSCAPE_TEXT_WIDTH = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM  # 225 mm

CHART_WIDTH = Cm(15)
TITLE_CHARS = 20  # 2号 (22 pt) characters on a 156 mm line

_DIGITS = "零一二三四五六七八九"


def render_docx(content: dict[str, Any], *, traditional: bool = False) -> bytes:
    """The report's .docx, from its content document (``compose.write``).

    With ``traditional`` every text goes through OpenCC (``core.text.to_traditional``): the
    content holds organisation names, never personal ones, so all of it may be converted.
    """
    say: Callable[[str], str] = to_traditional if traditional else str
    if traditional:
        content = _traditional(content)
    tpl = DocxTemplate(str(TEMPLATE))
    body = tpl.new_subdoc()
    _write_body(body, content, say)
    appendix = content.get("appendix")
    appendix_doc: Any = ""
    landscape = False
    if appendix and appendix.get("rows"):
        appendix_doc = tpl.new_subdoc()
        landscape = len(appendix["columns"]) > PORTRAIT_COLUMNS
        _write_appendix(appendix_doc, appendix, say, landscape=landscape)
    tpl.render(
        {
            "title": Listing(title_lines(content["title"])),
            "issuer": content.get("issuer") or "",
            "date": long_date(_issue_date(content)),
            "body": body,
            "appendix": appendix_doc,
        },
        autoescape=True,
    )
    _place_signature(tpl.docx, content.get("issuer") or "", long_date(_issue_date(content)))
    if landscape:
        _turn_appendix(tpl.docx)
    _renumber_drawings(tpl.docx)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def chinese_number(n: int) -> str:
    """一, 二, … 十, 十一, … 九十九: the numbers of headings 一、 and （一）.

    >>> [chinese_number(n) for n in (1, 9, 10, 11, 20, 23)]
    ['一', '九', '十', '十一', '二十', '二十三']
    """
    if not 0 < n < 100:
        raise ValueError(f"heading number {n} out of range")
    tens, units = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[units] if units else "")


def long_date(day: dt.date) -> str:
    """成文日期 in GB/T 9704-2012 §7.3.5: Arabic numerals, year, month and day in full.

    >>> long_date(dt.date(2005, 12, 5))
    '2005年12月5日'
    """
    return f"{day.year}年{day.month}月{day.day}日"


def title_lines(title: str) -> str:
    """Break a title longer than a 2号 line in two, at a word's end near the middle
    (GB/T 9704-2012 §7.3.3: 回行时要做到词意完整, 排列对称): after 市, 区, 县, 批, 年, 的 …

    >>> title_lines("上海市第二批保持共产党员先进性教育活动综述")
    '上海市第二批\\n保持共产党员先进性教育活动综述'
    >>> title_lines("黄浦区党建工作综述")
    '黄浦区党建工作综述'
    """
    if "\n" in title or len(title) <= TITLE_CHARS:
        return title
    n = len(title)
    candidates = [
        k
        for k in range(max(1, n - TITLE_CHARS), min(TITLE_CHARS, n - 1) + 1)
        if title[k - 1] in "市区县镇乡街道批年的" or title[k:].startswith(("关于", "综述"))
    ]
    balanced = [k for k in candidates if min(k, n - k) / max(k, n - k) >= 0.3]
    k = min(balanced, key=lambda k: abs(k - n / 2)) if balanced else (n + 1) // 2
    return f"{title[:k]}\n{title[k:]}"


def text_of(paragraph: Iterable[dict[str, Any]]) -> str:
    """A paragraph of the content document is the concatenation of its segments' text."""
    return "".join(str(segment["text"]) for segment in paragraph)


# --- the body -------------------------------------------------------------------------------


def _write_body(doc: Any, content: dict[str, Any], say: Callable[[str], str]) -> None:
    lead = content.get("lead") or []
    for paragraph in lead if lead and isinstance(lead[0], list) else [lead]:
        _paragraph(doc, paragraph)
    figure = 0
    for i, section in enumerate(content.get("sections") or [], 1):
        doc.add_paragraph(f"{chinese_number(i)}、{section['heading']}", style=HEADINGS[0])
        for paragraph in section.get("paragraphs") or []:
            _paragraph(doc, paragraph)
        if section.get("chart"):
            figure += 1
            _chart(doc, section["chart"], figure, say)
        _subsections(doc, section.get("subsections") or [], level=1)


def _subsections(doc: Any, subsections: list[dict[str, Any]], *, level: int) -> None:
    for j, sub in enumerate(subsections, 1):
        number = f"（{chinese_number(j)}）" if level == 1 else f"{j}."
        doc.add_paragraph(f"{number}{sub['heading']}", style=HEADINGS[level])
        for paragraph in sub.get("paragraphs") or []:
            _paragraph(doc, paragraph)
        if level == 1:
            _subsections(doc, sub.get("subsections") or [], level=2)


def _paragraph(doc: Any, paragraph: list[dict[str, Any]]) -> None:
    text = text_of(paragraph)
    if text.strip():
        doc.add_paragraph(text, style=BODY)


def _chart(doc: Any, chart: dict[str, Any], number: int, say: Callable[[str], str]) -> None:
    unit = say(f"单位：{chart['unit']}") if chart.get("unit") else ""
    png = chart_png({**chart, "axis_label": unit})
    doc.add_paragraph(style=FIGURE).add_run().add_picture(io.BytesIO(png), width=CHART_WIDTH)
    caption = f"{say('图')}{number}　{chart.get('title', '')}{f'（{unit}）' if unit else ''}"
    doc.add_paragraph(caption, style=CAPTION)


# --- the appendix ---------------------------------------------------------------------------


def _write_appendix(
    doc: Any, appendix: dict[str, Any], say: Callable[[str], str], *, landscape: bool
) -> None:
    # §8 附件: "附件" in 黑体 3号 at the top left of a new page, its title centred as a title.
    # More than PORTRAIT_COLUMNS figures and the table lies landscape (§9 横排表格).
    label, _, title = str(appendix.get("title") or "附表").partition("：")
    if not title:
        label, title = "附表", label if label != "附表" else ""
    doc.add_paragraph(label, style=APPENDIX_LABEL)
    if title:
        doc.add_paragraph(title, style=TITLE)
        doc.add_paragraph(style=BODY)
    columns = appendix["columns"]
    rows = [*appendix["rows"], *([appendix["total"]] if appendix.get("total") else [])]
    table = doc.add_table(rows=1 + len(rows), cols=1 + len(columns))
    table.style = TABLE
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    headers = [say("单位")] + [
        f"{c['label']}\n（{c['unit']}）" if c.get("unit") else str(c["label"]) for c in columns
    ]
    _row(table.rows[0], headers, TABLE_HEADING)
    _repeat_as_header(table.rows[0])
    for r, row in enumerate(rows, 1):
        cells = [str(row["name"])] + [_cell_value(row["values"].get(c["key"])) for c in columns]
        _row(table.rows[r], cells, TABLE_HEADING if row is appendix.get("total") else TABLE_TEXT)
    width = LANDSCAPE_TEXT_WIDTH if landscape else TEXT_WIDTH
    _column_widths(table, [str(row["name"]) for row in rows], len(columns), width)


def _cell_value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, int | float):
        return format_value(value)
    return str(value)


def _row(row: Any, texts: list[str], style: str) -> None:
    for cell, text in zip(row.cells, texts, strict=True):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        paragraph = cell.paragraphs[0]
        paragraph.style = style
        paragraph.add_run(text)
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))


def _repeat_as_header(row: Any) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # after cantSplit (schema)


def _column_widths(table: Any, names: list[str], figures: int, text_width: int) -> None:
    # The unit names' column fits the longest name (up to 7 小四 characters a line, 240 twips
    # each, and the cell's margins); the figures share the rest of the line.
    longest = max(map(len, names), default=4)
    first = min(max(longest, 4), 7) * 240 + 300
    rest = (text_width - first) // max(figures, 1)
    widths = [first] + [rest] * figures
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(width))
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Twips(width)


# --- after rendering ------------------------------------------------------------------------


def _place_signature(document: Any, issuer: str, date: str) -> None:
    """GB/T 9704-2012 §7.3.5.2: the issuer right-aligned two characters in from the margin,
    the date on the next line starting two characters right of the issuer's first character;
    when the date is the longer, it keeps its two characters and the issuer moves over."""
    issuer_width, date_width = _width(issuer), _width(date)
    issuer_right = 2.0
    date_right = issuer_right + issuer_width - 2 - date_width
    if not issuer or date_right < 2:
        date_right = 2.0
        issuer_right = date_right + date_width + 2 - issuer_width
    for paragraph in document.paragraphs:
        name = paragraph.style.name if paragraph.style is not None else ""
        right = {SIGNATURE: issuer_right, DATE: date_right}.get(name)
        if right is not None:
            paragraph.paragraph_format.right_indent = Twips(round(right * CHAR_PITCH))


def _turn_appendix(document: Any) -> None:
    """Give the appendix a landscape section of its own: the paragraph before it closes the
    portrait section (a copy of the template's section properties), and the document's last
    section, which holds the appendix, turns. The margins turn with the paper, so the bound
    edge keeps its 28 mm."""
    label = next(p for p in document.paragraphs if p.style.name == APPENDIX_LABEL)
    label.paragraph_format.page_break_before = False  # the new section starts the page
    previous = label._p.getprevious()
    if previous is None or previous.tag != qn("w:p"):
        previous = label.insert_paragraph_before()._p
    previous.get_or_add_pPr()._insert_sectPr(deepcopy(document.element.body.sectPr))
    section = document.sections[-1]
    section.start_type = WD_SECTION.NEW_PAGE
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Twips(PAGE_HEIGHT), Twips(PAGE_WIDTH)
    section.top_margin, section.bottom_margin = Twips(MARGIN_LEFT), Twips(MARGIN_RIGHT)
    section.left_margin, section.right_margin = Twips(MARGIN_TOP), Twips(MARGIN_BOTTOM)


def _width(text: str) -> float:
    """Width in characters: digits and Latin letters are half width."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def _renumber_drawings(document: Any) -> None:
    # Pictures added to the subdocuments all took the template's next free id; Word wants
    # each drawing's id unique.
    for n, doc_pr in enumerate(document.element.body.iter(qn("wp:docPr")), 1):
        doc_pr.set("id", str(n))


def _issue_date(content: dict[str, Any]) -> dt.date:
    if content.get("issued_on"):
        return dt.date.fromisoformat(str(content["issued_on"]))
    as_of = content.get("as_of")
    if as_of:
        return dt.datetime.fromisoformat(str(as_of)).date()
    return dt.date.fromisoformat(str(content["period"]["end"]))


def _traditional(value: Any) -> Any:
    if isinstance(value, str):
        return to_traditional(value)
    if isinstance(value, dict):
        return {key: _traditional(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_traditional(item) for item in value]
    return value
