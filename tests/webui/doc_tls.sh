#!/usr/bin/env bash
# --help and the man page list the same options; the example config loads;
# with tls_key/tls_cert hv-webd speaks HTTPS only; control without a secret
# and a bad config are refused with exit 2.
set -euo pipefail
S=${HVKIT_SRC:?}; B=${HVKIT_BUILD:?}
W=$B/webui/hv-webd
man=$S/webui/man/hv-webd.1
fail=0
for o in $("$W" --help | grep -oE -- '--[a-z-]+' | sort -u); do
  grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$man" || { echo "FAIL: $o in --help, not in the man page"; fail=1; }
done
for o in $(grep -oE '^\.BR? \\-\\-[a-z\\-]+|^\.BI \\-\\-[a-z\\-]+|, \" \\-\\-[a-z\\-]+' "$man" | grep -oE '\\-\\-[a-z\\-]+' | sed 's/\\//g' | sort -u); do
  "$W" --help | grep -q -- "$o" || { echo "FAIL: $o in the man page, not in --help"; fail=1; }
done
# Every config key of the example is one hv-webd knows.
tmp=$(mktemp -d); pid=""; trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
sed 's/^#\([a-z_]* =\)/\1/' "$S/webui/contrib/hv-webd.conf.example" | grep -vE '^(auth_hash|token_hash|tls_|rrdcached|rrd_dir|control|journal|backend|qmp_dirs|rundir) ' > "$tmp/ex.conf"
printf 'backend = synth\n' >> "$tmp/ex.conf"
"$W" --config "$tmp/ex.conf" --dump-metrics >/dev/null || { echo "FAIL: example config rejected"; fail=1; }
printf 'bogus = 1\n' > "$tmp/bad.conf"
set +e
"$W" --config "$tmp/bad.conf" --backend synth --dump-metrics >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ $rc = 2 ] && grep -q "bad.conf:1" "$tmp/err" || { echo "FAIL: bad config rc=$rc $(cat "$tmp/err")"; fail=1; }
printf 'control = yes\n' > "$tmp/ctl.conf"
set +e; "$W" --config "$tmp/ctl.conf" --backend synth --dump-metrics >/dev/null 2>&1; rc=$?; set -e
[ $rc = 2 ] || { echo "FAIL: control without a secret accepted ($rc)"; fail=1; }
# TLS
if command -v openssl >/dev/null; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/k.pem" -out "$tmp/c.pem" -days 1 -subj /CN=127.0.0.1 2>/dev/null
  printf 'backend = synth\ntls_key = %s\ntls_cert = %s\n' "$tmp/k.pem" "$tmp/c.pem" > "$tmp/tls.conf"
  "$W" --config "$tmp/tls.conf" --listen 127.0.0.1:0 --port-file "$tmp/port" 2>"$tmp/tls.log" & pid=$!
  for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
  p=$(cat "$tmp/port")
  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$tmp/c.pem" "https://127.0.0.1:$p/api/v1/host")
  [ "$code" = 200 ] || { echo "FAIL: HTTPS answered $code"; cat "$tmp/tls.log"; fail=1; }
  code=$(curl -s -o /dev/null -m 3 -w '%{http_code}' "http://127.0.0.1:$p/api/v1/host" || true)
  [ "$code" != 200 ] || { echo "FAIL: plain HTTP accepted on the TLS port"; fail=1; }
  echo "TLS: https 200, plain http refused"
else
  echo "openssl missing: TLS part skipped"
fi
[ $fail = 0 ] && echo "1 passed, 0 failed" || { echo "0 passed, 1 failed"; exit 1; }
