#!/usr/bin/env bash
# hv-rdt against fixture resctrl trees: info, alloc set/assign/show/reset/
# undo with the writes checked in the tree, validation refusals, monitor
# JSON, mon stop, and --help against the man page.
set -euo pipefail
rdt=$1 mk=$2
src=${HVKIT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
fail() { echo "FAIL: $*"; exit 1; }
d=$(mktemp -d /tmp/hvkit-rdtcli.XXXXXX)
trap 'rm -rf "$d"' EXIT
R=$d/i/sys/fs/resctrl

# --help documents exactly the options the man page does
for opt in $("$rdt" --help | grep -o -- '--[a-z-]*' | sort -u); do
  grep -q -- "${opt//-/\\\\-}" "$src/rdt/hv-rdt.1" || fail "man page lacks $opt"
done
for c in "mon stop" "alloc show" "alloc set" "alloc assign" "alloc reset" "alloc undo" info watch; do
  "$rdt" --help | grep -q "$c" || fail "--help lacks $c"
  grep -q "$c" "$src/rdt/hv-rdt.1" || fail "man page lacks $c"
done

"$mk" intel "$d/i" 1 3
export HVKIT_SYSFS=$d/i/sys HVKIT_PROCFS=$d/i/proc HVKIT_RUNDIR=$d/i/run
"$rdt" info | grep -q 'L3: cbm_mask 7ff (11 ways), min_cbm_bits 1' || fail "info"
"$rdt" --json info | jq -e '.num_closids == 8 and .l3_cbm_mask == "7ff"' >/dev/null || fail "info json"

"$rdt" alloc set restricted 'L3:0=3;1=3' 'MB:0=20;1=20' >/dev/null
grep -qx 'L3:0=3;1=3' "$R/restricted/schemata" || fail "schemata L3 not written"
grep -qx 'MB:0=20;1=20' "$R/restricted/schemata" || fail "schemata MB not written"
before=$(cat "$R/restricted/schemata")
if "$rdt" alloc set restricted 'L3:0=f7' 2>"$d/err"; then fail "f7 accepted"; fi
grep -q 'non-consecutive' "$d/err" || fail "no reason for f7: $(cat "$d/err")"
if "$rdt" alloc set restricted 'MB:0=25' 2>"$d/err"; then fail "MB 25 accepted"; fi
grep -q 'bandwidth_gran' "$d/err" || fail "no reason for MB 25"
[ "$(cat "$R/restricted/schemata")" = "$before" ] || fail "refused write changed schemata"

"$rdt" -b synth alloc assign restricted 1 >/dev/null
for t in 1 101 102; do grep -qx "$t" "$R/restricted/tasks" || fail "tid $t not assigned"; done
if "$rdt" -b synth alloc assign restricted 999 2>"$d/err"; then fail "unknown domain accepted"; fi
grep -q 'no domain 999' "$d/err" || fail "no reason for 999"
"$rdt" -b synth alloc show | grep -E '^restricted +L3:0=3;1=3 MB:0=20;1=20 +1$' >/dev/null \
  || fail "alloc show: $("$rdt" -b synth alloc show)"
"$rdt" -b synth --json alloc show | jq -e '.classes[] | select(.name=="restricted") | .domains == [1]' >/dev/null \
  || fail "alloc show json"

"$rdt" alloc undo >/dev/null
[ ! -d "$R/restricted" ] || fail "undo left the class"
[ "$(tail -n 3 "$R/tasks" | sort -n | tr '\n' ' ')" = "1 101 102 " ] || fail "undo did not move tasks back"
[ ! -e "$d/i/run/rdt-undo" ] || fail "undo record kept"
if "$rdt" alloc undo 2>/dev/null; then fail "second undo did something"; fi

# AMD: reset removes classes and gives the root the full cache/bandwidth
"$mk" amd "$d/a"
export HVKIT_SYSFS=$d/a/sys HVKIT_PROCFS=$d/a/proc HVKIT_RUNDIR=$d/a/run
R=$d/a/sys/fs/resctrl
"$rdt" alloc set default 'L3:0=f0f' 'MB:1=64' >/dev/null   # sparse is fine on AMD
"$rdt" alloc set bulk 'L3:2=0' >/dev/null                  # so is an empty mask
if "$rdt" alloc set bulk 'MB:0=4096' 2>/dev/null; then fail "MB 4096 accepted on AMD"; fi
"$rdt" alloc reset >/dev/null
[ ! -d "$R/bulk" ] || fail "reset left bulk"
grep -qx 'L3:0=ffff;1=ffff;2=ffff;3=ffff' "$R/schemata" || fail "root L3 not reset: $(cat "$R/schemata")"
grep -qx 'MB:0=2048;1=2048;2=2048;3=2048' "$R/schemata" || fail "root MB not reset"
# undo rolls back every kept change, newest first: through the reset
# (bulk back, root f0f) and then the two sets (bulk gone, root full)
cp "$d/a/run/rdt-undo" "$d/undo-all"
"$rdt" alloc undo >/dev/null
grep -qx 'L3:0=ffff;1=ffff;2=ffff;3=ffff' "$R/schemata" || fail "undo: $(cat "$R/schemata")"
[ ! -d "$R/bulk" ] || fail "undo: bulk still there"
grep -q '^mkdir bulk$' "$d/undo-all" || fail "reset did not record bulk"
grep -q '^schemata / L3:0=f0f;1=ffff;2=ffff;3=ffff$' "$d/undo-all" || fail "reset did not record the root: $(cat "$d/undo-all")"

# monitoring groups: mon stop removes ours only
mkdir -p "$R/mon_groups/hvkit-5" "$R/mon_groups/other" "$R/bulk/mon_groups/hvkit-6"
"$rdt" mon stop 5 | grep -q 'removed mon_groups/hvkit-5' || fail "mon stop 5"
[ -d "$R/bulk/mon_groups/hvkit-6" ] || fail "mon stop 5 removed 6"
"$rdt" mon stop >/dev/null
[ ! -d "$R/bulk/mon_groups/hvkit-6" ] && [ -d "$R/mon_groups/other" ] || fail "mon stop all"

# monitor view: JSON lines, missing figures are null with a reason
"$rdt" -b synth -i 2 -d 0.1 --json >"$d/mon"
[ "$(wc -l <"$d/mon")" = 2 ] || fail "expected 2 JSON lines"
jq -e '.resctrl.mounted and (.domains | length) > 0 and .domains[0].llc_bytes == null and .domains[0].llc_why == "unsupported"' \
  <(head -n1 "$d/mon") >/dev/null || fail "monitor json: $(head -c 300 "$d/mon")"
"$rdt" -b synth -i 1 -d 0.1 | grep -q 'MBT\[MiB/s\]' || fail "monitor text"
# watch: dry run, argument checks
"$rdt" -b synth -i 2 -d 0.1 watch llc-max 1e6 >/dev/null || fail "watch"
if "$rdt" -b synth -i 1 watch 2>/dev/null; then fail "watch without thresholds"; fi
if "$rdt" -b synth -i 1 watch llc-max -5 2>/dev/null; then fail "watch negative"; fi
if "$rdt" -b synth -i 1 watch llc-max 1e6 hold 0 2>/dev/null; then fail "watch hold 0"; fi
echo "hv-rdt CLI: all checks passed"
