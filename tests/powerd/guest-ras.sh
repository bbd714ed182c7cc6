#!/usr/bin/env bash
# e2e: hardware errors injected for real into a QEMU guest (4 vCPUs) with
# hv-powerd [hwerr] inside it, the guest being its host. QEMU's monitor
# command `mce CPU BANK STATUS MCGSTATUS ADDR MISC` writes a corrected error
# into a vCPU's bank; the guest kernel finds it polling (check_interval 1 s)
# and logs it through the mce:mce_record tracepoint that libhv reads.
#  - 5 errors on vCPU 2 (threshold 3 in 60 s): cpu2 goes offline at the
#    4th, the journal quotes the count (the 5th lands in the bank of an
#    offline CPU, which nobody polls: hvctl ras shows 4 or 5);
#  - 5 on vCPU 0: refused, the journal says it is cpu0;
#  - 2 with an address on one page (page_threshold 2): the page is
#    soft-offlined, the guest's HardwareCorrupted grows, hvctl ras shows it;
#  - SIGTERM: cpu2 back online, the page stays offline.
set -euo pipefail
bin=$HVKIT_BUILD/powerd/hv-powerd
ctl=$HVKIT_BUILD/hypervisor/hvctl/hvctl
H=$HVKIT_SRC/tests/guest/hvguest
[ -x "$bin" ] && [ -x "$ctl" ] || { echo "hv-powerd/hvctl not built"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "needs root for QEMU guests"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || { echo "no qemu-system-x86_64"; exit 77; }
export HVKIT_GUEST_RUN=$(mktemp -d /tmp/pd-ras-XXXXXX)
tmp=$(mktemp -d)
name=pd-ras-$$
page=0x9000000 # 144 MiB into a 256 MiB guest: free or page cache, movable
cleanup() { "$H" stop-all >/dev/null 2>&1 || true; rm -rf "$HVKIT_GUEST_RUN" "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- console"; "$H" console "$name" 2>/dev/null | tr -d '\r' | tail -n 80; exit 1; }
cat >"$tmp/pd.conf" <<'C'
[daemon]
period = 1s
backend = kvm
[hwerr]
enabled = yes
threshold = 3
window = 60s
max_offline = 1
keep_online = 2
page_threshold = 2
page_window = 60s
C
echo "$page" >"$tmp/page"
inject() { # CPU STATUS ADDR COUNT: one corrected error per 1.5 s, so the
  # guest polls each one alone (two in one bank before a poll would merge
  # into one record with the overflow bit)
  for _ in $(seq "$4"); do
    "$H" qmp "$name" "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"mce $1 1 $2 0 $3 0x86\"}}" >/dev/null ||
      fail "qmp mce $1"
    sleep 1.5
  done
}
t0=$SECONDS
"$H" start "$name" --vcpus 4 --mem 256 --ttl 600 \
  --add "$bin:/hvkit/bin/hv-powerd" --add "$ctl:/hvkit/bin/hvctl" \
  --file "$tmp/pd.conf:/hvkit/pd.conf" --file "$tmp/page:/hvkit/page" \
  --run "$HVKIT_SRC/tests/powerd/guest-ras-run.sh" >/dev/null || fail "guest did not start"
"$H" wait-ready "$name" 300 >/dev/null || fail "guest not ready"
"$H" wait-for "$name" 'RAS-READY' 120 >/dev/null || fail "hv-powerd did not start"
inject 2 0x9000000000000000 0 5
"$H" wait-for "$name" 'RAS-CPU2' 120 >/dev/null || fail "no RAS-CPU2"
inject 0 0x9000000000000000 0 5
"$H" wait-for "$name" 'RAS-CPU0' 120 >/dev/null || fail "no RAS-CPU0"
inject 3 0x9c00000000000000 "$page" 1
inject 3 0x9c00000000000000 "$((page + 0x40))" 1
"$H" wait-for "$name" 'HVKIT-RUN-DONE' 180 >/dev/null || fail "run hook did not finish"
out=$("$H" output "$name" run) || fail "no run output"
echo "$out" | grep '^RAS-' | grep -v -e '^RAS-LOG' -e '^RAS-JSON'
val() { # MARKER KEY -> value of KEY= on the first MARKER line
  echo "$out" | awk -v m="$1" -v k="$2=" '$1 == m { for (i = 2; i <= NF; i++)
    if (index($i, k) == 1) { print substr($i, length(k) + 1); exit } }'
}
[ "$(val RAS-READY online)" = "0-3" ] || fail "guest did not start with 4 CPUs online"
[ "$(val RAS-CPU2 online)" = "0-1,3" ] || fail "cpu2 not offlined ($(val RAS-CPU2 online))"
j2=$(echo "$out" | grep '^RAS-J2 ') || fail "no journal record for cpu2"
grep -q '"event":"set","policy":"hwerr"' <<<"$j2" &&
  grep -qE 'corrected errors rose by [3-9] \(0 -> [3-9]\) > threshold 3' <<<"$j2" ||
  fail "cpu2 journal record does not quote the count: $j2"
[ "$(val RAS-CPU0 after)" != -1 ] || fail "no refusal for cpu0"
[ "$(val RAS-CPU0 online)" = "0-1,3" ] || fail "cpu0 injection changed CPUs: $(val RAS-CPU0 online)"
[ "$(val RAS-PAGE after)" != -1 ] || fail "HardwareCorrupted did not grow"
hwc=$(val RAS-PAGE hwc)
[ "$hwc" -ge 4 ] || fail "HardwareCorrupted $hwc kB, want >= 4"
[ "$(val RAS-PAGE status)" = "page_${page}:_offline_(poisoned:_the_kernel_never_uses_it_again)" ] ||
  fail "page status: $(val RAS-PAGE status)"
jp=$(echo "$out" | grep '^RAS-JP ') || fail "no journal record for the page"
grep -q "\"knob\":\"mem/$page/offline\"" <<<"$jp" && grep -q '"one_way":true' <<<"$jp" &&
  grep -q '2 errors within 60s' <<<"$jp" || fail "page journal record: $jp"
echo "$out" | grep -q "^RAS-CTL   $page *ce 2 *ue 0 *soft-offlined" || fail "hvctl ras does not show the page"
echo "$out" | grep -qE '^RAS-CTL 2 +no +[45] ' || fail "hvctl ras: cpu2 not shown offline with its count"
js=$(echo "$out" | sed -n 's/^RAS-JSON //p')
jq -e --arg p "$page" '(.ras.pages[] | select(.addr == $p) | .state == "soft-offlined")
  and (.ras.cpus[] | select(.id == 0) | .ce == 5)
  and (.ras.cpus[] | select(.id == 3) | .ce == 2)
  and (.actions | map(select(.one_way == true)) | length == 1)' <<<"$js" >/dev/null ||
  fail "hvctl ras --json: $js"
[ "$(val RAS-STOP rc)" = 0 ] || fail "daemon exit status $(val RAS-STOP rc)"
[ "$(val RAS-STOP online)" = "0-3" ] || fail "SIGTERM did not bring cpu2 back ($(val RAS-STOP online))"
[ "$(val RAS-STOP hwc)" = "$hwc" ] || fail "HardwareCorrupted changed at stop: $(val RAS-STOP hwc)"
[ "$(val RAS-STOP status)" = "$(val RAS-PAGE status)" ] || fail "page not offline after stop"
[ "$(val RAS-JOURNAL mem_restores)" = 0 ] || fail "the journal tried to restore the page"
[ "$(val RAS-JOURNAL clean)" = 1 ] || fail "journal does not end clean"
echo "PASS in $((SECONDS - t0)) s"
