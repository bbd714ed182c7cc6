#!/usr/bin/env bash
# e2e: boot a real Xen 4.17 under QEMU (TCG) with a Debian dom0 and three PV
# domUs doing known work (burn: one busy vCPU; idle; io: disk and network),
# then check hvkit against Xen's own tools over the same interval:
#   domains  xentop -b  vs  xentop-ng -b (if built) or hvxen-dump top
#   C/P      xenpm get-cpuidle-states / get-cpufreq-para vs hvxen-dump pcpu
#   host     nominal clock vs xl info cpu_mhz; arch and CPU model vs dom0's
#            uname -m and cpuinfo;
#   hotplug  hvctl cpu offline/online (if built) or the cpu/N/online knob,
#            checked with xl info nr_cpus and xenpm get-cpu-topology; cpu0
#            must be refused with Xen's reason.
# Results come back on dom0's console (the serial log). Exit 77 = skipped.
# HVKIT_XEN_REPLAY=console.log re-checks a saved log without booting;
# HVT_KEEP=1 keeps the work directory.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${HVKIT_SRC:-$(cd "$here/../.." && pwd)}
build=${HVKIT_BUILD:-$src/build}
skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*"; exit 1; }

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
[ -f /boot/xen-4.17-amd64.gz ] || skip "xen-hypervisor-4.17-amd64 not installed"
[ -x /usr/lib/xen-4.17/bin/xl ] || skip "xen-utils-4.17 not installed"
[ -x "$build/tests/xen/hvxen-dump" ] || skip "hvxen-dump not built (no libxen-dev?)"
avail=$(awk '/MemAvailable/{print int($2/1024)}' /proc/meminfo)
[ "${avail:-0}" -ge 2600 ] || skip "needs ~2.6 GB free memory for QEMU, have ${avail} MB"
[ "$(id -u)" = 0 ] || [ -w "${HVKIT_GUEST_CACHE:-/var/cache/hvkit-guest}" ] ||
  skip "cannot write the guest kernel cache"

# HVKIT_XEN_MODE=pstates: a second scenario with P-states (QEMU Intel CPU
# model + an SSDT with _PSS): xenpm vs hvkit's P-state figures, and the
# governor / max_khz / max_cstate knobs checked with xenpm.
mode=${HVKIT_XEN_MODE:-domains}
if [ "$mode" = pstates ] && [ -z "${HVKIT_XEN_REPLAY:-}" ]; then
  command -v iasl >/dev/null || skip "iasl (acpica-tools) not installed: no SSDT with P-states"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/hvkit-xen.XXXXXX")
