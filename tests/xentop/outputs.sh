#!/usr/bin/env bash
# xentop-ng batch, JSON and CSV outputs on the synth backend, and --replay
# reproducing them byte for byte. Figures are checked against the raw
# counters in the recording (computed here with jq), not against ourselves.
set -euo pipefail
X=${1:?xentop-ng binary}
command -v jq >/dev/null || { echo "jq missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. live batch run, recorded
"$X" -b -d 0.2 -i 5 --backend synth --synth-domains 12 --synth-vcpus 3 \
     -v -n -x -p --record "$T/rec.jsonl" > "$T/live.txt"
[ "$(wc -l < "$T/rec.jsonl")" -eq 5 ] || fail "want 5 recorded samples"
jq -e -s 'all(.[]; .schema == "hvkit.snap/1")' "$T/rec.jsonl" >/dev/null \
  || fail "recording schema"

# 2. replay reproduces the batch output exactly
"$X" -b -v -n -x -p --replay "$T/rec.jsonl" > "$T/replay.txt"
cmp "$T/live.txt" "$T/replay.txt" || { diff "$T/live.txt" "$T/replay.txt" | head; fail "replay differs"; }
# a replay of a replay's recording is the same again
"$X" -b --replay "$T/rec.jsonl" --record "$T/rec2.jsonl" > "$T/r1.txt"
"$X" -b --replay "$T/rec2.jsonl" > "$T/r2.txt"
cmp "$T/r1.txt" "$T/r2.txt" || fail "re-recorded replay differs"
cmp <(jq -c 'del(.seq)' "$T/rec.jsonl") <(jq -c 'del(.seq)' "$T/rec2.jsonl") \
  || fail "re-recording changed snapshots"

# 3. xentop's batch header, column for column
hdr='      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS NETS NETTX(k) NETRX(k) VBDS   VBD_OO   VBD_RD   VBD_WR  VBD_RSECT  VBD_WSECT SSID'
[ "$(grep -c -xF "$hdr" "$T/r1.txt")" -eq 5 ] || fail "header line"
# every domain row: 19 fields, same length as the header
awk -v h="$hdr" '/^ *synth-/ { if (NF != 19 || length($0) != length(h)) { print "bad row: " $0; bad=1 } } END { exit bad }' "$T/r1.txt" \
  || fail "row layout"
# first sample has no CPU(%) yet: 0.0 in -b, as xentop prints it (scripts
# parse the column as a float); later samples a number
awk 'NR==2 { if ($4 != "0.0") exit 1 }' "$T/r1.txt" || fail "first CPU(%) should be 0.0"
awk '/^ *synth-/ { if ($4 !~ /^[0-9]+\.[0-9]$/) exit 1 }' "$T/r1.txt" || fail "CPU(%) not a float"
# a host with no domains still prints the header every iteration
jq -c '.doms = []' "$T/rec.jsonl" > "$T/nodom.jsonl"
[ "$("$X" -b --replay "$T/nodom.jsonl" | grep -c -xF "$hdr")" -eq 5 ] || fail "header with no domains"
[ "$("$X" -b --replay "$T/nodom.jsonl" | wc -l)" -eq 5 ] || fail "only headers with no domains"
# -r repeats the header before every domain
[ "$("$X" -b -r -i 1 --replay "$T/rec.jsonl" | grep -c 'STATE')" -eq 12 ] || fail "-r"
# -z keeps Domain-0 first whatever the sort
jq -c '.doms[5].name = "Domain-0"' "$T/rec.jsonl" > "$T/dom0.jsonl"
"$X" -b -z -i 1 --reverse --replay "$T/dom0.jsonl" | awk 'NR==2 {exit !($1=="Domain-0")}' || fail "-z"
"$X" -b -i 1 --reverse --replay "$T/dom0.jsonl" | awk 'NR==2 {exit ($1=="Domain-0")}' || fail "Domain-0 sorted by name without -z"
# -i stops after N samples
[ "$("$X" -b -i 2 --replay "$T/rec.jsonl" | grep -c 'STATE')" -eq 2 ] || fail "-i"
# -f widens NAME to the longest name
"$X" -b -f -i 1 --replay "$T/rec.jsonl" | grep -q '^synth-00011 -' || fail "-f"
"$X" -b -i 1 --replay "$T/rec.jsonl" | grep -q '^synth-0001 ' || fail "NAME cut to 10"

# 4. CPU(%) against the raw counters: 100 * dcpu_ns / dmono_ns of the last
#    two recorded samples, for every domain.
jq -r -s '.[3] as $a | .[4] as $b | $b.doms[] | . as $d |
  ($a.doms[] | select(.key == $d.key)) as $p |
  "\($d.name) \((($d.cpu_ns - $p.cpu_ns) * 100 / ($b.mono_ns - $a.mono_ns)) * 10 | round / 10)"' \
  "$T/rec.jsonl" | sort > "$T/want.txt"
"$X" -b -f --replay "$T/rec.jsonl" |
  awk 'BEGIN{n=0} /STATE/ {n++} n==5 && /^ *synth-/ {print $1, $4}' | sort > "$T/got.txt"
join "$T/want.txt" "$T/got.txt" | awk '{ d=$2-$3; if (d<0) d=-d; if (d > 0.11) { print "cpu% mismatch", $0; bad=1 } } END { exit bad }' \
  || fail "CPU(%) disagrees with the recorded counters"
[ "$(wc -l < "$T/got.txt")" -eq 12 ] || fail "12 domains in last sample"

# NETTX(k)/NETRX(k) are the host side of the vif, as xentop: NETTX = KiB
# the guest received. From the recording's raw counters:
jq -r -s '.[4].doms[] | "\(.name) \(([.nets[].rx_bytes] | add) / 1024 | floor) \(([.nets[].tx_bytes] | add) / 1024 | floor)"' \
  "$T/rec.jsonl" | sort > "$T/wantnet.txt"
"$X" -b -f --replay "$T/rec.jsonl" |
  awk 'BEGIN{n=0} /STATE/ {n++} n==5 && /^ *synth-/ {print $1, $11, $12}' | sort > "$T/gotnet.txt"
cmp "$T/wantnet.txt" "$T/gotnet.txt" || fail "NETTX/NETRX vs recorded counters"

# 5. JSON Lines: valid, versioned, ISO 8601, libvirt names, rates match
"$X" --json --replay "$T/rec.jsonl" > "$T/out.jsonl"
[ "$(wc -l < "$T/out.jsonl")" -eq 5 ] || fail "json lines"
jq -e -s 'all(.[]; .schema == "hvkit.xentop/1" and
  (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")) and
  (.domains | length) == 12 and
  (.domains[0] | has("cpu.time") and has("vcpu.0.time") and has("net.0.rx.bytes")
     and has("block.0.rd.reqs") and has("balloon.current")))' "$T/out.jsonl" >/dev/null \
  || fail "json shape"
jq -e -s '.[0].domains[0]["cpu.pct"] == null and (.[4].domains[0]["cpu.pct"] | type) == "number"' \
  "$T/out.jsonl" >/dev/null || fail "json cpu.pct null first, number later"
# cpu.time equals the recorded counter
cmp <(jq -r '.doms[] | "\(.name) \(.cpu_ns)"' "$T/rec.jsonl") \
    <(jq -r '.domains[] | "\(.name) \(."cpu.time")"' "$T/out.jsonl") || fail "cpu.time"

# 6. long CSV with a stable header; values agree with the JSON
"$X" --csv --replay "$T/rec.jsonl" > "$T/out.csv"
[ "$(head -1 "$T/out.csv")" = "timestamp,domain,uuid,metric,value" ] || fail "csv header"
awk -F, 'NR>1 && NF != 5 { bad=1 } END { exit bad }' "$T/out.csv" || fail "csv fields"
cmp <(awk -F, '$4=="cpu.time" {print $2, $5}' "$T/out.csv") \
    <(jq -r '.domains[] | "\(.name) \(."cpu.time")"' "$T/out.jsonl") || fail "csv cpu.time"

# 7. command line
"$X" --help | grep -q -- '--replay=FILE' || fail "--help"
# --help and the man page list the same long options
man=$(dirname "$0")/../../xentop-ng/xentop-ng.1
for opt in $("$X" --help | grep -oE -- '--[a-z0-9-]+' | sort -u); do
  grep -qF -- "$(echo "$opt" | sed 's/-/\\-/g')" "$man" || fail "option $opt missing from the man page"
done
"$X" -V | grep -q '^xentop-ng ' || fail "-V"
set +e
"$X" --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad option exit code"
"$X" -d abc -b >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad delay"
"$X" -b --replay "$T/nonexistent" > /dev/null 2> "$T/err"; [ $? -eq 1 ] || fail "missing replay file"
grep -q 'nonexistent' "$T/err" || fail "missing replay file message"
printf '{"schema":"hvkit.snap/1",\n' > "$T/trunc.jsonl"
"$X" -b --replay "$T/trunc.jsonl" > /dev/null 2> "$T/err"; [ $? -eq 1 ] || fail "truncated recording"
grep -q 'trunc.jsonl:1' "$T/err" || fail "truncated recording message"
set -e
# fractional delay: 5 samples at 0.1 s take well under 3 s
s=$(date +%s%N); "$X" -b -d 0.1 -i 5 --backend synth >/dev/null; e=$(date +%s%N)
[ $(( (e - s) / 1000000 )) -lt 3000 ] || fail "fractional delay"
echo "PASS"
