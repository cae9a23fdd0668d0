"""Rebuild the translation catalogues.

Source strings are Simplified Chinese (see docs/architecture.md). This script

1. extracts them with Django's ``makemessages`` into ``locale/{zh_Hant,en}/LC_MESSAGES``;
2. fills every zh-Hant ``msgstr`` with OpenCC's phrase-aware ``s2tw`` conversion
   (``core.text.to_traditional``) of the msgid
   (never a character map), so the Traditional catalogue is a mechanical, reviewable output;
3. keeps the English translations already in ``locale/en`` (maintained by hand) and lists the
   strings that still lack one;
4. compiles the ``.mo`` files, which are committed so that running the site needs no gettext.

Needs GNU gettext (``apt-get install gettext``), installed here when missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def ensure_gettext() -> None:
    if shutil.which("xgettext") and shutil.which("msgfmt"):
        return
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "gettext"], check=True)


def main() -> int:
    ensure_gettext()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    import polib
    from django.core.management import call_command

    from jiceng.core.text import to_traditional

    (ROOT / "locale").mkdir(exist_ok=True)
    os.chdir(ROOT)
    call_command(
        "makemessages",
        locale=["zh_Hant", "en"],
        ignore_patterns=[".venv/*", "var/*"],
        no_obsolete=True,
        verbosity=0,
    )
    hant = polib.pofile(str(ROOT / "locale/zh_Hant/LC_MESSAGES/django.po"))
    for entry in hant:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: to_traditional(entry.msgid)}
        else:
            entry.msgstr = to_traditional(entry.msgid)
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    hant.metadata["Language"] = "zh_Hant"
    hant.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    hant.save()
    en = polib.pofile(str(ROOT / "locale/en/LC_MESSAGES/django.po"))
    en.metadata["Language"] = "en"
    en.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    en.save()
    missing = [e.msgid for e in en if not e.translated()]
    call_command("compilemessages", locale=["zh_Hant", "en"], verbosity=0)
    print(
        f"zh_Hant: {len(hant)} strings (OpenCC s2tw); en: {len(en) - len(missing)} translated,"
        f" {len(missing)} missing"
    )
    for msgid in missing[:50]:
        print("  en missing:", msgid.replace("\n", " ")[:80])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
