#!/usr/bin/env bash
# Render the example's board report to PDF and PNG pages, for docs/ (outside the test suite).
# Needs Debian's LibreOffice Writer and poppler: apt-get install -y libreoffice-writer-nogui poppler-utils
# (fonts-crosextra-carlito gives Calibri's metrics). The example is refreshed as Delår 1 2025, then
# Delår 1 is fixed (vp approve) and reported, then Delår 2 2025 with the outcomes tests/test_followup.py changes,
# so the trends show and Delår 2's report is a draft (Utkast).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
cp workbook/VP2025-exempel.xlsx "$out/VP2025-exempel.xlsx"
.venv/bin/vp refresh "$out/VP2025-exempel.xlsx" >/dev/null 2>&1
# Delår 1 fixed (its analyses are the example's Analys sheet), and its report: "Fastställd av …" on every page
.venv/bin/vp approve "$out/VP2025-exempel.xlsx" --period "Delår 1 2025" --by "Anna Andersson" \
    --decision "ON 2025/123 § 45" --despite-findings "Besparingen: planens siffra är nämndens beslut" >/dev/null 2>&1
.venv/bin/vp report "$out/VP2025-exempel.xlsx" --out "$out/rapport-delar1.docx" 2>/dev/null
soffice --headless --convert-to pdf --outdir "$out" "$out/rapport-delar1.docx" >/dev/null 2>&1
pdftoppm -r 100 -png "$out/rapport-delar1.pdf" "$out/delar1"
.venv/bin/python - "$out/VP2025-exempel.xlsx" <<'PY'
import sys
from tests.test_followup import DELAR_2, set_outcomes
set_outcomes(sys.argv[1], DELAR_2)
PY
.venv/bin/vp refresh "$out/VP2025-exempel.xlsx" --period "Delår 2 2025" >/dev/null 2>&1
.venv/bin/vp report "$out/VP2025-exempel.xlsx" --out "$out/rapport.docx" 2>/dev/null
soffice --headless --convert-to pdf --outdir "$out" "$out/rapport.docx" >/dev/null 2>&1
pdftoppm -r 100 -png "$out/rapport.pdf" "$out/sida"
echo "$out/rapport.docx, $out/rapport.pdf, $(ls "$out"/sida-*.png | wc -l) sidor som PNG i $out (Delår 1, fastställd: delar1-*.png)"
