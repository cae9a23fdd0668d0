"""Education as rosters write it (issue 17): the national code table (GB/T 4658-2006) and
the common names are accepted and mapped to the roll's level; anything else is refused with
the accepted names."""

from __future__ import annotations

import pytest

from jiceng.imports.cleaning import CellError, choice
from jiceng.imports.members import EDUCATION, EDUCATION_SHOWN
from jiceng.members.models import Education


@pytest.mark.parametrize(
    ("written", "level"),
    [
        ("硕士研究生", Education.POSTGRADUATE),
        ("硕士研究生毕业", Education.POSTGRADUATE),
        ("14", Education.POSTGRADUATE),
        ("博士", Education.POSTGRADUATE),
        ("大学本科", Education.UNIVERSITY),
        ("21", Education.UNIVERSITY),
        ("大專", Education.COLLEGE),  # Traditional characters read too
        ("技工学校毕业", Education.SECONDARY),
        ("初中", Education.MIDDLE_SCHOOL),
        ("小学及以下", Education.PRIMARY),
    ],
)
def test_the_standard_and_common_names_are_accepted(written, level):
    assert choice(written, EDUCATION, label="学历", shown=EDUCATION_SHOWN) == level


def test_an_unknown_value_is_refused_with_the_accepted_names():
    with pytest.raises(CellError) as info:
        choice("幼儿园大班", EDUCATION, label="学历", shown=EDUCATION_SHOWN)
    assert "幼儿园大班" in info.value.message
    assert "研究生" in info.value.message
    assert "GB/T 4658-2006" in info.value.message
