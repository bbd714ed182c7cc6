#!/usr/bin/env bash
# hv-powerd as a process (synth backend, in-memory knobs): SIGHUP with a bad
# file keeps the running config, SIGHUP with a good one reloads, a second
# instance is refused, SIGTERM restores every knob and ends with "clean".
set -euo pipefail
bin=$HVKIT_BUILD/powerd/hv-powerd
[ -x "$bin" ] || { echo "hv-powerd not built"; exit 77; }
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- journal"; cat "$tmp/run/journal.jsonl" 2>/dev/null; echo "--- log"; cat "$tmp/log"; exit 1; }
export HVKIT_RUNDIR=$tmp/run
cfg=$tmp/p.conf
cat >"$cfg" <<'C'
[daemon]
period = 0.2
[budget]
enabled = yes
watts = 50
step = 10
floor = 50%
[energy]
enabled = yes
interval = 1s
C
"$bin" --config "$cfg" --backend synth 2>"$tmp/log" &
pid=$!
wait_for() { # REGEX SECONDS
  local i
  for i in $(seq $(($2 * 10))); do
    grep -qE "$1" "$tmp/run/journal.jsonl" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
wait_for '"event":"set".*"knob":"cpu/0/max_khz"' 20 || fail "no budget cap"
# energy from libhv's attribution: the synth package draws 120 W; the
# domains' attributed watts are journalled and never exceed the package.
wait_for '"event":"energy".*"watts":[0-9]' 20 || fail "no energy record"
grep '"event":"energy"' "$tmp/run/journal.jsonl" | tail -n 1 |
  jq -e '(.pkg_watts > 119 and .pkg_watts < 121) and (.domains | length) > 0 and
         ([.domains[].watts | select(. != null)] | add) <= .pkg_watts * 1.001' >/dev/null ||
  fail "energy record inconsistent"
# a second instance must refuse (lock)
set +e
"$bin" --config "$cfg" --backend synth 2>"$tmp/log2"; st=$?
set -e
[ "$st" != 0 ] && grep -q "another hv-powerd" "$tmp/log2" || fail "second instance not refused ($st)"
# bad reload keeps running with the old config
printf '[budget]\nenabled = yes\nwatts = lots\n' >"$cfg.new"; cp "$cfg.new" "$cfg"
kill -HUP "$pid"
wait_for '"event":"reload-failed".*p.conf:3: watts' 10 || fail "bad reload not journalled"
kill -0 "$pid" || fail "daemon died on a bad reload"
# good reload: budget off -> its caps are released
printf '[daemon]\nperiod = 0.2\n[budget]\nenabled = no\n' >"$cfg"
kill -HUP "$pid"
wait_for '"event":"reload"' 10 || fail "reload not journalled"
wait_for '"event":"released".*"knob":"cpu/0/max_khz"' 10 || fail "disabled policy kept its knobs"
kill -TERM "$pid"
wait "$pid" || fail "exit status $?"
pid=
tail -n 2 "$tmp/run/journal.jsonl" | grep -q '"event":"clean"' || fail "no clean record at stop"
jq -e '.held == []' "$tmp/run/state.json" >/dev/null || fail "state still holds knobs"
# every line of the journal is valid JSON
jq -c . "$tmp/run/journal.jsonl" >/dev/null || fail "journal is not JSON Lines"
echo "signals ok"
