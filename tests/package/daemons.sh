#!/usr/bin/env bash
# The daemons as services use them: hv-webd with no configuration at all
# serves on loopback; SIGHUP (systemctl reload) makes hv-webd re-read its
# file (a new listen port answers, a bad file keeps the running one, a
# burst of signals leaves it serving); hv-powerd --dry-run prints plain
# lines on a terminal or file and "<N>"-prefixed ones only when stderr is
# the journal (JOURNAL_STREAM).
set -u
B=${HVKIT_BUILD:?}
W=$B/webui/hv-webd P=$B/powerd/hv-powerd
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
d=$(mktemp -d /tmp/hvkit-daemons.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$d"; }
trap cleanup EXIT
export HVKIT_RUNDIR=$d/run
wait_port() { # FILE OLD: a port different from OLD in FILE
  for _ in $(seq 100); do
    [ -s "$1" ] && [ "$(cat "$1")" != "$2" ] && { cat "$1"; return 0; }
    sleep 0.1
  done
  return 1
}
get() { curl -s --max-time 5 "http://127.0.0.1:$1$2"; }

# No --config and no configuration file (the build tree reads the one under
# its install prefix, absent here): hv-webd starts on the defaults.
"$W" -b synth --listen 127.0.0.1:0 --port-file "$d/p0" 2>"$d/log0" &
pid=$!
p=$(wait_port "$d/p0" "") && [ "$(get "$p" /healthz)" = ok ] && grep -q "listening on http://127.0.0.1:" "$d/log0" \
  && ok "no configuration file: starts (serving on 127.0.0.1:$p)" || bad "no configuration: $(cat "$d/log0")"
kill "$pid"; wait "$pid" 2>/dev/null; pid=

printf 'listen = 127.0.0.1:0\n' >"$d/w.conf"
"$W" -b synth -c "$d/w.conf" --port-file "$d/p" 2>"$d/log" &
pid=$!
p1=$(wait_port "$d/p" "") || bad "hv-webd did not start: $(cat "$d/log")"
# theme applies in place; per_ip_limit needs the HTTP server restarted,
# which binds a new port (listen :0).
printf 'listen = 127.0.0.1:0\ntheme = dark\nper_ip_limit = 15\n' >"$d/w.conf"
kill -HUP "$pid"
p2=$(wait_port "$d/p" "$p1") && [ "$(get "$p2" /healthz)" = ok ] && grep -q "reloaded the configuration" "$d/log" \
  && ok "SIGHUP: reloaded, serving on $p2" || bad "reload: $(cat "$d/log")"
get "$p2" /api/v1/config | grep -q '"theme":"dark"' && ok "reloaded setting in effect" \
  || bad "theme after reload: $(get "$p2" /api/v1/config | head -c 200)"
printf 'no_such_key = 1\n' >"$d/w.conf"
kill -HUP "$pid"; sleep 0.5
[ "$(get "$p2" /healthz)" = ok ] && grep -q "reload: .*no_such_key.*keeping the running configuration" "$d/log" \
  && ok "bad file on SIGHUP: kept running on $p2" || bad "bad reload: $(tail -3 "$d/log")"
printf 'listen = 127.0.0.1:0\n' >"$d/w.conf"
for _ in $(seq 10); do kill -HUP "$pid"; done
sleep 2
p3=$(cat "$d/p")
kill -0 "$pid" 2>/dev/null && [ "$(get "$p3" /healthz)" = ok ] && ok "10 SIGHUPs: still serving ($p3)" || bad "after 10 SIGHUPs: $(tail -3 "$d/log")"
kill "$pid"; wait "$pid" 2>/dev/null; pid=

cat >"$d/pd.conf" <<'CONF'
[daemon]
period = 0.2s
[frequency]
enabled = yes
high = 70
low = 25
hold = 1s
action = cap
low_max = 70%
CONF
"$P" --dry-run --once -b synth --config "$d/pd.conf" 2>"$d/pd.log"
grep -q '^hv-powerd: started: .*dry-run' "$d/pd.log" && ! grep -q '^<' "$d/pd.log" \
  && ok "dry-run on a file: plain lines" || bad "dry-run: $(head -3 "$d/pd.log")"
: >"$d/journal"
JOURNAL_STREAM=$(stat -c '%d:%i' "$d/journal") "$P" --dry-run --once -b synth --config "$d/pd.conf" 2>>"$d/journal"
grep -q '^<6>hv-powerd: started' "$d/journal" && ok "stderr is the journal: <6> prefix" || bad "journal: $(head -3 "$d/journal")"
echo "$fails failures"
[ $fails -eq 0 ]
