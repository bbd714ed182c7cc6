# shellcheck shell=bash
# Shared spawn/teardown for tests that run hvkit daemons as processes
# (hv-webd, hv-powerd, rrdcached, prometheus). Source it after `set -euo
# pipefail`:
#
#   . "$HVKIT_SRC/tests/lib/daemon.sh"
#   hvt_init webfault            # $T: fresh temp dir, removed on exit
#   hvt_spawn webd "$B/webui/hv-webd" --listen 127.0.0.1:0 --port-file "$T/port"
#   port=$(hvt_wait_file "$T/port" 10)
#   hvt_stop webd                # SIGTERM, wait; SIGKILL after 5 s
#
# Every process started with hvt_spawn is killed (process id, never by
# name) at exit, then $T is removed (kept with HVT_KEEP=1). Each process's
# stderr and stdout go to $T/<name>.log, which hvt_fail prints.

# hvt_skip REASON: the test cannot run here (exit 77; scripts/test.sh lists
# the reason and fails under CI=true).
hvt_skip() { echo "SKIP: $*"; exit 77; }

declare -A HVT_PIDS=()
HVT_ATEXIT=() # commands run at exit after the processes are gone (umount ...)
T=""

hvt_cleanup() {
  local n c
  for n in "${!HVT_PIDS[@]}"; do kill -9 "${HVT_PIDS[$n]}" 2>/dev/null || true; done
  { wait; } 2>/dev/null || true
  for c in "${HVT_ATEXIT[@]}"; do $c || true; done
  [ "${HVT_KEEP:-0}" = 1 ] || [ -z "$T" ] || rm -rf "$T"
}

# hvt_init TAG: T=/tmp/hvt-TAG-XXXXXX and the exit trap.
hvt_init() {
  T=$(mktemp -d "/tmp/hvt-$1-XXXXXX")
  trap hvt_cleanup EXIT
}

# hvt_spawn NAME CMD...: start CMD in the background as NAME.
hvt_spawn() {
  local n=$1
  shift
  "$@" >>"$T/$n.log" 2>&1 &
  HVT_PIDS[$n]=$!
}

hvt_pid() { echo "${HVT_PIDS[$1]}"; }
hvt_alive() { kill -0 "${HVT_PIDS[$1]}" 2>/dev/null; }

# hvt_stop NAME [SIG]: signal (TERM), wait up to 5 s, then SIGKILL. Prints
# the exit status.
hvt_stop() {
  local n=$1 sig=${2:-TERM} p=${HVT_PIDS[$1]} st=0 i
  kill -"$sig" "$p" 2>/dev/null || true
  for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || true
  { wait "$p"; } 2>/dev/null || st=$?
  unset "HVT_PIDS[$n]"
  echo "$st"
}

# hvt_wait_file FILE SECONDS: wait for FILE to be non-empty, print it.
hvt_wait_file() {
  local i
  for i in $(seq $(($2 * 10))); do
    [ -s "$1" ] && { cat "$1"; return 0; }
    sleep 0.1
  done
  echo "timeout waiting for $1" >&2
  return 1
}

# hvt_wait_log NAME REGEX SECONDS: wait for a line in NAME's log.
hvt_wait_log() {
  local i
  for i in $(seq $(($3 * 10))); do
    grep -qE "$2" "$T/$1.log" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# hvt_fail MSG: print MSG and every log, exit 1.
hvt_fail() {
  local f
  echo "FAIL: $*"
  for f in "$T"/*.log; do [ -e "$f" ] && { echo "--- $(basename "$f")"; tail -n 40 "$f"; }; done
  exit 1
}

# hvt_fds PID: open file descriptors; hvt_rss_kb PID: resident set (kB).
hvt_fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
hvt_rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }

# hvt_webd NAME CONF_TEXT [ARGS...]: hv-webd with CONF_TEXT as its config
# file ($T/NAME.conf) on a free loopback port; sets HVT_PORT.
hvt_webd() {
  local n=$1 conf=$2
  shift 2
  printf '%s\n' "$conf" >"$T/$n.conf"
  rm -f "$T/$n.port"
  hvt_spawn "$n" "${HVKIT_BUILD:?}/webui/hv-webd" --config "$T/$n.conf" \
    --listen 127.0.0.1:0 --port-file "$T/$n.port" "$@"
  HVT_PORT=$(hvt_wait_file "$T/$n.port" 20) || hvt_fail "$n did not start"
}

# hvt_metric PORT NAME: the value of an unlabelled sample in /metrics.
hvt_metric() {
  # Reads the whole body (an early exit would SIGPIPE curl under pipefail).
  curl -sf "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m && v == "" {v = $2} END {print v}'
}
