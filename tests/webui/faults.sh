#!/usr/bin/env bash
# hv-webd under faults; each case asserts what the user keeps.
#   faults.sh diskfull   the RRD dir on a small tmpfs (private mount
#                        namespace): live data keeps serving, /metrics counts
#                        the failed writes, history already written stays,
#                        and the missing files appear when space returns
#   faults.sh rrdcached  rrdcached SIGKILLed and restarted under hv-webd:
#                        updates resume, the lost steps are the downtime's,
#                        what rrdcached had journaled before is kept
#   faults.sh signals    100 SIGHUPs in 1 s, the config file changed to a
#                        good one then to a bad one meanwhile: no crash, the
#                        last good config in force, every request answered
#   faults.sh ulimit     hv-webd under `ulimit -n` and `ulimit -v` caps:
#                        starts and serves, refuses with a reason, or
#                        degrades saying why; never dies of a signal
set -euo pipefail
mode=${1:?mode}
S=${HVKIT_SRC:?}; B=${HVKIT_BUILD:?}
. "$S/tests/lib/daemon.sh"
command -v curl >/dev/null || hvt_skip "curl missing"
[ -x "$B/webui/hv-webd" ] || hvt_skip "hv-webd not built"
if [ "$mode" = diskfull ] && [ -z "${HVT_IN_NS:-}" ]; then
  # The whole case runs in a private mount namespace: its tmpfs is seen by
  # nobody else and goes away with it.
  [ "$(id -u)" = 0 ] || hvt_skip "needs root (a tmpfs in a private mount namespace)"
  unshare -m --propagation private true 2>/dev/null || hvt_skip "unshare -m not permitted"
  exec unshare -m --propagation private env HVT_IN_NS=1 bash "$0" "$@"
fi
hvt_init "webfault-$mode"
get() { curl -sSf --max-time 10 "http://127.0.0.1:$HVT_PORT$1" || { echo "GET $1 failed" >&2; return 1; }; }
metric() { hvt_metric "$HVT_PORT" "$1"; }
ndoms() { get /api/v1/domains | jq '.domains | length'; }

# Host history rows [t, busy_pct] with a value, from the RRD (flushed).
rows() { get "/api/v1/history?source=rrd&range=10m" |
  jq -c '[.t, .series.busy_pct] | transpose | map(select(.[1] != null))'; }
# Wait (up to 40 s) for the first whole 10 s row of the host file: rows are
# aligned on 10 s boundaries, so it takes 10 to 20 s from the start.
first_rows() {
  local r i
  for i in $(seq 40); do
    r=$(rows) && [ "$(jq length <<<"$r")" -ge 1 ] && { echo "$r"; return 0; }
    sleep 1
  done
  echo "[]"
}
# Every row of $1 is in $2 with the same value.
kept() { jq -en --argjson a "$1" --argjson b "$2" \
  '($b | map({key: (.[0]|tostring), value: .[1]}) | from_entries) as $m
   | all($a[]; $m[(.[0]|tostring)] == .[1])' >/dev/null; }

case $mode in
diskfull)
  # File sizes: one domain file and the host file, from a probe run.
  mkdir -p "$T/probe"
  conf="backend = synth
synth_domains = 1
period = 0.25
rrd_step = 1"
  hvt_webd probe "$conf" --rrd-dir "$T/probe"
  for _ in $(seq 50); do ls "$T"/probe/dom-*.rrd >/dev/null 2>&1 && break; sleep 0.1; done
  sleep 0.5
  hvt_stop probe >/dev/null
  hsz=$(stat -c %s "$T/probe/host.rrd"); dsz=$(stat -c %s "$T"/probe/dom-*.rrd)
  # Room for the host file and one domain file and a half: of three
  # domains, two cannot be created.
  kb=$(( (hsz + dsz + dsz / 2) / 1024 + 64 ))
  mnt=$T/mnt && mkdir -p "$mnt"
  mount -t tmpfs -o size=${kb}k hvt-full "$mnt"
  HVT_ATEXIT+=("umount -l $mnt")
  conf="backend = synth
