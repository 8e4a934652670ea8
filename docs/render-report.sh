#!/usr/bin/env bash
# Render the example's board report to PDF and PNG pages, for docs/ (outside the test suite).
# Needs Debian's LibreOffice Writer and poppler: apt-get install -y libreoffice-writer-nogui poppler-utils
# (fonts-crosextra-carlito gives Calibri's metrics). The example's economy is followed up in January,
# February and March (Daglig verksamhet's prognosis changes); then the example is refreshed as Delår 1
# 2025, Delår 1 is fixed (vp approve) and reported, then Delår 2 2025 with the outcomes
# tests/test_followup.py changes, so the trends show and Delår 2's report is a draft (Utkast). The PDFs
# are the ones `vp report --pdf` makes (tagged, PDF/UA).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
book="$out/VP2025-exempel.xlsx"
cp workbook/VP2025-exempel.xlsx "$book"
for month in "Januari 172,0" "Februari 174,5" "Mars 176,0"; do
  .venv/bin/python - "$book" ${month#* } <<'PY'
import sys
from tests.test_refresh import cell_of, edit
from workbook import layout as L
edit(sys.argv[1], L.BUDGET, {cell_of(sys.argv[1], L.BUDGET, L.ACTUAL, L.AREA, "Daglig verksamhet"):
                             float(sys.argv[2].replace(",", "."))})
PY
  .venv/bin/vp refresh "$book" --period "${month% *} 2025" >/dev/null 2>&1
done
.venv/bin/vp refresh "$book" --period "Delår 1 2025" >/dev/null 2>&1
# Delår 1 fixed (its analyses are the example's Analys sheet), and its report: "Fastställd av …" on every page
.venv/bin/vp approve "$book" --period "Delår 1 2025" --by "Anna Andersson" \
    --decision "ON 2025/123 § 45" --despite-findings "Besparingen: planens siffra är nämndens beslut" >/dev/null 2>&1
.venv/bin/vp report "$book" --out "$out/rapport-delar1.docx" --pdf >/dev/null 2>&1
pdftoppm -r 100 -png "$out/rapport-delar1.pdf" "$out/delar1"
.venv/bin/python - "$book" <<'PY'
import sys
from tests.test_followup import DELAR_2, set_outcomes
set_outcomes(sys.argv[1], DELAR_2)
PY
.venv/bin/vp refresh "$book" --period "Delår 2 2025" >/dev/null 2>&1
.venv/bin/vp report "$book" --out "$out/rapport.docx" --pdf 2>/dev/null
pdftoppm -r 100 -png "$out/rapport.pdf" "$out/sida"
echo "$out/rapport.docx, $out/rapport.pdf, $(ls "$out"/sida-*.png | wc -l) sidor som PNG i $out (Delår 1, fastställd: delar1-*.png)"
