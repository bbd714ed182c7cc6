#!/bin/sh
# Runs INSIDE the test guest (4 vCPUs) as /hvkit/run: hv-powerd [hwerr]
# watches the guest's own machine checks, which the host (guest-ras.sh)
# injects through QEMU's monitor. The guest kernel is the independent
# source: cpu/online, /proc/meminfo HardwareCorrupted, kpageflags via
# hvctl mem status. Markers are read by guest-ras.sh, which injects after
# each RAS-* line.
export HVKIT_RUNDIR=/tmp/pd
PAGE_ADDR=$(cat /hvkit/page) # chosen by guest-ras.sh
mkdir -p "$HVKIT_RUNDIR"
mount -t tracefs none /sys/kernel/tracing 2>/dev/null
for f in /sys/devices/system/machinecheck/machinecheck*/check_interval; do
	echo 1 >"$f" # poll the banks every second (QEMU raises no CMCI)
done
on() { cat /sys/devices/system/cpu/online; }
hwc() { awk '/^HardwareCorrupted:/ { print $2 }' /proc/meminfo; }
waitfor() { # SECONDS TEST -> seconds it took, or -1
	n=0
	while [ "$n" -lt "$1" ]; do
		if eval "$2"; then echo "$n"; return 0; fi
		sleep 1
		n=$((n + 1))
	done
	echo -1
}
j=$HVKIT_RUNDIR/journal.jsonl
/hvkit/bin/hv-powerd --config /hvkit/pd.conf 2>/tmp/pd.log &
pid=$!
waitfor 30 '[ -s "$HVKIT_RUNDIR/state.json" ]' >/dev/null
echo "RAS-READY online=$(on) hwc=$(hwc)"
t=$(waitfor 90 '[ "$(on)" = "0-1,3" ]')
echo "RAS-CPU2 online=$(on) after=$t"
grep '"knob":"cpu/2/online"' "$j" | head -n 1 | sed 's/^/RAS-J2 /'
t=$(waitfor 90 'grep -q "cpu 0: corrected errors rose.*NOT offlined: it is cpu0" "$j"')
echo "RAS-CPU0 online=$(on) after=$t"
grep 'NOT offlined: it is cpu0' "$j" | head -n 1 | sed 's/^/RAS-J0 /'
t=$(waitfor 90 '[ "$(hwc)" -gt 0 ]')
sleep 2 # one more round: hv-powerd's state shows the page's new state
echo "RAS-PAGE hwc=$(hwc) after=$t status=$(/hvkit/bin/hvctl -b kvm mem status "$PAGE_ADDR" | tr ' ' _)"
grep '"knob":"mem/' "$j" | head -n 1 | sed 's/^/RAS-JP /'
/hvkit/bin/hvctl -b kvm ras --interval 0.2 | sed 's/^/RAS-CTL /'
/hvkit/bin/hvctl -b kvm --json ras --interval 0.2 | tr -d '\n\t' | sed 's/^/RAS-JSON /'
echo
kill -TERM "$pid"
wait "$pid"
rc=$?
echo "RAS-STOP rc=$rc online=$(on) hwc=$(hwc) status=$(/hvkit/bin/hvctl -b kvm mem status "$PAGE_ADDR" | tr ' ' _)"
echo "RAS-JOURNAL restored=$(grep -c '"event":"restored"' "$j") mem_restores=$(grep -c '"event":"restore.*mem/' "$j") clean=$(tail -n 2 "$j" | grep -c '"event":"clean"')"
echo "RAS-LOG-START"
tail -n 30 /tmp/pd.log
echo "RAS-LOG-END"
