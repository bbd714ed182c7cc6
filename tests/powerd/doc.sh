#!/usr/bin/env bash
# --help matches the man page (every option in both), the man page carries
# every example config verbatim, and every example config passes --check.
set -euo pipefail
bin=$HVKIT_BUILD/powerd/hv-powerd
man=$HVKIT_SRC/powerd/hv-powerd.8
[ -x "$bin" ] || { echo "hv-powerd not built"; exit 77; }
rc=0
help=$("$bin" --help)
opts_help=$(grep -oE -- '--[a-z][a-z-]+' <<<"$help" | sort -u)
# roff writes \- for a dash
opts_man=$(sed 's/\\-/-/g' "$man" | grep -oE -- '--[a-z][a-z-]+' | sort -u)
for o in $opts_help; do
  grep -qx -- "$o" <<<"$opts_man" || { echo "man page lacks $o"; rc=1; }
done
for o in $(sed -n '/^\.SH OPTIONS/,/^\.SH CONFIGURATION/p' "$man" | sed 's/\\-/-/g' | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
  grep -q -- "$o" <<<"$help" || { echo "--help lacks $o"; rc=1; }
done
plain=$(sed -e 's/\\e/\\/g' -e 's/^\\&//' "$man")
for f in "$HVKIT_SRC"/powerd/examples/*.conf; do
  while IFS= read -r line; do
    [ -z "$line" ] && continue
    grep -qxF -- "$line" <<<"$plain" || { echo "man page lacks from $(basename "$f"): $line"; rc=1; }
  done <"$f"
  "$bin" --check --config "$f" >/dev/null || { echo "$f fails --check"; rc=1; }
done
# a bad config: refused with file:line, exit 2
tmp=$(mktemp)
printf '[parking]\nenabled = yes\nmin_online = zero\n' >"$tmp"
set +e
out=$("$bin" --config "$tmp" 2>&1); st=$?
set -e
rm -f "$tmp"
[ "$st" = 2 ] || { echo "bad config: exit $st, want 2"; rc=1; }
grep -q "$tmp:3: min_online" <<<"$out" || { echo "bad config message: $out"; rc=1; }
[ $rc = 0 ] && echo "doc checks ok"
exit $rc