qpid=
cleanup() {
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; fi
  if [ -z "${HVT_KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT

if [ -n "${HVKIT_XEN_REPLAY:-}" ]; then
  # Re-run the checks on a saved console log.
  [ -s "$HVKIT_XEN_REPLAY" ] || skip "no console log at $HVKIT_XEN_REPLAY (xen_e2e did not boot)"
  cp "$HVKIT_XEN_REPLAY" "$work/console.log"
else
[ "$mode" = pstates ] || rm -f "$build/xen-e2e-console.log"
t0=$(date +%s)
if ! HVKIT_BUILD=$build HVKIT_SRC=$src "$here/mkxen.sh" "$work/img" >"$work/mkxen.log" 2>&1; then
  cat "$work/mkxen.log"
  grep -q "download\|apt" "$work/mkxen.log" && skip "could not fetch the Debian kernel"
  die "building the boot images failed"
fi
t1=$(date +%s)
log=$work/serial.log
cpu=max acpi=() d0arg= qmp=() xarg=
if [ "$mode" = ras ]; then
  d0arg=" hvxen=ras" xarg=" mce_verbosity=verbose loglvl=all guest_loglvl=all"
  qmp=(-qmp "unix:$work/qmp.sock,server=on,wait=off")
fi
if [ "$mode" = pstates ]; then
  [ -s "$work/img/ssdt.aml" ] || skip "SSDT with P-states could not be built"
  cpu=Skylake-Client acpi=(-acpitable "file=$work/img/ssdt.aml") d0arg=" hvxen=pstates"
fi
# One boot; 1 when the machine gives no result within $limit (the console
# tail is printed). ctest's TIMEOUT must exceed two such boots.
limit=${HVKIT_XEN_TIMEOUT:-300}
boot() {
  local tb
  tb=$(date +%s)
  rm -f "$work/qmp.sock"
  : >"$log"
  qemu-system-x86_64 -M pc -accel tcg,thread=multi -cpu $cpu "${acpi[@]}" "${qmp[@]}" -m 2048 -smp 4 \
    -nodefaults -no-user-config -display none -vga none -no-reboot \
    -serial "file:$log" -kernel "$work/img/xen" \
    -append "console=com1 com1=115200,8n1 smap=0 bootscrub=false dom0_mem=512M,max:512M dom0_max_vcpus=2 noreboot$xarg" \
    -initrd "$work/img/vmlinuz console=hvc0 earlyprintk=xen quiet$d0arg,$work/img/dom0.img" \
    >"$work/qemu.out" 2>&1 &
  qpid=$!
  rss=0
  injected=
  while :; do
    grep -q '@@XEN-E2E-DONE' "$log" 2>/dev/null && break
    if [ "$mode" = ras ] && [ -z "$injected" ] && grep -q '^@@ ras-ready' "$log" 2>/dev/null; then
      # 3 corrected errors naming page 0x1234000 into pCPU 1's bank 1, 4 s
      # apart (Xen polls the banks itself; two before a poll would merge)
      injected=1
      for i in 1 2 3; do
        python3 "$src/tests/guest/qmp.py" "$work/qmp.sock" \
          '{"execute":"human-monitor-command","arguments":{"command-line":"mce 1 1 0x9c00000000000000 0 0x1234000 0x86"}}' \
          >>"$work/inject.log" 2>&1 || echo "inject $i failed" >>"$work/inject.log"
        sleep 4
      done &
    fi
    kill -0 "$qpid" 2>/dev/null || { cat "$work/qemu.out"; tail -n 40 "$log"; die "QEMU exited early"; }
    r=$(awk '/VmRSS/{print int($2/1024)}' /proc/$qpid/status 2>/dev/null || echo 0)
    [ "${r:-0}" -gt "$rss" ] && rss=$r
    [ $(($(date +%s) - tb)) -lt "$limit" ] || { tail -n 60 "$log"; echo "no result within ${limit}s"; return 1; }
    sleep 2
  done
}
# A boot that hangs under emulation (seen once in ~10 runs of the ras mode,
# with no output to say where) gets one more try; a second hang fails.
if ! boot; then
  kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; qpid=
  echo "xen-e2e: boot $mode hung; one more boot"
  boot || die "no result within ${limit}s, twice"
fi
t2=$(date +%s)
sleep 1
kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; qpid=
tr -d '\r' <"$log" >"$work/console.log"
# Kept for the xentop-ng verdict (xen_e2e_xentop_ng replays it).
[ "$mode" = pstates ] || cp "$work/console.log" "$build/xen-e2e-console.log" 2>/dev/null
echo "xen-e2e: images $((t1 - t0))s, boot to results $((t2 - t1))s, QEMU peak RSS ${rss} MB"
fi
grep '^@@ ' "$work/console.log"

section() { awk -v s="@@BEGIN $1" -v e="@@END $1" '$0==s{f=1;next} $0==e{f=0} f && !/^\(XEN\)/' "$work/console.log"; }
fails=0
# HVKIT_XEN_CHECK: libhv (hvxen-dump: the backend itself), xentop-ng (its
# batch output, replayed from the saved log by a second ctest), or all.
want=${HVKIT_XEN_CHECK:-all}
scope=libhv
check() { # description, condition result (0 ok)
  if [ "$want" != all ] && [ "$want" != "$scope" ]; then
    [ "$2" = 0 ] && echo "ok   ($scope) $1" || echo "info ($scope, not this test's verdict) $1"
    return
  fi
  if [ "$2" = 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}
grep -q '^@@ FAIL' "$work/console.log" && { tail -n 80 "$work/console.log"; die "dom0 reported a failure"; }

if [ "$mode" = ras ]; then
  section ras >"$work/r.txt"
  echo "--- hardware-error scenario"; cat "$work/r.txt"; cat "$work/inject.log" 2>/dev/null
  bytes=$(sed -n 's/^mcelog bytes=//p' "$work/r.txt")
  # Xen's own console (com1 = the serial log): did its poller start, and
  # did it say anything about a bank after the injection? dom0's vMCE MSR
  # accesses ("d0v0: rd MCG_CAP") are Xen emulating dom0's banks, not ours.
  xcon=$(grep '^(XEN)' "$work/console.log" | grep -v -E 'd[0-9]+v[0-9]+: (rd|wr) ')
  grep -iE 'machine check reporting enabled|polling timer started' <<<"$xcon" | sed 's/^/xen console: /'
  after=$(awk '/^@@ ras-ready/{f=1; next} /^@@BEGIN ras/{f=0} f' "$work/console.log" | grep '^(XEN)' |
    grep -v -E 'd[0-9]+v[0-9]+: (rd|wr) ' | grep -ciE 'mce|machine|bank|correctable' || true)
  if [ "${bytes:-0}" -gt 0 ]; then
    echo "FINDING: dom0 received ${bytes} bytes of MCA records through /dev/mcelog"
  else
    echo "FINDING: Xen 4.17 under QEMU TCG did not forward the injected corrected errors:" \
      "its poller runs (\"mcheck_poll: Machine check polling timer started\"), QEMU accepted 3 injections," \
      "Xen's console has $after MCE lines after them within 35 s (mce_verbosity=verbose loglvl=all), /dev/mcelog gave ${bytes:-0} bytes"
  fi
  check "hardware-error scenario ran (injection accepted, dom0 reported)" \
    "$(grep -q '^--- /dev/mcelog' "$work/r.txt" && ! grep -q failed "$work/inject.log" && echo 0 || echo 1)"
  # Page offlining through libhv (xc_mark_page_offline) against xen-hptool
  # mem-status: what hvkit reads back must be what Xen says.
  pg=$(sed -n '/^--- page offline through hvkit/,$p' "$work/r.txt")
  echo "$pg"
  hv_after=$(grep -o 'mem/0x1234000/offline=[01]' <<<"$pg" | tail -n 1 | cut -d= -f2)
  if grep -q 'set rc=0' <<<"$pg"; then
    check "page offlined through Xen: hvkit reads ${hv_after:-?}, xen-hptool says offlined/pending" \
      "$([ "$hv_after" = 1 ] && grep -qiE 'offlined|pending' <<<"$pg" && echo 0 || echo 1)"
  else
    check "page offline refused by Xen with the reason, hvkit still reads it online" \
      "$([ "$hv_after" = 0 ] && grep -qE 'refused|not say' <<<"$pg" && echo 0 || echo 1)"
  fi
  check "bringing a page back is refused" "$(grep -q 'set0 rc=1' <<<"$pg" && echo 0 || echo 1)"
  [ $fails = 0 ] && { echo "$fails failures"; exit 0; }
  die "$fails failures"
fi

if [ "$mode" = pstates ]; then
  section pstates >"$work/p.txt"
  echo "--- P-state scenario"; cat "$work/p.txt"
  grep -q 'failed to get cpufreq parameter' "$work/p.txt" &&
    skip "Xen registered no P-states even with the SSDT (xen-acpi-processor: $(grep -c 'xen-acpi-processor loaded' "$work/p.txt"))"
  # xenpm get-cpufreq-states: "total P-states : 3" and "P0 [2600 MHz]"
  xt_n=$(awk -F: '/total P-states/{gsub(/ /, "", $2); print $2; exit}' "$work/p.txt")
  xt_f=$(grep -o 'P[0-9]* *\[ *[0-9]* MHz\]' "$work/p.txt" | grep -o '[0-9]* MHz' | awk '{printf "%d ", $1 * 1000}')
  hv_line=$(grep '^pcpu 1 ' "$work/p.txt" | head -n 1)
  hv_n=$(echo "$hv_line" | grep -o 'nr_pstate=[0-9]*' | cut -d= -f2)
  hv_f=$(echo "$hv_line" | grep -o ' P[0-9]*=[0-9]*' | cut -d= -f2 | awk '{printf "%d ", $1}')
  check "P-states of cpu1: hvkit $hv_n ($hv_f) vs xenpm $xt_n ($xt_f)" \
    "$([ -n "$xt_n" ] && [ "$hv_n" = "$xt_n" ] && [ "$hv_f" = "$xt_f" ] && echo 0 || echo 1)"
  # P0 residency: xenpm (ms) just before hvkit (ns): within 10 % + 1.5 s
  xt_r=$(awk '/^\*?P0 /{f=1; next} f && /residency/{gsub(/[^0-9]/, "", $0); print; exit}' "$work/p.txt")
  hv_r=$(echo "$hv_line" | grep -o ' P0=[0-9]*/[0-9]*' | cut -d/ -f2 | awk '{printf "%d", $1 / 1e6}')
  check "P0 residency of cpu1: hvkit ${hv_r} ms vs xenpm ${xt_r} ms" \
    "$(awk -v a="$hv_r" -v b="$xt_r" 'BEGIN{d = a - b; if (d < 0) d = -d; print (b != "" && d <= b * 0.1 + 1500) ? 0 : 1}')"
  gov=$(awk -F: '/current_governor/{gsub(/ /, "", $2); print $2; exit}' "$work/p.txt")
  check "governor of cpu1: hvkit $(echo "$hv_line" | grep -o 'governor=[a-z]*') vs xenpm $gov" \
    "$(echo "$hv_line" | grep -q "governor=$gov " && echo 0 || echo 1)"
  check "cpu/1/governor -> performance: xenpm shows it" \
    "$(grep -q 'setgov rc=0' "$work/p.txt" && grep -Eq 'current_governor *: *performance' "$work/p.txt" && echo 0 || echo 1)"
  check "cpu/1/max_khz -> 2000000: xenpm scaling max and the knob read back agree" \
    "$(grep -q 'setmax rc=0' "$work/p.txt" && grep -Eq 'scaling frequency *: *max \[2000000\]' "$work/p.txt" && grep -q '^cpu/1/max_khz=2000000' "$work/p.txt" && echo 0 || echo 1)"
  check "xen/max_cstate 0 then unlimited: xenpm follows" \
    "$(grep -q 'setcst rc=0' "$work/p.txt" && grep -q 'unsetcst rc=0' "$work/p.txt" && grep -q 'Max possible C-state: C0' "$work/p.txt" && grep -q 'All C-states allowed' "$work/p.txt" && echo 0 || echo 1)"
  [ "$fails" -gt 0 ] && die "$fails check(s) failed"
  echo "PASS: xen e2e P-states"
  exit 0
fi

# ---- 1. domains: last iteration of each, by name ----
lastiter() { # normalise "no limit"/"n/a" to one token each; keep the last table
  sed -e 's/no limit/nolimit/g' | awk '/^ *NAME /{n++; delete rows} n && !/^ *NAME /{rows[$1]=$0} END{for (k in rows) print rows[k]}' | sort
}
section xentop | lastiter >"$work/xt.txt"
section hvtop | lastiter >"$work/hv.txt"
section xentop-paused | lastiter >"$work/xtp.txt"
section hvtop-paused | lastiter >"$work/hvp.txt"
section ngtop | lastiter >"$work/ng.txt"
section ngtop-paused | lastiter >"$work/ngp.txt"
tools=$(awk '/^@@ hvkit domains tools:/{sub(/^@@ hvkit domains tools: /, ""); print}' "$work/console.log")
echo "--- xentop (Xen), all domains running"; cat "$work/xt.txt"
echo "--- hvxen-dump (libhv), same interval"; cat "$work/hv.txt"
echo "--- xentop (Xen), io paused"; cat "$work/xtp.txt"
echo "--- hvxen-dump (libhv), io paused"; cat "$work/hvp.txt"
for d in Domain-0 burn idle io; do
  for t in xt hv xtp hvp; do
    grep -q "^ *$d " "$work/$t.txt" || check "$d listed in $t output" 1
  done
done
# Columns: 1 NAME 2 STATE 3 CPU(sec) 4 CPU(%) 5 MEM(k) 6 MEM(%) 7 MAXMEM(k)
# 8 MAXMEM(%) 9 VCPUS 10 NETS 11 NETTX 12 NETRX 13 VBDS 14 VBD_OO 15 VBD_RD
# 16 VBD_WR 17 VBD_RSECT 18 VBD_WSECT 19 SSID
compare() { # xentop-file hvkit-file counter-tolerance-% cpu-check(1/0)
  awk -v tol="$3" -v cpu="$4" '
    function near(a, b, pct, abs) { d = a - b; if (d < 0) d = -d; m = (a > b ? a : b); return d <= abs || d <= m * pct / 100 }
    NR == FNR { x[$1] = $0; next }
    ($1 in x) {
      split(x[$1], a); n = $1
      # Domain-0 runs both tools at once: its CPU% is what the measuring
      # itself costs, different in each window, so only domUs are compared.
      if (cpu && n != "Domain-0" && !near($4, a[4], 0, 10)) printf "%s CPU%% %s vs xentop %s\n", n, $4, a[4]
      if (!near($3, a[3], 10, 2)) printf "%s CPU(sec) %s vs xentop %s\n", n, $3, a[3]
      split("5 7 9 10 13 19", ex, " ")
      for (i in ex) { c = ex[i]; if ($c != a[c]) printf "%s column %d: %s vs xentop %s\n", n, c, $c, a[c] }
      split("11 12 14 15 16 17 18", ap, " ")
      for (i in ap) { c = ap[i]; if (!near($c, a[c], tol, tol ? 16 : 0)) printf "%s column %d: %s vs xentop %s\n", n, c, $c, a[c] }
    }' "$work/$1" "$work/$2"
}
# Running: the two tools sample a bursty workload at slightly different
# instants, so counters get 25 %; paused: frozen counters, exact.
res=$(compare xt.txt hv.txt 25 1)
[ -z "$res" ] || echo "$res"
check "domains running: domU CPU% within 10 points, MEM/MAXMEM/VCPUS/NETS/VBDS/SSID exact, counters within 25%" "$([ -z "$res" ] && echo 0 || echo 1)"
res=$(compare xtp.txt hvp.txt 0 0)
[ -z "$res" ] || echo "$res"
check "domains with io paused: every vif/vbd counter equal to xentop's" "$([ -z "$res" ] && echo 0 || echo 1)"
if [ -s "$work/ng.txt" ] || [ -s "$work/ngp.txt" ]; then
  scope=xentop-ng
  echo "--- xentop-ng -b, same interval"; cat "$work/ng.txt"
  echo "--- xentop-ng -b, io paused"; cat "$work/ngp.txt"
  res=$(compare xt.txt ng.txt 25 1)
  [ -s "$work/ng.txt" ] || res="no output"
  [ -z "$res" ] || echo "$res"
  check "xentop-ng -b running: same checks against xentop" "$([ -z "$res" ] && echo 0 || echo 1)"
  res=$(compare xtp.txt ngp.txt 0 0)
  [ -s "$work/ngp.txt" ] || res="no output"
  [ -z "$res" ] || echo "$res"
  case "$res" in *"column 11"*|*"column 12"*)
    echo "note: xentop's NETTX/NETRX are dom0's vif side (NETRX = what the guest sent); hv_net is the guest's side" ;;
  esac
  check "xentop-ng -b with io paused: every counter equal to xentop's" "$([ -z "$res" ] && echo 0 || echo 1)"
  scope=libhv
elif [ "$want" = xentop-ng ]; then
  skip "xentop-ng was not built into this run"
fi
section hvtop-xenstat-paused | lastiter >"$work/hvx.txt"
echo "--- hvxen-dump with HVKIT_XEN_SOURCE=xenstat, io paused"; cat "$work/hvx.txt"
res=$(compare xtp.txt hvx.txt 0 0)
[ -n "$(cat "$work/hvx.txt")" ] || res="no output"
[ -z "$res" ] || echo "$res"
check "libhv's libxenstat source, io paused: equal to xentop's" "$([ -z "$res" ] && echo 0 || echo 1)"
echo "--- sampling cost on this Xen (not asserted):"; section cost
f() { awk -v n="$1" -v c="$2" '$1 == n {print $c}' "$work/$3"; }
check "burn domain busy: xentop $(f burn 4 xt.txt)%, hvkit $(f burn 4 hv.txt)%" "$(awk -v a="$(f burn 4 hv.txt)" 'BEGIN{print (a > 60) ? 0 : 1}')"
check "idle domain idle: hvkit $(f idle 4 hv.txt)%" "$(awk -v a="$(f idle 4 hv.txt)" 'BEGIN{print (a < 25) ? 0 : 1}')"
check "io domain has 1 vif and 1 vbd with traffic (RSECT $(f io 17 hv.txt), NETTX $(f io 11 hv.txt)k, NETRX $(f io 12 hv.txt)k)" \
  "$(awk -v n="$(f io 10 hv.txt)" -v b="$(f io 13 hv.txt)" -v r="$(f io 17 hv.txt)" -v t="$(f io 11 hv.txt)" 'BEGIN{print (n == 1 && b == 1 && r > 0 && t > 0) ? 0 : 1}')"

# ---- 2. C-states and P-states ----
section hvpcpu >"$work/hvpcpu.txt"
section xenpm-c >"$work/xenpm-c.txt"
section xenpm-p >"$work/xenpm-p.txt"
echo "--- hvkit pcpu"; cat "$work/hvpcpu.txt"
res=$(awk '
  NR == FNR {
    if ($1 == "cpu" && $2 == "id") cpu = $4
    if ($1 == "total" && $2 == "C-states") tot[cpu] = $4
    if ($1 ~ /^C[0-9]+$/) st = $1
    if ($1 == "residency" && st == "C1") { v = $3; gsub(/[^0-9]/, "", v); c1[cpu] = v }
    next
  }
  $1 == "pcpu" && $3 == "online=1" {
    id = $2; n = -1; ms = -1
    for (i = 3; i <= NF; i++) {
      if ($i ~ /^nr_cstate=/) { n = $i; sub("nr_cstate=", "", n) }
      if ($i ~ /^C1=/) { split(substr($i, 4), p, "/"); ms = p[1] / 1e6 }
    }
    if (tot[id] != n + 1) printf "cpu%s: %s C-states vs xenpm %s (incl C0)\n", id, n, tot[id]
    d = ms - c1[id]; if (d < 0) d = -d
    if (c1[id] == "" || d > c1[id] * 0.1 + 1500) printf "cpu%s: C1 residency %d ms vs xenpm %s ms\n", id, ms, c1[id]
    seen++
  }
  END { if (!seen) print "no pcpu lines" }' "$work/xenpm-c.txt" "$work/hvpcpu.txt")
[ -z "$res" ] || echo "$res"
check "C-states: count and C1 residency per pCPU match xenpm get-cpuidle-states (within 10%)" "$([ -z "$res" ] && echo 0 || echo 1)"
if grep -q 'failed to get cpufreq parameter' "$work/xenpm-p.txt"; then
  check "no P-states (xenpm: failed to get cpufreq parameter): hvkit says so cleanly" \
    "$(grep -q '^pstates cpu1 unsupported: .*no P-states' "$work/hvpcpu.txt" && grep -q '^pcpu 1 .*nr_pstate=0 cur_khz=unsupported' "$work/hvpcpu.txt" && echo 0 || echo 1)"
else
  check "P-states present in xenpm: hvkit reports a governor" "$(grep -q '^pstates cpu1 governor=' "$work/hvpcpu.txt" && echo 0 || echo 1)"
fi

# Host identity and nominal clock: hvkit's (physinfo through libxenctrl,
# dom0's cpuinfo) against xl info's cpu_mhz and dom0's own cpuinfo/uname.
section xl >"$work/xl.txt"
hostl=$(grep -m1 '^host ' "$work/hvpcpu.txt")
hkhz=$(echo "$hostl" | sed -n 's/.* cpu_khz=\([0-9]*\).*/\1/p')
xmhz=$(awk '/^cpu_mhz/{print $3}' "$work/xl.txt")
check "nominal clock: hvkit ${hkhz:-?} kHz vs xl info cpu_mhz ${xmhz:-?} (within 1 MHz)" \
  "$(awk -v k="$hkhz" -v m="$xmhz" 'BEGIN{d = k / 1000 - m; if (d < 0) d = -d; print (k > 0 && m > 0 && d <= 1) ? 0 : 1}')"
model=$(sed -n 's/^model name[[:space:]]*: //p' "$work/xl.txt" | head -n1)
arch=$(grep -Ex 'x86_64|aarch64' "$work/xl.txt" | head -n1)
check "host identity: hvkit '$(echo "$hostl" | sed -n 's/.* arch=\([^ ]*\) cpu_model="\(.*\)"/\1, \2/p')' vs dom0's uname -m '$arch' and cpuinfo '$model'" \
  "$([ -n "$model" ] && [ -n "$arch" ] && echo "$hostl" | grep -qF " arch=$arch cpu_model=\"$model\"" && echo 0 || echo 1)"

# ---- 3. pCPU hotplug ----
section hotplug >"$work/hotplug.txt"
echo "--- hotplug"; grep -v 'xl.conf' "$work/hotplug.txt"
hp() { awk -F= -v k="$1" '$1 == k {print $2}' "$work/hotplug.txt" | head -n1; }
check "offline cpu1: rc $(hp 'offline1 rc'), xl info nr_cpus $(hp 'nr_cpus before') -> $(hp 'nr_cpus after_offline')" \
  "$([ "$(hp 'offline1 rc')" = 0 ] && [ "$(hp 'nr_cpus after_offline')" = $(($(hp 'nr_cpus before') - 1)) ] && echo 0 || echo 1)"
check "offline cpu1 gone from xenpm get-cpu-topology, online=0 in hvkit's sample and knob" \
  "$(grep -q '^topo: CPU0' "$work/hotplug.txt" && ! grep -Eq '^topo: CPU1([^0-9]|$)' "$work/hotplug.txt" && grep -q '^pcpu 1 online=0' "$work/hotplug.txt" && grep -q '^cpu/1/online=0' "$work/hotplug.txt" && echo 0 || echo 1)"
check "online cpu1: rc $(hp 'online1 rc'), nr_cpus back to $(hp 'nr_cpus after_online')" \
  "$([ "$(hp 'online1 rc')" = 0 ] && [ "$(hp 'nr_cpus after_online')" = "$(hp 'nr_cpus before')" ] && echo 0 || echo 1)"
check "cpu0 refused with Xen's reason: $(grep -i 'cpu0' "$work/hotplug.txt" | grep -i einval | head -n1)" \
  "$([ "$(hp 'offline0 rc')" != 0 ] && grep -i 'cpu0' "$work/hotplug.txt" | grep -qi 'EINVAL' && [ "$(hp 'nr_cpus after_cpu0')" = "$(hp 'nr_cpus before')" ] && echo 0 || echo 1)"

if [ "$fails" -gt 0 ]; then
  echo "console log: ${build}/xen-e2e-console.log"
  die "$fails check(s) failed"
fi
echo "PASS: xen e2e (domains through: $tools; hotplug through: $(awk '/^hotplug tool:/{print $3}' "$work/hotplug.txt"))"
exit 0
