#!/usr/bin/env bash
# hvctl against fixture trees: knob writes change the fixture files, undo
# restores the exact bytes, refusals exit non-zero with the reason, --json
# parses. Never touches the real /sys.
set -u
B=${HVKIT_BUILD:?}
HVCTL=$B/hypervisor/hvctl/hvctl
MK=$B/tests/hvctl/hvt-mkfixture
command -v jq >/dev/null || { echo "skip: no jq"; exit 77; }
fails=0
roots=()
cleanup() { for r in "${roots[@]}"; do rm -rf "$r"; done; }
trap cleanup EXIT
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
use() { # use ROOT
  export HVKIT_SYSFS=$1/sys HVKIT_PROCFS=$1/proc HVKIT_DEVFS=$1/dev HVKIT_RUNDIR=$1/run
}
hv() { "$HVCTL" --backend kvm "$@"; }
expect_file() { # FILE BYTES
  if [ "$(od -An -c "$1")" = "$(printf "$2" | od -An -c)" ]; then ok "$1 == $2"
  else bad "$1: $(od -An -c "$1") want $2"; fi
}
expect_refusal() { # REASON ARGS...
  local reason=$1; shift
  local err rc
  err=$(hv "$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -ne 0 ] && grep -q -- "$reason" <<<"$err"; then ok "refused $*: $err"
  else bad "hvctl $* rc=$rc err=$err (want non-zero and '$reason')"; fi
}

root=$("$MK" intel 4) || { echo "mkfixture failed"; exit 1; }
roots+=("$root"); use "$root"
C=$root/sys/devices/system/cpu

# cpu offline/online through knobs, with exact bytes on undo
hv cpu offline 2 >/dev/null && expect_file "$C/cpu2/online" '0\n' || bad "offline 2"
on=$(hv --json cpu list --interval 0.05 | jq -r '.cpus[2].online')
[ "$on" = false ] && ok "cpu list shows cpu2 offline" || bad "cpu list online=$on"
n=$(hv --json cpu list --interval 0.05 | jq '.cpus | length')
[ "$n" = 4 ] && ok "4 cpus" || bad "cpus=$n"
out=$(hv --json cpu online 2) || bad "online 2"
jq -e '.changes[0] | .knob == "cpu/2/online" and .old == "0" and .new == "1"' <<<"$out" >/dev/null \
  && ok "json change record" || bad "json: $out"
expect_file "$C/cpu2/online" '1\n'
expect_refusal "boot CPU" cpu offline 0
expect_refusal "no such CPU" cpu offline 9

# freq
hv freq set governor performance >/dev/null || bad "governor performance"
for i in 0 1 2 3; do expect_file "$C/cpufreq/policy$i/scaling_governor" 'performance\n'; done
hv freq set governor powersave >/dev/null
expect_refusal "not available" freq set governor turbo
expect_file "$C/cpufreq/policy0/scaling_governor" 'powersave\n'
expect_refusal "outside hardware limits" freq set --cpu 1 min 4300000
hv freq set --cpu 1 max 2000000 >/dev/null || bad "max 2000000"
expect_refusal "min > max" freq set --cpu 1 min 3000000
expect_file "$C/cpufreq/policy1/scaling_min_freq" '800000\n'
hv freq set --cpu 1 max 4200000 >/dev/null
expect_file "$C/cpufreq/policy1/scaling_max_freq" '4200000\n'
out=$(hv --json freq set --cpu 0-1,3 epp power) || bad "epp power"
[ "$(jq '.changes | length' <<<"$out")" = 3 ] && ok "epp on 3 cpus" || bad "epp: $out"
expect_file "$C/cpufreq/policy3/energy_performance_preference" 'power\n'
expect_file "$C/cpufreq/policy2/energy_performance_preference" 'balance_performance\n'
hv --json freq | jq -e '.cpus[1].driver == "intel_pstate" and .cpus[1].cur_khz == 1801000' >/dev/null \
  && ok "freq show json" || bad "freq show json"

# idle
hv idle disable C6 --cpu 1 >/dev/null || bad "idle disable C6"
expect_file "$C/cpu1/cpuidle/state3/disable" '1\n'
expect_file "$C/cpu0/cpuidle/state3/disable" '0\n'
hv idle enable 3 --cpu 1 >/dev/null || bad "idle enable 3"
expect_file "$C/cpu1/cpuidle/state3/disable" '0\n'
expect_refusal "no idle state" idle disable C9
hv --json idle | jq -e '.driver == "intel_idle" and (.states | length) == 16' >/dev/null \
  && ok "idle show json" || bad "idle show json"
hv idle limit-latency 20 --duration 0.1 >/dev/null || bad "limit-latency"
v=$(od -An -t d4 "$root/dev/cpu_dma_latency" | tr -d ' ')
[ "$v" = 20 ] && ok "PM QoS s32 20 written" || bad "cpu_dma_latency=$v"

# energy: 2 s worth of fixture energy would need a writer; check shape and
# a known interval's power by bumping the counter during the interval.
( sleep 0.3; printf '1500000\n' > "$root/sys/class/powercap/intel-rapl:0/energy_uj" ) &
out=$(hv --json energy --interval 1) || bad "energy"
wait
jq -e '(.zones | length) == 3 and .zones[0].zone == "intel-rapl:0" and .zones[0].energy_j == 1.5' <<<"$out" >/dev/null \
  && ok "energy json" || bad "energy: $out"
w=$(jq '.zones[0].watts' <<<"$out")
awk -v w="$w" -v dt="$(jq .interval_s <<<"$out")" 'BEGIN{e=0.5/dt; exit !(w>0 && (w-e)^2 < 1e-6)}' \
  && ok "package power $w W = 0.5 J / interval" || bad "watts=$w"
hv domains >/dev/null || bad "domains"
hv --json domains --interval 0.05 | jq -e '.domains | length == 0' >/dev/null && ok "domains json" || bad "domains json"

# an acpi-cpufreq host whose cpu0 has an online file: still refused
root2=$("$MK" acpi 2) || exit 1
roots+=("$root2"); use "$root2"
expect_refusal "boot CPU" cpu offline 0
expect_file "$root2/sys/devices/system/cpu/cpu0/online" '1\n'
hv --json freq | jq -e '.cpus[0].pstates | length == 4' >/dev/null && ok "time_in_state" || bad "pstates"

# arm64: QEMU's virt board has no cpufreq, no cpuidle states and no energy
# source, each said with its reason; cpu0 has an online file and is refused.
root3=$("$MK" arm64-virt 2) || exit 1
roots+=("$root3"); use "$root3"
expect_refusal "boot CPU" cpu offline 0
hv cpu list --interval 0.05 | grep -q "aarch64, implementer 0x00 part 0x051" &&
  ok "cpu list names arch and MIDR" || bad "cpu list header: $(hv cpu list --interval 0.05 | tail -1)"
hv freq | grep -q "^note: no cpufreq driver" && ok "freq: no cpufreq, said why" || bad "freq note"
hv --json idle | jq -e '.note | test("no cpuidle states")' >/dev/null && ok "idle note" || bad "idle note"
hv energy | grep -q "^source: no energy source: RAPL is x86 only; no hwmon chips" &&
  ok "energy: no source, said why" || bad "energy note: $(hv energy)"
hv --json energy --interval 0.05 | jq -e '.source == "none" and .host_watts == null and (.sensors | length) == 0' >/dev/null &&
  ok "energy json: no source" || bad "energy json no source"
hv cpu offline 1 >/dev/null && expect_file "$root3/sys/devices/system/cpu/cpu1/online" '0\n' || bad "offline 1"
root4=$("$MK" arm64-cppc 2) || exit 1
roots+=("$root4"); use "$root4"
hv --json cpu list --interval 0.05 | jq -e '.cpu_model == "ARM Neoverse-N1 r3p1" and .arch == "aarch64"' >/dev/null &&
  ok "cpu list json arch/model" || bad "cpu list json arch/model"
hv --json freq | jq -e '.cpus[1].driver == "cppc_cpufreq" and (.note == null)' >/dev/null &&
  ok "cppc_cpufreq" || bad "cppc freq"

# arm64 with SCMI energy counters (and a temperature-only chip): the
# counters are the source; 1.5 J added during the interval is 1.5 J / dt.
root5=$("$MK" arm64-hwmon 2) || exit 1
roots+=("$root5"); use "$root5"
( sleep 0.3; printf '2500000\n' > "$root5/sys/class/hwmon/hwmon0/energy1_input" ) &
out=$(hv --json energy --interval 1) || bad "energy hwmon"
wait
jq -e '.source == "hwmon" and (.sensors | length) == 3 and .sensors[0].sensor == "hwmon0/energy1_input"
  and .sensors[0].label == "cluster0" and .sensors[0].counted and .sensors[0].energy_j == 2.5
  and (.sensors[2].counted | not) and .sensors[2].watts == 3.5 and (.note | test("scmi_sensors: 2 energy counters"))' \
  <<<"$out" >/dev/null && ok "energy json: scmi_sensors" || bad "energy scmi: $out"
awk -v w="$(jq .host_watts <<<"$out")" -v dt="$(jq .interval_s <<<"$out")" \
  'BEGIN{e=1.5/dt; exit !(w>0 && (w-e)^2 < 1e-6)}' && ok "hwmon host power = 1.5 J / interval" ||
  bad "hwmon watts: $out"
t=$(hv energy --interval 0.05)
grep -q "^source: hwmon scmi_sensors: 2 energy counters (no RAPL)" <<<"$t" &&
  grep -q "^hwmon0/energy2_input .*cluster1 .*yes .*2.000" <<<"$t" && grep -q "^host .* W over .* (hwmon)" <<<"$t" &&
  ok "energy table: scmi_sensors" || bad "energy table: $t"
# x86 without RAPL, an ACPI power meter (legacy hwmonN/device/ layout)
root6=$("$MK" acpi-meter 2) || exit 1
roots+=("$root6"); use "$root6"
out=$(hv --json energy --interval 0.05) || bad "energy meter"
jq -e '.source == "hwmon-power" and .host_watts == 245 and .pkg_watts == null and .sensors[0].sensor == "hwmon0/device/power1_average"
  and .sensors[0].interval_ms == 1000 and .sensors[0].energy_j == null and (.note | test("estimated"))' \
  <<<"$out" >/dev/null && ok "energy json: power_meter" || bad "energy meter: $out"

# getopt_long forms, and usage errors exit 2 as hvctl(1) says
"$HVCTL" -b kvm -j freq | jq -e '.backend == "kvm"' >/dev/null && ok "-b kvm -j" || bad "-b kvm -j"
"$HVCTL" --backend=kvm freq --json --cpu=1 | jq -e '.cpus | length == 1' >/dev/null \
  && ok "--backend=kvm --cpu=1 after the command" || bad "--backend=kvm"
usage2() { # ARGS...: exit status 2
  "$HVCTL" "$@" >/dev/null 2>&1; local rc=$?
  [ $rc -eq 2 ] && ok "usage error rc=2: $*" || bad "hvctl $* rc=$rc (want 2)"
}
usage2 --bogus
usage2 -b kvm nothing
usage2 -b kvm cpu bogus
usage2
usage2 -b kvm cpu offline
usage2 -b kvm cpu offline x
usage2 -b kvm --interval=abc cpu
usage2 -b kvm --backend
usage2 -b kvm freq set turbo 1
usage2 -b kvm freq --cpu 0-x
"$HVCTL" --help | grep -q "cpu offline N" && ok "help" || bad "help"
# --json rounds derived figures to 3 decimals (counters stay integers)
out=$(hv -j cpu list -i 0.05)
jq -e '[.interval_s, .busy_pct, (.cpus[] | .busy_pct, (.cstates[].residency_pct))]
       | map(select(. != null)) | all(. * 1000 | . == floor)' <<<"$out" >/dev/null \
  && ok "json rounded to 3 decimals" || bad "json not rounded: $(head -c 300 <<<"$out")"

# ras and mem: tracepoint records in the fixture's tracefs, kpageflags with
# the HWPOISON bit (19) for page 0x5000, soft_offline_page as a plain file
use "$root"
M=${HVKIT_SRC:?}/tests/platform/fixtures/mce
ev=$root/sys/kernel/tracing/events/mce/mce_record
mkdir -p "$ev" "$root/sys/devices/system/memory"
cp "$M/format-6.1" "$ev/format"
cp "$M/records-6.1.bin" "$ev/hvkit.records"
: >"$root/sys/devices/system/memory/soft_offline_page"
python3 -c 'import struct,sys; f=open(sys.argv[1],"wb"); f.truncate(0x40000*8); f.seek(5*8); f.write(struct.pack("<Q",1<<19))' "$root/proc/kpageflags"
out=$(hv --json ras --interval 0.05)
jq -e '(.ras.cpus[] | select(.id == 2) | .ce == 3 and .last_bank == 4)
       and (.ras.cpus[] | select(.id == 1) | .ue == 1)
       and (.ras.pages | map(.addr) == ["0x5000"] | not)
       and (.ras.pages[] | select(.addr == "0x7000") | .ue == 1)
       and (.ras.pages[] | select(.addr == "0x12345000") | .ce == 2 and .state == "online")' \
  <<<"$out" >/dev/null && ok "ras: counts from the records" || bad "ras: $out"
hv ras --interval 0.05 | grep -q "0x12345000 *ce 2" && ok "ras text lists the page" || bad "ras text"
hv mem offline 0x12345678 >/dev/null && expect_file "$root/sys/devices/system/memory/soft_offline_page" '0x12345000\n' \
  || bad "mem offline"
expect_refusal "already poisoned" mem offline 0x5000
expect_refusal "no such page frame" mem offline 0x80000000
[ "$(hv mem status 0x5000)" = "page 0x5000: offline (poisoned: the kernel never uses it again)" ] \
  && ok "mem status offline" || bad "mem status 0x5000: $(hv mem status 0x5000)"
[ "$(hv --json mem status 0x6000 | jq .offline)" = false ] && ok "mem status online" || bad "mem status 0x6000"
usage2 -b kvm mem offline 12x
# hv-powerd running: its counts and its hwerr actions
mkdir -p "$root/run"
cat >"$root/run/state.json" <<'J'
{"ras":{"ok":true,"note":"","cpus":[{"id":2,"ce":41,"ue":0,"last_bank":1}],"pages":[{"addr":"0x9000000","ce":2,"ue":0,"state":"soft-offlined","reason":"soft-offline by hvkit"}]}}
J
cat >"$root/run/journal.jsonl" <<'J'
{"event":"set","policy":"hwerr","knob":"cpu/2/online","old":"1","new":"0","reason":"ALERT cpu 2: corrected errors rose by 41"}
{"event":"set","policy":"parking","knob":"cpu/3/online","old":"1","new":"0","reason":"idle"}
{"event":"set","policy":"hwerr","knob":"mem/0x9000000/offline","old":"0","new":"1","reason":"ALERT page 0x9000000","one_way":true}
J
out=$(hv ras --interval 0.05)
grep -q "hv-powerd's counts" <<<"$out" && grep -q "0x9000000 *ce 2 *ue 0 *soft-offlined" <<<"$out" \
  && grep -q "mem/0x9000000/offline.*\[one way\]" <<<"$out" && ! grep -q parking <<<"$out" \
  && ok "ras shows hv-powerd's counts and hwerr actions" || bad "ras (daemon): $out"

echo "$fails failures"
[ $fails -eq 0 ]
