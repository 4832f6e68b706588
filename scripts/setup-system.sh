#!/usr/bin/env bash
# Installs the system packages the scorecards need, only when missing:
#   fonts-noto-cjk       CJK glyphs (real bold, Simplified forms with lang="zh-CN")
#   libharfbuzz-subset0  fast font subsetting in WeasyPrint (~5x faster than the fontTools fallback)
#   poppler-utils        pdffonts/pdftotext/pdftoppm, used by the tests and for looking at pages
#   libreoffice-calc-nogui  headless `soffice --convert-to`: the tests re-save workbooks and print
#                        results.xlsx to PDF (tests/libreoffice.py); no GUI, no Java
#   postgresql           initdb/pg_ctl (in /usr/lib/postgresql/<ver>/bin, not on PATH): the portal's
#                        tests run against a throwaway cluster as well as SQLite (tests/pgcluster.py)
#   chromium-headless-shell  /usr/lib/chromium/chromium-headless-shell, the browser Playwright drives in
#                        the portal's end-to-end test (tests/browser.py); `playwright install` is never
#                        used, it would download a browser build of its own
set -euo pipefail

missing=()
fc-list :lang=zh-cn family 2>/dev/null | grep -qi 'Noto Sans CJK' || missing+=(fonts-noto-cjk)
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so.0' || missing+=(libharfbuzz-subset0)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
{ command -v soffice || command -v libreoffice; } >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
{ command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl; } >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/lib/chromium/chromium-headless-shell ] || missing+=(chromium-headless-shell)
# WeasyPrint's own shared libraries (present on most desktops, not on slim images)
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so.0' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing system packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
    echo "       run: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fc-cache -f >/dev/null 2>&1 || true