synth_domains = 3
period = 0.25
rrd_step = 1"
  hvt_webd webd "$conf" --rrd-dir "$mnt/rrd"
  before=$(first_rows) # one whole 10 s row in the host file
  n=$(ls "$mnt"/rrd/*.rrd | wc -l)
  [ "$n" = 2 ] || hvt_fail "expected host + 1 domain file on the full disk, have $n: $(ls "$mnt/rrd")"
  ls "$mnt"/rrd/*.tmp >/dev/null 2>&1 && hvt_fail "half-written .tmp files left on the full disk"
  [ "$(ndoms)" = 3 ] || hvt_fail "live data: /api/v1/domains does not list 3 domains"
  e1=$(metric hv_rrd_write_errors_total); u1=$(metric hv_rrd_updates_total)
  [ "${e1:-0}" -gt 4 ] || hvt_fail "hv_rrd_write_errors_total is '${e1:-}' on a full disk"
  [ "$(jq length <<<"$before")" -ge 1 ] || hvt_fail "no host history row written before the disk filled"
  echo "full disk: 2 of 4 files, live data served, write errors $e1, updates $u1, $(jq length <<<"$before") host rows"
  # Space returns.
  mount -o remount,size=64m "$mnt"
  sleep 3
  n=$(ls "$mnt"/rrd/*.rrd | wc -l)
  [ "$n" = 4 ] || hvt_fail "space returned but only $n files"
  e2=$(metric hv_rrd_write_errors_total); sleep 2; e3=$(metric hv_rrd_write_errors_total)
  u3=$(metric hv_rrd_updates_total)
  [ "$e2" = "$e3" ] || hvt_fail "write errors still growing with space ($e2 -> $e3)"
  [ "$u3" -gt "$u1" ] || hvt_fail "updates did not go on ($u1 -> $u3)"
  after=$(rows)
  kept "$before" "$after" || hvt_fail "host history written before changed: $before vs $after"
  hvt_alive webd || hvt_fail "hv-webd died"
  echo "space back: 4 files, write errors stay at $e3, updates $u3, earlier history kept"
  ;;

rrdcached)
  command -v rrdcached >/dev/null || hvt_skip "rrdcached not installed"
  mkdir -p "$T/rrd" "$T/j"
  rrdc() { hvt_spawn rrdcached rrdcached -g -l "unix:$T/sock" -b "$T/rrd" -B -w 3600 -z 1 -j "$T/j" -p "$T/rrdcached.pid"
    for _ in $(seq 50); do [ -S "$T/sock" ] && return 0; sleep 0.1; done
    hvt_fail "rrdcached did not start"; }
  rrdc
  conf="backend = synth
synth_domains = 2
period = 0.25
rrd_step = 1
rrdcached = unix:$T/sock"
  hvt_webd webd "$conf" --rrd-dir "$T/rrd"
  before=$(first_rows)
  [ "$(jq length <<<"$before")" -ge 1 ] || hvt_fail "no history through rrdcached before the kill"
  e0=$(metric hv_rrd_write_errors_total)
  hvt_stop rrdcached KILL >/dev/null
  rm -f "$T/sock" "$T/rrdcached.pid"
  t_down=$(date +%s.%N)
  sleep 3
  e1=$(metric hv_rrd_write_errors_total)
  [ "$e1" -gt "$e0" ] || hvt_fail "updates to a dead rrdcached not counted as errors ($e0 -> $e1)"
  rrdc
  t_up=$(date +%s.%N)
  sleep 2
  e2=$(metric hv_rrd_write_errors_total); u2=$(metric hv_rrd_updates_total)
  sleep 2
  e3=$(metric hv_rrd_write_errors_total); u3=$(metric hv_rrd_updates_total)
  [ "$e3" = "$e2" ] || hvt_fail "errors go on after rrdcached is back ($e2 -> $e3)"
  [ "$u3" -gt "$u2" ] || hvt_fail "updates did not resume ($u2 -> $u3)"
  # 3 files a step at 1 s: the steps lost are those of the downtime
  # (+1 for the step being written when it died, +1 for reconnection).
  lost=$(( (e3 - e0) / 3 ))
  down=$(python3 -c "import math; print(math.ceil($t_up - $t_down))")
  [ "$lost" -le $((down + 2)) ] || hvt_fail "lost $lost steps for ${down}s of downtime"
  sleep 8
  after=$(rows)
  kept "$before" "$after" || hvt_fail "history journaled before the kill lost: $before vs $after"
  last=$(jq '.[-1][0]' <<<"$after")
  [ "$last" -gt "$(python3 -c "print(int($t_up))")" ] || hvt_fail "no history row after the restart"
  echo "rrdcached down ${down}s: $lost steps lost, updates resumed ($u2 -> $u3), earlier history kept"
  ;;

signals)
  good_a="backend = synth
synth_domains = 5
period = 0.25
theme = dark"
  hvt_webd webd "$good_a"
  pid=$(hvt_pid webd)
  # A client hammering the server throughout.
  ( while :; do curl -s --max-time 2 "http://127.0.0.1:$HVT_PORT/api/v1/config" >/dev/null || true; done ) &
  hammer=$!
  t0=$(date +%s.%N)
  printf 'backend = synth\nsynth_domains = 5\nperiod = 0.25\ntheme = light\n' >"$T/webd.conf.new"
  mv "$T/webd.conf.new" "$T/webd.conf"
  for _ in $(seq 50); do kill -HUP "$pid"; sleep 0.002; done
  printf 'backend = synth\ntheme = purple\nno_such_key = 1\n' >"$T/webd.conf.new"
  mv "$T/webd.conf.new" "$T/webd.conf"
  for _ in $(seq 50); do kill -HUP "$pid"; sleep 0.002; done
  t1=$(date +%s.%N)
  python3 -c "import sys; sys.exit(0 if $t1 - $t0 <= 1.0 else 1)" || echo "note: the storm took more than 1 s on this loaded machine"
  kill "$hammer"; wait "$hammer" 2>/dev/null || true
  sleep 0.5
  hvt_alive webd || hvt_fail "hv-webd died of the SIGHUP storm"
  theme=$(get /api/v1/config | jq -r .theme)
  [ "$theme" = light ] || hvt_fail "config in force has theme '$theme', expected the last good 'light'"
  grep -q "keeping the running configuration" "$T/webd.log" || hvt_fail "bad config not reported"
  get /healthz >/dev/null && [ "$(ndoms)" = 5 ] || hvt_fail "not serving after the storm"
  echo "100 SIGHUPs in $(python3 -c "print(round($t1 - $t0, 2))") s: alive, theme 'light' (last good), bad file refused"
  ;;

ulimit)
  # Each cap: exit status below 128 (no signal), and either a clear reason
  # in the log or a server that answers.
  run_capped() { # LABEL ULIMIT_ARGS...
    local label=$1
    shift
    rm -f "$T/c.port"
    (ulimit "$@"; exec "$B/webui/hv-webd" --backend synth --synth-domains 200 --period 0.25 \
       --listen 127.0.0.1:0 --port-file "$T/c.port" --rrd-dir "$T/rrd-$label") >"$T/$label.log" 2>&1 &
    local p=$! st=0 served=no
    for _ in $(seq 30); do [ -s "$T/c.port" ] || ! kill -0 $p 2>/dev/null && break; sleep 0.1; done
    if [ -s "$T/c.port" ]; then
      HVT_PORT=$(cat "$T/c.port")
      sleep 1
      # Many clients at once: connections past the cap are refused, not fatal.
      for _ in $(seq 24); do curl -s --max-time 3 -o /dev/null "http://127.0.0.1:$HVT_PORT/metrics" & done
      for _ in $(seq 4); do curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$HVT_PORT/api/v1/events" & done
      wait_curl=$(jobs -p | grep -v "^$p$" || true)
      for j in $wait_curl; do wait "$j" 2>/dev/null || true; done
      get /healthz >/dev/null && served=yes
      kill -0 $p 2>/dev/null || { wait $p || st=$?; hvt_fail "$label: hv-webd died under load (status $st): $(tail -3 "$T/$label.log")"; }
      kill $p; wait $p || st=$?
    else
      wait $p || st=$?
    fi
    [ "$st" -lt 128 ] || hvt_fail "$label: hv-webd died of signal $((st - 128)): $(tail -5 "$T/$label.log")"
    # Up but unable to answer (no memory for a connection): a degradation
    # only if it says so and still stops cleanly on SIGTERM (status 0).
    if [ "$served" = no ] && [ "$st" = 0 ]; then
      grep -qiE "failed|limit|memory|resource" "$T/$label.log" ||
        hvt_fail "$label: up, answering nothing, and silent about it"
      echo "$label: degraded (up, logged: $(grep -iE 'failed|limit|memory|resource' "$T/$label.log" | sort -u | head -2 | tr '\n' ' '), clean exit on SIGTERM)"
      return 0
    fi
    # A refusal says why (hv-webd's own message, or the loader's when the
    # cap is below what the binary needs to be mapped at all).
    local why
    why=$(grep -v '^\s*$' "$T/$label.log" | tail -n 1 || true)
    if [ "$served" = no ] && [ -z "$why" ]; then hvt_fail "$label: refused without a reason"; fi
    if [ "$served" = no ]; then echo "$label: refused (status $st): $why"; else echo "$label: served (status $st)"; fi
  }
  run_capped nofile-8 -n 8
  run_capped nofile-12 -n 12
  run_capped nofile-24 -n 24
  run_capped nofile-64 -n 64
  for mb in 48 72 96 192; do run_capped "vmem-${mb}M" -v $((mb * 1024)); done
  ;;
*)
  echo "unknown mode $mode"; exit 2 ;;
esac
echo "1 passed, 0 failed"
