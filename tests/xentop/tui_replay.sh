#!/usr/bin/env bash
# Drives the real xentop-ng screen in tmux from a recording, so the UI is
# tested deterministically: domains appear, keys sort, filter, expand, show
# help and the column chooser, a resize redraws, q quits and saves settings.
# Expected orderings are computed from the recording's raw counters with jq.
set -euo pipefail
X=${1:?xentop-ng binary}
command -v tmux >/dev/null || { echo "tmux missing"; exit 77; }
command -v jq >/dev/null || { echo "jq missing"; exit 77; }
T=$(mktemp -d)
S="xt-tui-$$"
TM() { tmux -L "$S" "$@"; }
cleanup() {
	for s in "xt-tui-$$" "xt-tui-$$-big" "xt-tui-$$-big-keys" "xt-tui-$$-big-keys-stale"; do
		tmux -L "$s" kill-server 2>/dev/null || true
		rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$s"
	done
	rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- screen:"; TM capture-pane -p 2>/dev/null || true; exit 1; }
screen() { TM capture-pane -p; }
# Wait until the screen matches a regex (up to ~10 s).
wait_for() {
	for _ in $(seq 100); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	fail "timeout waiting for: $1"
}
wait_gone() {
	for _ in $(seq 100); do
		screen | grep -qE -- "$1" || return 0
		sleep 0.1
	done
	fail "still showing: $1"
}

"$X" -b -d 0.2 -i 12 --backend synth --synth-domains 30 --record "$T/rec.jsonl" >/dev/null
# Highest CPU(%) domain over the last two recorded samples.
top=$(jq -r -s '.[10] as $a | .[11] as $b | [ $b.doms[] | . as $d |
  ($a.doms[] | select(.key == $d.key)) as $p |
  {n: $d.name, c: (($d.cpu_ns - $p.cpu_ns) / ($b.mono_ns - $a.mono_ns))} ] |
  max_by(.c) | .n' "$T/rec.jsonl")

mkdir -p "$T/cfg"
TM new-session -d -x 160 -y 40 \
  "env XDG_CONFIG_HOME=$T/cfg NO_COLOR=1 LANG=C.UTF-8 $X --mouse --replay $T/rec.jsonl -d 0.4; echo EXITED; sleep 60"
wait_for 'synth-00000'
# rates need a second sample
wait_for '^synth-00000 +-----r +[0-9]+ +[0-9]+\.[0-9]'
screen | grep -q '^xentop-ng - .*backend replay (synth)' || fail "summary line"
screen | grep -q '^30 domains: ' || fail "domain totals"
screen | grep -qE '^NAME +STATE +CPU\(sec\) +CPU\(%\)' || fail "table header"
screen | grep -q 'CPU(%): 100%=1 pCPU' || fail "CPU% convention label"
# One frequency figure in the header, and it is the mean of the online
# pCPUs' frequencies that -p lists (not the nominal clock beside it).
want=$("$X" -b -p -i 1 --replay "$T/rec.jsonl" |
  awk '/^PCPU/ {p=1; next} p && $2 == "yes" && $4 != "-" {s += $4; n++} END {printf "%.2f", s / n / 1000}')
screen | grep -q "Freq avg $want GHz" || fail "header frequency is not the pCPU rows' mean ($want GHz)"
[ "$(screen | grep -oE '[0-9.]+ ?[MG]Hz' | wc -l)" -eq 1 ] || fail "more than one frequency figure in the header"

# P sorts by CPU(%): the top row is the domain the counters say
first_row() { screen | awk '/^NAME/ {getline; print $1; exit}'; }
wait_first() {
	for _ in $(seq 50); do
		[ "$(first_row)" "$1" "$2" ] && return 0
		sleep 0.1
	done
	fail "first row $(first_row), want $1 $2"
}
# mouse: a click on the CPU(%) header sorts by it (X10 mouse sequence)
hx=$(screen | awk '/^NAME/ { print index($0, "CPU(%)"); exit }')
click() { # x y (0-based)
	for b in 0 3; do
		TM send-keys -l "$(printf '\033[M%b%b%b' "\\$(printf %o $((32 + b)))" \
			"\\$(printf %o $((33 + $1)))" "\\$(printf %o $((33 + $2)))")"
	done
}
click "$hx" "$(screen | awk '/^NAME/ { print NR - 1; exit }')"
wait_first = "$top"
TM send-keys P
wait_first = "$top"
# I inverts: the top domain leaves the first row
TM send-keys I
wait_first != "$top"
TM send-keys I
wait_first = "$top"

# % switches the CPU convention, labelled
TM send-keys %
wait_for 'HOST\(%\)'
TM send-keys %
wait_for '^NAME +STATE +CPU\(sec\) +CPU\(%\)'

# incremental filter: typing narrows the table
TM send-keys / s y n t h - 0 0 0 1 7
wait_for '1/30 shown|Filter .*synth-00017'
TM send-keys Enter
wait_for '1/30 shown'
n=$(screen | grep -c '^synth-')
[ "$n" -eq 1 ] || fail "filter shows $n rows"
# Enter expands the selected domain: vCPUs, nets, block devices
TM send-keys Enter
wait_for '^  vCPU0 '
screen | grep -q '^  Net0 tap17.0' || fail "expanded nets"
screen | grep -q '^  VBD vda' || fail "expanded vbds"
TM send-keys Enter
wait_gone '^  vCPU0 '
# Esc in the filter prompt clears it
TM send-keys / Escape
wait_for '30/30 shown'

# V: per-vCPU rows for every domain (xentop's key)
TM send-keys V
wait_for '^  vCPU1 '
TM send-keys V
wait_gone '^  vCPU1 '

# resize redraws at the new size, nothing wraps
TM resize-window -x 90 -y 24
sleep 0.5
wait_for '^NAME'
# characters, not bytes (sparklines are UTF-8)
w=$(screen | perl -CSD -ne 'chomp; $m = length if length > $m; END { print $m + 0 }')
[ "$w" -le 90 ] || fail "line wider than the window after resize ($w)"
screen | grep -q '^30 domains' || fail "summary after resize"

# D changes the delay (fractional) through a prompt
TM send-keys D
wait_for 'Delay\(sec\) \[0.4\]:'
TM send-keys 0 . 3 Enter
wait_gone 'Delay\(sec\)'
TM send-keys D
wait_for 'Delay\(sec\) \[0.3\]:'
TM send-keys Escape
wait_gone 'Delay\(sec\)'

# Z freezes the display while the recording plays on
TM send-keys Z
wait_for 'PAUSED'
TM send-keys Z
wait_gone 'PAUSED'

# help and column chooser
TM send-keys h
wait_for 'keys \(any key returns\)'
TM send-keys x
wait_for '^NAME'
TM send-keys c
wait_for '^Columns:'
TM send-keys Down Down Down Down Down Down Down Down Down Down ' ' Escape   # toggle NETTX(k)
wait_for 'NETTX\(k\)'

# q quits and writes the settings file
TM send-keys q
wait_for 'EXITED'
conf="$T/cfg/hvkit/xentop-ng.conf"
[ -f "$conf" ] || fail "no settings file"
grep -q '^sort = cpu_pct' "$conf" || fail "sort not saved"
grep -q 'nettx' "$conf" || fail "columns not saved"
# every saved column id names a column (registry columns included)
cols=$(sed -n 's/^columns = //p' "$conf")
for c in ${cols//,/ }; do "$X" --list-columns | grep -q "^$c " || fail "saved column '$c' unknown"; done

# 300 pCPUs: the heatmap groups pCPUs per cell and stays within 3 lines;
# -p lists every pCPU (xentop stops at 128).
jq -c '.host.pcpus |= [range(300) as $i | .[$i % 8] | .id = $i]' "$T/rec.jsonl" > "$T/big.jsonl"
[ "$("$X" -b -p -i 1 --replay "$T/big.jsonl" | grep -cE '^ *[0-9]+ +yes ')" -eq 300 ] || fail "-p with 300 pCPUs"
TM kill-server 2>/dev/null || true
S="$S-big"
TM new-session -d -x 80 -y 30 \
  "env NO_COLOR=1 $X --no-config --replay $T/big.jsonl -d 0.4; echo EXITED; sleep 60"
wait_for '\(2 pCPUs/cell\)'
screen | grep -q '^30 domains' || fail "summary with 300 pCPUs"
screen | grep -q 'CPUs: 300 online' || fail "300 pCPUs online"
TM send-keys q
wait_for 'EXITED'

# A key press redraws and never resamples (xentop resamples on every key):
# 40 keys in ~2 s at a 1 s period still give about one sample per second.
TM kill-server 2>/dev/null || true
S="$S-keys"
TM new-session -d -x 160 -y 40 \
  "env NO_COLOR=1 $X --no-config --backend synth -d 1 --record $T/keys.jsonl; echo EXITED; sleep 60"
wait_for '^synth-00000'
start=$(date +%s%N)
for _ in $(seq 20); do TM send-keys j k; sleep 0.1; done
TM send-keys q
wait_for 'EXITED'
el=$(( ($(date +%s%N) - start) / 1000000 ))
n=$(wc -l < "$T/keys.jsonl")
echo "40 keys over ${el} ms: $n samples recorded"
# first sample + one early sample for quick rates + one per second
[ "$n" -le $(( el / 1000 + 3 )) ] || fail "keys caused resampling ($n samples in $el ms)"

# A domain whose source missed its deadline is marked, with the reason.
jq -c '.doms[0].stale = 2 | .doms[0].note = "qmp: no answer within 200 ms"' \
  "$T/rec.jsonl" > "$T/stale.jsonl"
# a fresh tmux server (a killed one may still be exiting)
TM kill-server 2>/dev/null || true
S="$S-stale"  # (suffixes accumulate: each check has its own server)
TM new-session -d -x 160 -y 40 \
  "env NO_COLOR=1 $X --no-config --replay $T/stale.jsonl -d 0.4; echo EXITED; sleep 60"
wait_for '^synth-00000 .* stale'
wait_for 'synth-00000: qmp: no answer within 200 ms'
TM send-keys q
wait_for 'EXITED'
echo PASS
