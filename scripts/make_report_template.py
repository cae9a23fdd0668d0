"""Build jiceng/reports/templates_docx/summary.docx, the Word template of the summary report (综述).

We have no Word here, so the template is built with python-docx from its default document.
It is nevertheless an ordinary Word document: a user may open it in Word (or LibreOffice),
restyle it — the styles 标题 ``Title``, 正文 ``Body Text``, ``Heading 1``–``3``, ``Caption``,
``Figure``, ``Signature``, ``Date``, ``Appendix Label``, ``Table Text``, ``Table Heading``,
``Table Grid`` — and save it over this file; ``jiceng.reports.docx.render_docx`` writes every
paragraph in these styles by name. The placeholders are docxtpl's Jinja tags: ``{{ title }}``,
``{{ issuer }}`` (inside ``{%p if issuer %}`` … ``{%p endif %}``), ``{{ date }}``, and
``{{p body }}`` and ``{{p appendix }}``, each a paragraph of its own that docxtpl replaces with
a subdocument. Keep each tag in one run (type it in one go, do not format part of it).

The layout is GB/T 9704-2012 (党政机关公文格式): A4, margins 37/35/28/26 mm, 22 lines of 28
characters (a line grid of 28.95 pt and characters tightened by 0.3 pt, see ``_page``),
title 2号 方正小标宋简体, body 3号 仿宋_GB2312, headings 一、 黑体,
（一） 楷体_GB2312, 1. 仿宋_GB2312 bold, page numbers "— 1 —" in 4号 宋体 at the bottom, odd
pages right and even pages left, one character in. Where the GB fonts are missing, the font
table names the usual Windows faces as alternates (仿宋, 楷体, 宋体).

Run: ``.venv/bin/python scripts/make_report_template.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt, Twips

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jiceng.reports import docx as layout  # noqa: E402

OUT = layout.TEMPLATE
LATIN = "Times New Roman"
FANGSONG, KAITI, HEITI, SONGTI, XIAOBIAOSONG = (
    "仿宋_GB2312",
    "楷体_GB2312",
    "黑体",
    "宋体",
    "方正小标宋简体",
)
# Font table entries: the GB fonts with the faces Windows ships as alternates.
FONTS = {
    FANGSONG: ("仿宋", "02010609030101010101", "86", "modern"),
    KAITI: ("楷体", "02010609030101010101", "86", "modern"),
    HEITI: ("SimHei", "02010609060101010101", "86", "modern"),
    SONGTI: ("SimSun", "02010600030101010101", "86", "auto"),
    XIAOBIAOSONG: ("宋体", "02000000000000000000", "86", "script"),
}
EXACT = Twips(layout.LINE_PITCH)
PPR_AFTER_SNAP = (
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


def main() -> None:
    doc = Document()
    _defaults(doc)
    _styles(doc)
    _page(doc)
    _settings(doc)
    _font_table(doc)
    _drop_parts(doc)
    _body(doc)
    props = doc.core_properties
    props.title, props.author, props.comments = (
        "综述",
        "jiceng",
        "GB/T 9704-2012; docxtpl template of jiceng.reports (scripts/make_report_template.py)",
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(OUT))
    print(f"wrote {OUT.relative_to(ROOT)}")


def _fonts(rpr, east_asia: str, latin: str = LATIN) -> None:
    fonts = rpr.get_or_add_rFonts()
    for name in list(fonts.attrib):  # the theme fonts would win over the named ones
        del fonts.attrib[name]
    for attr in ("ascii", "hAnsi", "cs"):
        fonts.set(qn(f"w:{attr}"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


def _defaults(doc) -> None:
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for child in list(rpr):
        rpr.remove(child)
    rpr.append(
        parse_xml(
            f'<w:rFonts {nsdecls("w")} w:ascii="{LATIN}" w:hAnsi="{LATIN}" w:cs="{LATIN}" '
            f'w:eastAsia="{FANGSONG}"/>'
        )
    )
    # 28 characters a line: each 3号 character tightened by 0.3 pt (15.7 pt; 28 × 15.7 pt =
    # 439.6 pt of the 442.25 pt line). See _page for why not the character grid alone.
    rpr.append(parse_xml(f'<w:spacing {nsdecls("w")} w:val="{layout.CHAR_TIGHTEN}"/>'))
    rpr.append(parse_xml(f'<w:kern {nsdecls("w")} w:val="2"/>'))
    rpr.append(parse_xml(f'<w:sz {nsdecls("w")} w:val="{layout.BODY_PT * 2}"/>'))
    rpr.append(parse_xml(f'<w:szCs {nsdecls("w")} w:val="{layout.BODY_PT * 2}"/>'))
    rpr.append(parse_xml(f'<w:lang {nsdecls("w")} w:val="en-US" w:eastAsia="zh-CN"/>'))
    ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    for child in list(ppr):
        ppr.remove(child)
    ppr.append(
        parse_xml(
            f'<w:spacing {nsdecls("w")} w:before="0" w:after="0" '
            f'w:line="{layout.LINE_PITCH}" w:lineRule="exact"/>'
        )
    )


def _style(
    doc,
    name: str,
    *,
    east_asia: str = FANGSONG,
    latin: str = LATIN,
    size: float = layout.BODY_PT,
    bold: bool = False,
    align=WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent_chars: int = 0,
    exact: bool = True,
    snap: bool = True,
    outline: int | None = None,
    keep_next: bool = False,
    page_break: bool = False,
    kind=WD_STYLE_TYPE.PARAGRAPH,
    base: str | None = "Normal",
):
    """(Re)define a paragraph style from scratch: no theme font, colour or spacing left over."""
    try:
        style = doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, kind)
    element = style.element
    for tag in ("w:pPr", "w:rPr"):
        old = element.find(qn(tag))
        if old is not None:
            element.remove(old)
    if base and name != base:
        style.base_style = doc.styles[base]
    style.hidden, style.quick_style = False, True
    style.unhide_when_used = False
    _fonts(element.get_or_add_rPr(), east_asia, latin)
    font = style.font
    font.size = Pt(size)
    font.bold = bold
    font.italic = False
    fmt = style.paragraph_format
    fmt.alignment = align
    fmt.space_before = fmt.space_after = Pt(0)
    if exact:
        fmt.line_spacing, fmt.line_spacing_rule = EXACT, WD_LINE_SPACING.EXACTLY
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    ppr = element.get_or_add_pPr()
    ind = ppr.get_or_add_ind()
    ind.set(qn("w:firstLineChars"), str(indent_chars * 100))
    ind.set(qn("w:firstLine"), str(round(indent_chars * layout.CHAR_PITCH)))
    if not snap:
        off = OxmlElement("w:snapToGrid")
        off.set(qn("w:val"), "0")
        ppr.insert_element_before(off, *PPR_AFTER_SNAP)
    if outline is not None:
        ppr.get_or_add_outlineLvl().val = outline
    fmt.keep_with_next = keep_next or None
    fmt.keep_together = keep_next or None
    fmt.page_break_before = page_break or None
    fmt.widow_control = False
    return style


def _styles(doc) -> None:
    _style(doc, "Normal", base=None)
    _style(doc, layout.BODY, indent_chars=2)
    _style(
        doc,
        layout.TITLE,
        east_asia=XIAOBIAOSONG,
        size=22,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        snap=False,  # 2号 characters are wider than the 3号 grid; the lines stay exact
    )
    heading: dict[str, Any] = {
        "indent_chars": 2,
        "keep_next": True,
        "align": WD_ALIGN_PARAGRAPH.LEFT,
    }
    _style(doc, layout.HEADINGS[0], east_asia=HEITI, outline=0, **heading)
    _style(doc, layout.HEADINGS[1], east_asia=KAITI, outline=1, **heading)
    _style(doc, layout.HEADINGS[2], east_asia=FANGSONG, bold=True, outline=2, **heading)
    # The linked character styles Word applies to part of a heading or title.
    for name, east_asia, bold in (
        ("Heading 1 Char", HEITI, False),
        ("Heading 2 Char", KAITI, False),
        ("Heading 3 Char", FANGSONG, True),
        ("Title Char", XIAOBIAOSONG, False),
    ):
        element = doc.styles[name].element
        old = element.find(qn("w:rPr"))
        if old is not None:
            element.remove(old)
        _fonts(element.get_or_add_rPr(), east_asia)
        doc.styles[name].font.bold = bold
    _style(
        doc,
        layout.FIGURE,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        exact=False,  # an exact line height would clip the picture
        snap=False,
        keep_next=True,
    )
    _style(doc, layout.CAPTION, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, snap=False)
    _style(doc, layout.SIGNATURE, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _style(doc, layout.DATE, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _style(
        doc,
        layout.APPENDIX_LABEL,
        east_asia=HEITI,
        align=WD_ALIGN_PARAGRAPH.LEFT,
        page_break=True,
    )
    table: dict[str, Any] = {
        "size": 12,
        "align": WD_ALIGN_PARAGRAPH.CENTER,
        "exact": False,
        "snap": False,
    }
    _style(doc, layout.TABLE_TEXT, **table)
    _style(doc, layout.TABLE_HEADING, east_asia=HEITI, **table)
    _style(
        doc,
        "Footer",
        east_asia=SONGTI,
        latin=SONGTI,  # GB/T 9704 §7.5: 半角宋体阿拉伯数字
        size=14,
        exact=False,
        snap=False,
        align=WD_ALIGN_PARAGRAPH.RIGHT,
    )


def _page(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Twips(layout.PAGE_WIDTH), Twips(layout.PAGE_HEIGHT)
    section.top_margin = Twips(layout.MARGIN_TOP)
    section.bottom_margin = Twips(layout.MARGIN_BOTTOM)
    section.left_margin = Twips(layout.MARGIN_LEFT)
    section.right_margin = Twips(layout.MARGIN_RIGHT)
    section.header_distance = Twips(851)  # 15 mm; the report has no header
    section.footer_distance = Twips(layout.FOOTER_DISTANCE)
    section.gutter = Twips(0)
    sect_pr = section._sectPr
    for grid in sect_pr.findall(qn("w:docGrid")):
        sect_pr.remove(grid)
    # The grid fixes 22 lines a page (linePitch, with exact line spacing in every body style).
    # Its type is "lines": with "linesAndChars" Word squeezes 28 characters into the line by
    # the negative charSpace, but LibreOffice (7.4) lays each 16 pt character out over two
    # 15.8 pt cells, 14 characters a line; the 0.3 pt tightening (_defaults) gives 28 in both.
    # charSpace stays for a user who turns the character grid on in Word (页面设置 › 文档网格).
    grid = OxmlElement("w:docGrid")
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(layout.LINE_PITCH))
    grid.set(qn("w:charSpace"), str(layout.CHAR_SPACE))
    sect_pr.append(grid)  # last child of sectPr in the default document's order
    one_char = Twips(280)  # one 4号 character
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.style = doc.styles["Footer"]
        paragraph.alignment = align
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            paragraph.paragraph_format.right_indent = one_char
        else:
            paragraph.paragraph_format.left_indent = one_char
        _page_number(paragraph)
    section.different_first_page_header_footer = False


def _page_number(paragraph) -> None:
    paragraph.add_run("— ")
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1")):
        run = paragraph.add_run()
        if kind:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), kind)
            run._r.append(field)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text
    end = paragraph.add_run()
    field = OxmlElement("w:fldChar")
    field.set(qn("w:fldCharType"), "end")
    end._r.append(field)
    paragraph.add_run(" —")


def _settings(doc) -> None:
    doc.settings.odd_and_even_pages_header_footer = True
    settings = doc.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    # Word's grid needs the "snap to grid" behaviour of East Asian layout, which is on by default.


def _font_table(doc) -> None:
    part = doc.part.part_related_by(RT.FONT_TABLE)
    xml = part.blob.decode("utf-8")
    entries = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:panose1 w:val="{panose}"/>'
        f'<w:charset w:val="{charset}"/><w:family w:val="{family}"/><w:pitch w:val="variable"/>'
        "</w:font>"
        for name, (alt, panose, charset, family) in FONTS.items()
    )
    part._blob = xml.replace("</w:fonts>", entries + "</w:fonts>").encode("utf-8")


def _drop_parts(doc) -> None:
    # python-docx's default document carries a thumbnail of itself and a Word 2010 copy of
    # its old styles (stylesWithEffects): neither describes this template.
    package_rels = doc.part.package.rels
    for r_id, rel in list(package_rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            package_rels.pop(r_id)
    for r_id, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            doc.part.rels.pop(r_id)


def _body(doc) -> None:
    for paragraph in list(doc.paragraphs):
        paragraph._p.getparent().remove(paragraph._p)
    doc.add_paragraph("{{ title }}", style=layout.TITLE)
    doc.add_paragraph(style="Normal")  # GB/T 9704 §7.3.3: a blank line under the title
    doc.add_paragraph("{{p body }}", style=layout.BODY)
    doc.add_paragraph(style="Normal")  # §7.3.5.2: a blank line above the issuer
    doc.add_paragraph("{%p if issuer %}", style=layout.SIGNATURE)
    doc.add_paragraph("{{ issuer }}", style=layout.SIGNATURE)
    doc.add_paragraph("{%p endif %}", style=layout.SIGNATURE)
    doc.add_paragraph("{{ date }}", style=layout.DATE)
    doc.add_paragraph("{{p appendix }}", style=layout.BODY)


if __name__ == "__main__":
    main()
