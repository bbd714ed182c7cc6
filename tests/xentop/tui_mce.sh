#!/usr/bin/env bash
# xentop-ng's header shows machine checks once there are any: a fixture
# host whose tracefs holds the 6.1 records (tests/platform/fixtures/mce:
# 3 corrected on cpu2, 1 uncorrected on cpu1, pages 0x7000 and 0x12345000),
# read in tmux.
set -euo pipefail
xt=${1:?xentop-ng binary}
B=${HVKIT_BUILD:?}; S=${HVKIT_SRC:?}
command -v tmux >/dev/null || { echo "no tmux"; exit 77; }
r=$("$B/tests/hvctl/hvt-mkfixture" intel 4)
sess=xtmce$$
trap 'tmux kill-session -t "$sess" 2>/dev/null || true; rm -rf "$r"' EXIT
ev=$r/sys/kernel/tracing/events/mce/mce_record
mkdir -p "$ev"
cp "$S/tests/platform/fixtures/mce/format-6.1" "$ev/format"
cp "$S/tests/platform/fixtures/mce/records-6.1.bin" "$ev/hvkit.records"
tmux new-session -d -s "$sess" -x 140 -y 20 \
  "env HVKIT_SYSFS=$r/sys HVKIT_PROCFS=$r/proc HVKIT_DEVFS=$r/dev HVKIT_RUNDIR=$r/run $xt --backend kvm -d 1"
# the -p pCPU table (batch): per-pCPU corrected / uncorrected counts
tab=$(env HVKIT_SYSFS=$r/sys HVKIT_PROCFS=$r/proc HVKIT_DEVFS=$r/dev HVKIT_RUNDIR=$r/run \
  "$xt" --backend kvm -b -i 1 -p)
echo "$tab" | grep -q 'FREQ(MHz)   MCE-CE   MCE-UE$' &&
  echo "$tab" | grep -qE '^ +2 +yes +.* 3 +0$' && echo "$tab" | grep -qE '^ +1 +yes +.* 0 +1$' ||
  { echo "FAIL: -p table:"; echo "$tab"; exit 1; }
echo "pCPU table: cpu2 3 corrected, cpu1 1 uncorrected"
want="MCE: 3 corrected, 1 uncorrected  most on pCPU 2 (3)  pages: 2 with errors, 0 offline"
for _ in $(seq 50); do
  tmux capture-pane -p -t "$sess" | grep -qF "$want" && { echo "header: $want"; echo "1 passed, 0 failed"; exit 0; }
  sleep 0.2
done
echo "FAIL: no MCE line; screen:"; tmux capture-pane -p -t "$sess"; exit 1
