"""Make the LibreOffice-saved import fixtures (issue 3: "one saved by LibreOffice").

    apt-get install libreoffice-calc   # once; the tests only read the committed files
    .venv/bin/python scripts/make_libreoffice_fixtures.py

Builds the tiny scenario (seed 7, as the tests do) in a throw-away SQLite database, makes 40
new members for branches of 黄浦 (names, valid ID numbers, dates, phones), and has LibreOffice
Calc write two files into ``jiceng/imports/tests/files/``:

- ``roll-libreoffice.xlsx``: a roll written by openpyxl (merged title row, ID numbers as text,
  real date cells) and saved again by LibreOffice, so the file is LibreOffice's own .xlsx;
- ``roll-from-csv-libreoffice.xlsx``: the same people as a GBK CSV with dates spelt 2001/7/1
  opened by LibreOffice (ID column as text, dates recognised as dates, phones as numbers) and
  saved as .xlsx, which is what an officer gets from "open CSV, save as Excel".

``expected.json`` beside them holds the rows, for the tests to compare against.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "jiceng" / "imports" / "tests" / "files"
HEADER = ["姓名", "公民身份号码", "性别", "入党日期", "转正日期", "联系电话", "所在支部"]
ROWS = 40


def main() -> int:
    soffice = shutil.which("soffice")
    if soffice is None:
        print("LibreOffice is not installed (apt-get install libreoffice-calc)", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="jiceng-lo-"))
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'db.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    import django

    django.setup()
    import openpyxl
    from django.core.management import call_command

    from jiceng.core.idnumber import make_id_number
    from jiceng.orgs.models import Organization
    from jiceng.scenario.build import build
    from jiceng.scenario.names import NameMaker

    call_command("migrate", verbosity=0)
    build("tiny", 7)
    huangpu = Organization.objects.get(code="310101")
    branches = list(
        Organization.objects.filter(path__startswith=huangpu.path, org_type="branch")
        .order_by("path")
        .values_list("code", flat=True)[:5]
    )
    rng = random.Random(2005)  # noqa: S311 - test data, not secrets
    names = NameMaker(rng)
    people = []
    for seq in range(ROWS):
        sex = rng.choice("MF")
        born = dt.date(rng.randint(1935, 1982), rng.randint(1, 12), rng.randint(1, 28))
        joined = dt.date(born.year + rng.randint(19, 35), rng.randint(1, 12), 1)
        people.append(
            {
                "name": names.full(sex, born.year),
                "id_number": make_id_number("310101", born, 440 + seq, sex),
                "sex": "男" if sex == "M" else "女",
                "joined_on": joined.isoformat(),
                "full_member_on": (joined + dt.timedelta(days=365)).isoformat(),
                "phone": f"139{rng.randint(0, 99999999):08d}",
                "branch": rng.choice(branches),
            }
        )

    # 1. openpyxl → LibreOffice → .xlsx
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "党员名册"
    ws.append(["黄浦区新增党员名册（LibreOffice 另存）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    ws.append(HEADER)
    for p in people:
        ws.append(
            [
                p["name"],
                p["id_number"],
                p["sex"],
                dt.date.fromisoformat(p["joined_on"]),
                dt.date.fromisoformat(p["full_member_on"]),
                p["phone"],
                p["branch"],
            ]
        )
    for row in ws.iter_rows(min_row=3, min_col=2, max_col=2):
        row[0].number_format = "@"
    source = work / "in" / "roll-libreoffice.xlsx"
    source.parent.mkdir()
    wb.save(source)
    convert(soffice, source, work, "xlsx:Calc MS Excel 2007 XML")

    # 2. GBK CSV → LibreOffice (column types set as an officer would) → .xlsx
    csv_path = work / "in" / "roll-from-csv-libreoffice.csv"
    with csv_path.open("w", newline="", encoding="gbk") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for p in people:
            joined = dt.date.fromisoformat(p["joined_on"])
            full = dt.date.fromisoformat(p["full_member_on"])
            writer.writerow(
                [
                    p["name"],
                    p["id_number"],
                    p["sex"],
                    f"{joined.year}/{joined.month}/{joined.day}",
                    f"{full.year}/{full.month}/{full.day}",
                    p["phone"],
                    p["branch"],
                ]
            )
    # separator 44 (,), quote 34 ("), charset 85 (RTL_TEXTENCODING_GB_18030), start at row 1;
    # column formats: 1 standard, 2 text, 5 date YMD
    infilter = "CSV:44,34,85,1,1/1/2/2/3/1/4/5/5/5/6/1/7/2"
    convert(soffice, csv_path, work, "xlsx:Calc MS Excel 2007 XML", infilter=infilter)

    OUT.mkdir(parents=True, exist_ok=True)
    for name in ("roll-libreoffice.xlsx", "roll-from-csv-libreoffice.xlsx"):
        shutil.copy(work / "out" / name, OUT / name)
    (OUT / "expected.json").write_text(json.dumps(people, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {OUT}")
    return 0


def convert(soffice: str, source: Path, work: Path, target: str, infilter: str = "") -> None:
    args = [soffice, "--headless", f"-env:UserInstallation=file://{work / 'profile'}"]
    if infilter:
        args.append(f"--infilter={infilter}")
    args += ["--convert-to", target, "--outdir", str(work / "out"), str(source)]
    subprocess.run(args, check=True, timeout=300)


if __name__ == "__main__":
    raise SystemExit(main())
