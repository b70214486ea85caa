#!/bin/sh
# subset.sh rebuilds assets/font.ttf, the CJK font bundled into the desk, from
# Debian's WenQuanYi Micro Hei (Apache-2.0 or GPLv3 with font exception).
# Needs: apt-get install fonts-wqy-microhei python3-fonttools (/usr/bin/python3 -m fontTools.subset)
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
src=${WQY_FONT:-/usr/share/fonts/truetype/wqy/wqy-microhei.ttc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$repo/tools/font/subset.py" "$repo" /work/shared/seeds >"$tmp/chars.txt" 2>/dev/null ||
	/usr/bin/python3 "$repo/tools/font/subset.py" "$repo" >"$tmp/chars.txt"
/usr/bin/python3 -m fontTools.subset "$src" --font-number=0 --text-file="$tmp/chars.txt" \
	--layout-features='*' --no-hinting --desubroutinize \
	--name-IDs='*' --name-languages='*' --output-file="$repo/assets/font.ttf"
ls -l "$repo/assets/font.ttf"
