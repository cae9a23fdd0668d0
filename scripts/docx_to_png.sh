#!/usr/bin/env bash
# Convert a .docx to PNG pages: LibreOffice (headless) makes a PDF, pdftoppm one PNG a page.
# Installs libreoffice-writer-nogui and poppler-utils with apt when they are missing.
#
#   scripts/docx_to_png.sh report.docx [out_dir] [dpi]
#   → out_dir/report-1.png, report-2.png, …   (out_dir defaults to the .docx's folder, dpi 110)
#
# LibreOffice substitutes the GB fonts (仿宋_GB2312, 方正小标宋简体, 楷体_GB2312, 黑体) with
# what fontconfig has, Noto CJK here: the layout (page, margins, grid, line breaks) is the
# document's, the faces are not the ones Word will show on a machine with the GB fonts.
set -euo pipefail

docx=${1:?usage: $0 file.docx [out_dir] [dpi]}
out=${2:-$(dirname "$docx")}
dpi=${3:-110}
[ -f "$docx" ] || { echo "no such file: $docx" >&2; exit 1; }

if ! command -v soffice >/dev/null || ! command -v pdftoppm >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        libreoffice-writer-nogui poppler-utils fonts-noto-cjk >/dev/null
fi

mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A profile of its own, so a running LibreOffice (or another conversion) does not block it.
soffice -env:UserInstallation="file://$work/profile" --headless --convert-to pdf \
    --outdir "$work" "$docx" >/dev/null
name=$(basename "${docx%.*}")
pdftoppm -png -r "$dpi" "$work/$name.pdf" "$out/$name"
ls "$out/$name"-*.png
