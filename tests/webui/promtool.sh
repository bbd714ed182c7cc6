#!/usr/bin/env bash
# /metrics passes `promtool check metrics` with no findings: the hostile
# fixture snapshot (escaped names, missing values) and a live synth host.
set -euo pipefail
B=${HVKIT_BUILD:?}
command -v promtool >/dev/null || { echo "promtool not installed"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$B/tests/webui/web_promdump" > "$tmp/fixture.prom"
"$B/webui/hv-webd" --backend synth --synth-domains 50 --synth-vcpus 4 --dump-metrics > "$tmp/synth.prom"
for f in fixture synth; do
  out=$(promtool check metrics < "$tmp/$f.prom" 2>&1) || { echo "promtool failed on $f:"; echo "$out"; exit 1; }
  if [ -n "$out" ]; then echo "promtool findings on $f:"; echo "$out"; exit 1; fi
  echo "$f: $(grep -vc '^#' "$tmp/$f.prom") samples, $(grep -c '^# TYPE' "$tmp/$f.prom") families, promtool clean"
done
# Families are never interleaved: every TYPE name appears once.
dups=$(grep '^# TYPE' "$tmp/synth.prom" | awk '{print $3}' | sort | uniq -d)
[ -z "$dups" ] || { echo "duplicate families: $dups"; exit 1; }
# No timestamps: every sample line has exactly "name{...} value".
bad=$(grep -v '^#' "$tmp/synth.prom" | awk '{ if (NF != 2) print }' | grep -v '"[^"]* [^"]*"' | head -3 || true)
[ -z "$bad" ] || { echo "sample lines with extra fields: $bad"; exit 1; }
echo "1 passed, 0 failed"
