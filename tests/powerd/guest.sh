#!/usr/bin/env bash
# e2e: hv-powerd INSIDE a real QEMU guest with 4 vCPUs, the guest being its
# host (never this machine). When the load inside drops, CPUs go offline in
# the guest's /sys and cpu0's governor goes to the low one (real cpufreq from
# the ACPI P-state table, --pstates); when it rises they come back; stopping
# the daemon restores them all. Everything is read back from the guest's console:
# the guest kernel's cpu/online list is the independent source.
set -euo pipefail
bin=$HVKIT_BUILD/powerd/hv-powerd
H=$HVKIT_SRC/tests/guest/hvguest
[ -x "$bin" ] || { echo "hv-powerd not built"; exit 77; }
[ -x "$H" ] || { echo "no tests/guest/hvguest"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "needs root for QEMU guests"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || { echo "no qemu-system-x86_64"; exit 77; }
export HVKIT_GUEST_RUN=$(mktemp -d /tmp/pd-guest-XXXXXX)
tmp=$(mktemp -d)
name=pd-e2e-$$
cleanup() { "$H" stop-all >/dev/null 2>&1 || true; rm -rf "$HVKIT_GUEST_RUN" "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- console"; "$H" console "$name" 2>/dev/null | tail -n 60; exit 1; }
cat >"$tmp/pd.conf" <<'C'
[daemon]
period = 1s
backend = kvm
[parking]
enabled = yes
min_online = 1
park_below = 40
unpark_above = 70
hold = 3s
cooldown = 2s
[frequency]
enabled = yes
high = 70
low = 30
hold = 3s
action = governor
low_governor = conservative
C
t0=$SECONDS
"$H" start "$name" --vcpus 4 --mem 256 --ttl 900 --pstates \
  --add "$bin:/hvkit/bin/hv-powerd" --file "$tmp/pd.conf:/hvkit/pd.conf" \
  --run "$HVKIT_SRC/tests/powerd/guest-run.sh" >/dev/null || fail "guest did not start"
"$H" wait-ready "$name" 300 >/dev/null || fail "guest not ready"
"$H" wait-for "$name" 'HVKIT-RUN-DONE' 600 >/dev/null || fail "run hook did not finish"
out=$("$H" output "$name" run) || fail "no run output"
echo "$out" | grep '^PD-' | grep -v '^PD-LOG' || true
val() { # MARKER KEY -> value of KEY= on the first MARKER line
  echo "$out" | awk -v m="$1" -v k="$2=" '$1 == m { for (i = 2; i <= NF; i++)
    if (index($i, k) == 1) { print substr($i, length(k) + 1); exit } }'
}
[ "$(val PD-BEFORE online)" = "0-3" ] || fail "guest did not start with 4 CPUs online"
gov0=$(val PD-BEFORE gov)
[ "$gov0" != none ] && [ "$gov0" != conservative ] || fail "guest governor '$gov0': need cpufreq (--pstates) and another governor"
[ "$(val PD-IDLE online)" = "0" ] || fail "idle: CPUs not parked ($(val PD-IDLE online))"
[ "$(val PD-IDLE gov)" = conservative ] || fail "idle: governor $(val PD-IDLE gov), want conservative"
[ "$(val PD-LOAD gov)" = "$gov0" ] || fail "load: governor $(val PD-LOAD gov), want $gov0 back"
[ "$(val PD-STOP gov)" = "$gov0" ] || fail "stop: governor $(val PD-STOP gov), want $gov0"
[ "$(val PD-LOAD online)" = "0-3" ] || fail "load: CPUs did not come back ($(val PD-LOAD online))"
[ "$(val PD-REIDLE after)" != "-1" ] || fail "idle again: nothing parked"
[ "$(val PD-STOP rc)" = "0" ] || fail "daemon exit status $(val PD-STOP rc)"
[ "$(val PD-STOP online)" = "0-3" ] || fail "stop did not restore every CPU ($(val PD-STOP online))"
parks=$(val PD-JOURNAL parks); unparks=$(val PD-JOURNAL unparks)
[ "$parks" -ge 4 ] && [ "$unparks" -ge 3 ] || fail "journal: parks=$parks unparks=$unparks"
[ "$(val PD-JOURNAL clean)" = "1" ] || fail "journal does not end clean"
# Independent check of the demand figure: the last unpark happened with
# three CPUs online running the three busy loops, so demand is ~3 CPUs.
d=$(val PD-DEMAND cpus); n=$(val PD-DEMAND online)
[ "$n" = 3 ] && awk -v d="$d" 'BEGIN { exit !(d >= 2.7 && d <= 3.1) }' ||
  fail "demand at the last unpark: $d CPUs with $n online, want ~3 with 3"
echo "PASS in $((SECONDS - t0)) s"
