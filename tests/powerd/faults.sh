#!/usr/bin/env bash
# hv-powerd under faults (synth backend: knobs in memory, this machine's
# CPUs are never touched), each asserting what the user keeps:
#  1 disk full (a 1 MiB tmpfs as HVKIT_RUNDIR): new changes stop, the held
#    knobs stay restorable, the log and state.json say why, changes resume
#    when space returns, the stop restores everything;
#  2 the run directory read-only mid-run (a read-only bind mount over it:
#    the kernel refuses to remount a file system with files open for
#    writing) blocks and resumes the same way; at start it is refused;
#  3 the run directory removed mid-run: files and lock made again;
#  4 SIGKILL then state.json torn: recovery from the journal;
#  5 SIGKILL then the journal torn mid-record: recovery from state.json,
#    the torn record cut;
#  6 state.json torn and the journal unusable: refused, files untouched;
#  7 100 SIGHUPs in 1 s with good and bad configs: no crash, the last good
#    config in force, the journal well-formed.
# Needs root for a private mount namespace (unshare -m) with a tmpfs.
set -euo pipefail
bin=$HVKIT_BUILD/powerd/hv-powerd
[ -x "$bin" ] || { echo "hv-powerd not built"; exit 77; }
command -v jq >/dev/null || { echo "jq not installed"; exit 77; }
if [ -z "${PD_FAULTS_NS:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "needs root for a tmpfs in a private mount namespace"; exit 77; }
  command -v unshare >/dev/null || { echo "no unshare(1)"; exit 77; }
  exec unshare -m --propagation private env PD_FAULTS_NS=1 bash "$0" "$@"
fi
tmp=$(mktemp -d)
pid=
run=$tmp/run
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  umount "$run" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
export HVKIT_RUNDIR=$run
log=$tmp/log
fail() {
  echo "FAIL: $*"
  echo "--- journal (tail)"; tail -n 15 "$run/journal.jsonl" 2>/dev/null || true
  echo "--- state"; cat "$run/state.json" 2>/dev/null || true
  echo "--- log (tail)"; tail -n 20 "$log"; exit 1
}
# budget: 120 W synth package over 50 W, 1 % steps down to 10 %: a new
# change every round for a long while.
cfg=$tmp/p.conf
good1='[daemon]
period = 0.1
[budget]
enabled = yes
watts = 50
step = 1
floor = 10%'
good2='[daemon]
period = 0.1
[budget]
enabled = no'
printf '%s\n' "$good1" >"$cfg"
mnt() { mkdir -p "$run"; mount -t tmpfs -o "size=${1:-1m}" hvkit-faults "$run"; }
start() { "$bin" --config "$cfg" --backend synth 2>>"$log" & pid=$!; }
stop() { # expect a clean stop: every knob back, held [] and "clean"
  kill -TERM "$pid"; local st=0; wait "$pid" || st=$?; pid=
  [ "$st" = 0 ] || fail "exit status $st at stop"
  jq -e '.held == [] and .blocked == null' "$run/state.json" >/dev/null || fail "state holds knobs after stop"
  grep -v '"event":"stop"' "$run/journal.jsonl" | tail -n 1 | grep -q '"event":"clean"' || fail "no clean record at stop"
}
wait_for() { # CMD... : up to 10 s
  local i
  for i in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
jgrep() { grep -qE "$1" "$run/journal.jsonl"; }
well_formed() { # every line one JSON object, seq rising within each pid
  [ -n "${FAULTS_DEBUG:-}" ] && cp "$run/journal.jsonl" /tmp/faults-journal.jsonl
  jq -e -s 'all(type == "object") and
            (group_by(.pid) | all(map(.seq) as $s | $s == ($s | sort) and ($s | unique | length) == ($s | length)))' \
    "$run/journal.jsonl" >/dev/null || fail "journal not well-formed"
}
nsets() { grep -c '"event":"set"' "$run/journal.jsonl" || true; }
count_gt() { [ "$(grep -c "$1" "$run/journal.jsonl" || true)" -gt "$2" ]; }

t0=$(date +%s.%N)
# ---- 1 disk full ----
mnt 1m
start
wait_for jgrep '"event":"set".*"knob":"cpu/0/max_khz"' || fail "no budget cap"
dd if=/dev/zero of="$run/fill" bs=4k 2>/dev/null || true # until ENOSPC
wait_for jq -e '.blocked | strings | test("No space left")' "$run/state.json" || fail "state.json does not say why"
grep -q 'no new changes until .*No space left' "$log" || fail "log does not say why"
jq -e '(.held | length) > 0 and all(.held[]; .orig == "3000000")' "$run/state.json" >/dev/null ||
  fail "held knobs not restorable from state.json"
n1=$(nsets); sleep 1; n2=$(nsets)
[ "$n1" = "$n2" ] || fail "changes made while the disk is full ($n1 -> $n2)"
kill -0 "$pid" || fail "died on a full disk"
rm -f "$run/fill"
wait_for jgrep '"event":"note".*writable again' || fail "no resume after space returned"
n3=$(nsets)
wait_for count_gt '"event":"set"' "$n3" || fail "no new change after resuming"
jq -e '.blocked == null' "$run/state.json" >/dev/null || fail "state still blocked"
well_formed
stop
echo "ok 1 disk full"

# ---- 2 read-only: mid-run, then at start ----
: >"$log"
start
wait_for jgrep "\"event\":\"set\".*\"pid\":$pid," || fail "no change before ro"
ro_on() { mount --bind "$run" "$run" && mount -o remount,bind,ro "$run"; }
ro_off() { umount "$run"; } # the read-only bind on top goes
ro_on
wait_for grep -q 'no new changes until .*Read-only file system' "$log" || fail "read-only not noticed"
n1=$(nsets); sleep 0.5; n2=$(nsets)
[ "$n1" = "$n2" ] || fail "journal grew on a read-only dir"
kill -0 "$pid" || fail "died on a read-only dir"
ro_off
wait_for jgrep 'writable again' || fail "no resume after rw"
stop
ro_on
st=0; "$bin" --config "$cfg" --backend synth 2>"$tmp/ro.log" || st=$?
[ "$st" != 0 ] && grep -q 'read-only' "$tmp/ro.log" || fail "start on a read-only dir not refused clearly ($st): $(cat "$tmp/ro.log")"
ro_off
echo "ok 2 read-only"

# ---- 3 run directory removed mid-run ----
: >"$log"
start
wait_for jgrep "\"event\":\"set\".*\"pid\":$pid," || fail "no change"
find "$run" -mindepth 1 -delete
wait_for test -s "$run/journal.jsonl" || fail "journal not made again"
head -n 1 "$run/journal.jsonl" | grep -q '"event":"held"' || fail "new journal does not start with held knobs"
wait_for test -s "$run/state.json" || fail "state not made again"
st=0; "$bin" --config "$cfg" --backend synth 2>"$tmp/second.log" || st=$?
[ "$st" != 0 ] && grep -q 'another hv-powerd' "$tmp/second.log" || fail "lock not taken again ($st)"
stop
well_formed
echo "ok 3 run dir removed"

# ---- 4 SIGKILL, state.json torn: the journal says ----
: >"$log"
start
wait_for jgrep "\"event\":\"set\".*\"pid\":$pid," || fail "no change"
kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=
held=$(jq '.held | length' "$run/state.json")
[ "$held" -gt 0 ] || fail "nothing held at the kill"
head -c 60 "$run/state.json" >"$tmp/torn" && cat "$tmp/torn" >"$run/state.json"
printf '%s\n' "$good2" >"$cfg"
start
wait_for grep -q 'rebuilding held knobs from' "$log" || fail "no rebuild from the journal"
wait_for jgrep '"reason":"recovery after an unclean stop"' || fail "no recovery"
[ "$(grep -c '"event":"restored"' "$run/journal.jsonl")" -ge "$held" ] || fail "not every knob restored"
stop
printf '%s\n' "$good1" >"$cfg"
echo "ok 4 torn state.json"

# ---- 5 SIGKILL, journal torn mid-record: state.json says ----
: >"$log"
start
wait_for jgrep "\"event\":\"set\".*\"pid\":$pid," || fail "no change"
kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=
truncate -s -7 "$run/journal.jsonl" # mid-record
printf '%s\n' "$good2" >"$cfg"
start
wait_for grep -qE 'cut [0-9]+ bytes of a torn last record' "$log" || fail "torn record not cut"
wait_for jgrep '"reason":"recovery after an unclean stop"' || fail "no recovery"
stop
well_formed
printf '%s\n' "$good1" >"$cfg"
echo "ok 5 torn journal"

# ---- 6 both unusable: refused, nothing written ----
: >"$log"
printf '{"version": 1, "held": [ {"knob": "cpu/3/onl' >"$run/state.json"
printf '{"event":"set","knob":"cpu/3/online"}\nnot json\n' >"$run/journal.jsonl"
cp "$run/state.json" "$tmp/s0"; cp "$run/journal.jsonl" "$tmp/j0"
st=0; "$bin" --config "$cfg" --backend synth 2>>"$log" || st=$?
[ "$st" != 0 ] || fail "started on top of unknown state"
grep -q 'refusing to start: .*state.json.*line 2 is not a record' "$log" || fail "no clear reason"
cmp -s "$run/state.json" "$tmp/s0" && cmp -s "$run/journal.jsonl" "$tmp/j0" || fail "files changed by a refused start"
: >"$run/journal.jsonl"
st=0; "$bin" --config "$cfg" --backend synth 2>>"$log" || st=$?
[ "$st" != 0 ] && grep -q 'the journal has no record' "$log" || fail "torn state + empty journal not refused"
rm -f "$run/state.json" "$run/journal.jsonl"
echo "ok 6 unknown state refused"

# ---- 7 100 SIGHUPs in 1 s ----
: >"$log"
start
wait_for jgrep "\"event\":\"set\".*\"pid\":$pid," || fail "no change"
for i in $(seq 100); do
  case $((i % 3)) in
    0) printf '%s\n' "$good1" >"$cfg" ;;
    1) printf '[budget]\nenabled = yes\nwatts = lots\n' >"$cfg" ;;
    2) printf '%s\n' "$good2" >"$cfg" ;;
  esac
  [ "$i" -gt 80 ] && printf '%s\n' "$good2" >"$cfg" # the last good one
  kill -HUP "$pid"
  sleep 0.01
done
printf '[budget]\nenabled = yes\nwatts = lots\n' >"$cfg" # then a bad one
nf=$(grep -c '"event":"reload-failed"' "$run/journal.jsonl" || true)
kill -HUP "$pid"
wait_for count_gt '"event":"reload-failed"' "$nf" || fail "last bad reload not journalled"
kill -0 "$pid" || fail "crashed in the storm"
# good2 (budget off) is in force: every cap released, none made again
wait_for jq -e '.held == []' "$run/state.json" || fail "the last good config is not in force"
n1=$(nsets); sleep 0.5; n2=$(nsets)
[ "$n1" = "$n2" ] || fail "a config other than the last good one acts"
[ "$(grep -c '"event":"reload"' "$run/journal.jsonl")" -gt 0 ] || fail "no reload"
well_formed
stop
echo "ok 7 SIGHUP storm ($(grep -c '"event":"reload' "$run/journal.jsonl") reload records)"
awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "faults ok in %.1f s\n", b - a }'
