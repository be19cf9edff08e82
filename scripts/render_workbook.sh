#!/usr/bin/env bash
# Render a result workbook the way a person sees it: every sheet to PDF, every page to PNG.
#
#   scripts/render_workbook.sh RESULT.xlsx [OUT_DIR]
#
# Needs LibreOffice Calc and poppler (Debian: apt-get install -y libreoffice-calc poppler-utils).
# Writes OUT_DIR/<name>.pdf and OUT_DIR/<name>-<page>.png (default OUT_DIR: a folder beside the workbook).
set -euo pipefail

workbook=${1:?usage: render_workbook.sh RESULT.xlsx [OUT_DIR]}
out=${2:-"${workbook%.xlsx}_render"}
for tool in soffice pdftoppm; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found (apt-get install -y libreoffice-calc poppler-utils)" >&2; exit 2; }
done
mkdir -p "$out"
name=$(basename "${workbook%.xlsx}")
# A private profile: no clash with a running LibreOffice, no first-start dialogs.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
soffice -env:UserInstallation=file://"$profile" --headless --calc \
    --convert-to pdf --outdir "$out" "$workbook" >/dev/null
pdftoppm -r "${DPI:-80}" -png "$out/$name.pdf" "$out/$name"
echo "rendered $(ls "$out"/"$name"-*.png | wc -l) page(s) of $workbook to $out" >&2
