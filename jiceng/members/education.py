"""Education as rosters write it: the national code table of education levels (GB/T
4658-2006《学历代码》) with the common names officers use, each mapped to the roll's
``Education`` level.

Source: GB/T 4658-2006, table 1 (two-digit codes; the tens digit is the level). The level
codes (10 研究生 … 90 其他) are as published; the finer codes and their names below were
written from secondary copies of the standard and are **not confirmed against the text**
(``CONFIRMED = False``). A value not in this table is refused with the list of accepted names.
"""

from __future__ import annotations

from .models import Education

STANDARD = "GB/T 4658-2006《学历代码》"
CONFIRMED = False  # finer codes not checked against the published text

# (code, name in the standard, level on the roll)
CODES: tuple[tuple[str, str, str], ...] = (
    ("10", "研究生教育", Education.POSTGRADUATE),
    ("11", "博士研究生毕业", Education.POSTGRADUATE),
    ("12", "博士研究生结业", Education.POSTGRADUATE),
    ("13", "博士研究生肄业", Education.POSTGRADUATE),
    ("14", "硕士研究生毕业", Education.POSTGRADUATE),
    ("15", "硕士研究生结业", Education.POSTGRADUATE),
    ("16", "硕士研究生肄业", Education.POSTGRADUATE),
    ("17", "研究生班毕业", Education.POSTGRADUATE),
    ("18", "研究生班结业", Education.POSTGRADUATE),
    ("19", "研究生班肄业", Education.POSTGRADUATE),
    ("20", "大学本科教育", Education.UNIVERSITY),
    ("21", "大学本科毕业", Education.UNIVERSITY),
    ("22", "大学本科结业", Education.UNIVERSITY),
    ("23", "大学本科肄业", Education.UNIVERSITY),
    ("28", "大学普通班毕业", Education.UNIVERSITY),
    ("30", "大学专科教育", Education.COLLEGE),
    ("31", "大学专科毕业", Education.COLLEGE),
    ("32", "大学专科结业", Education.COLLEGE),
    ("33", "大学专科肄业", Education.COLLEGE),
    ("40", "中等职业教育", Education.SECONDARY),
    ("41", "中等专科毕业", Education.SECONDARY),
    ("42", "中等专科结业", Education.SECONDARY),
    ("43", "中等专科肄业", Education.SECONDARY),
    ("44", "职业高中毕业", Education.SECONDARY),
    ("45", "职业高中结业", Education.SECONDARY),
    ("46", "职业高中肄业", Education.SECONDARY),
    ("47", "技工学校毕业", Education.SECONDARY),
    ("48", "技工学校结业", Education.SECONDARY),
    ("49", "技工学校肄业", Education.SECONDARY),
    ("60", "普通高级中学教育", Education.HIGH_SCHOOL),
    ("61", "普通高中毕业", Education.HIGH_SCHOOL),
    ("62", "普通高中结业", Education.HIGH_SCHOOL),
    ("63", "普通高中肄业", Education.HIGH_SCHOOL),
    ("70", "初级中学教育", Education.MIDDLE_SCHOOL),
    ("71", "初中毕业", Education.MIDDLE_SCHOOL),
    ("73", "初中肄业", Education.MIDDLE_SCHOOL),
    ("80", "小学教育", Education.PRIMARY),
    ("81", "小学毕业", Education.PRIMARY),
    ("83", "小学肄业", Education.PRIMARY),
    ("90", "其他", Education.PRIMARY),
)

# The names rosters use beside the standard's: short forms, degrees and older usage.
COMMON_NAMES: dict[str, str] = {
    "研究生": Education.POSTGRADUATE,
    "博士研究生": Education.POSTGRADUATE,
    "硕士研究生": Education.POSTGRADUATE,
    "博士": Education.POSTGRADUATE,
    "硕士": Education.POSTGRADUATE,
    "在职研究生": Education.POSTGRADUATE,
    "研究生班": Education.POSTGRADUATE,
    "大学本科": Education.UNIVERSITY,
    "本科": Education.UNIVERSITY,
    "大学": Education.UNIVERSITY,
    "学士": Education.UNIVERSITY,
    "大学普通班": Education.UNIVERSITY,
    "大学专科": Education.COLLEGE,
    "大专": Education.COLLEGE,
    "专科": Education.COLLEGE,
    "高职": Education.COLLEGE,
    "中专": Education.SECONDARY,
    "中等专科": Education.SECONDARY,
    "中技": Education.SECONDARY,
    "技校": Education.SECONDARY,
    "技工学校": Education.SECONDARY,
    "职高": Education.SECONDARY,
    "职业高中": Education.SECONDARY,
    "高中": Education.HIGH_SCHOOL,
    "普通高中": Education.HIGH_SCHOOL,
    "初中": Education.MIDDLE_SCHOOL,
    "小学": Education.PRIMARY,
    "文盲": Education.PRIMARY,
    "半文盲": Education.PRIMARY,
}


# Values the roll's level records only approximately: not graduated (结业, 肄业) or "other".
# The import says so before writing (硕士研究生肄业 is recorded as 研究生).
APPROXIMATE: frozenset[str] = frozenset(
    key
    for code, name, _level in CODES
    if name.endswith(("结业", "肄业")) or code == "90"
    for key in (code, name)
)


def names() -> dict[str, str]:
    """Every accepted name or code → the roll's level: the roll's own labels, the standard's
    codes and names, and the common names."""
    out: dict[str, str] = {str(label): value for value, label in Education.choices}
    for code, name, level in CODES:
        out[code] = level
        out[name] = level
    return out | COMMON_NAMES
