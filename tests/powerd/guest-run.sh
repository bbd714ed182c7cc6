#!/bin/sh
# Runs INSIDE the test guest (4 vCPUs) as /hvkit/run: hv-powerd treats the
# guest as its host. The kernel's own /sys/devices/system/cpu/online is the
# independent check of what hv-powerd did. Markers are read by guest.sh.
export HVKIT_RUNDIR=/tmp/pd
mkdir -p "$HVKIT_RUNDIR"
on() { cat /sys/devices/system/cpu/online; }
gov() { cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null || echo none; }
waitfor() { # SECONDS TEST... -> seconds it took, or -1
	n=0
	while [ "$n" -lt "$1" ]; do
		if eval "$2"; then echo "$n"; return 0; fi
		sleep 1
		n=$((n + 1))
	done
	echo -1
}
echo "PD-BEFORE online=$(on) gov=$(gov) govs=$(tr ' ' , </sys/devices/system/cpu/cpu0/cpufreq/scaling_available_governors 2>/dev/null)"
/hvkit/bin/hv-powerd --config /hvkit/pd.conf 2>/tmp/pd.log &
pid=$!
# Idle guest: every CPU but cpu0 is parked (min_online = 1).
t=$(waitfor 180 '[ "$(on)" = "0" ] && [ "$(gov)" = conservative ]')
echo "PD-IDLE online=$(on) gov=$(gov) after=$t"
# Load: three busy loops need three CPUs; demand above 70 % of what is
# online brings CPUs back until all four are online.
loops=
for n in 1 2 3; do
	(while :; do :; done) &
	loops="$loops $!"
done
t=$(waitfor 120 '[ "$(on)" = "0-3" ] && [ "$(gov)" != conservative ]')
echo "PD-LOAD online=$(on) gov=$(gov) after=$t"
kill $loops
# Idle again: parking resumes (at least one CPU goes).
t=$(waitfor 120 '[ "$(on)" != "0-3" ]')
echo "PD-REIDLE online=$(on) after=$t"
kill -TERM "$pid"
wait "$pid"
rc=$?
echo "PD-STOP rc=$rc online=$(on) gov=$(gov)"
j=$HVKIT_RUNDIR/journal.jsonl
echo "PD-JOURNAL parks=$(grep -c '"event":"set","policy":"parking"' "$j") unparks=$(grep -c '"event":"released","policy":"parking"' "$j") restored=$(grep -c '"event":"restored"' "$j") clean=$(tail -n 2 "$j" | grep -c '"event":"clean"')"
grep -m1 '"event":"set","policy":"parking"' "$j" | sed 's/^/PD-SAMPLE /'
# The last unpark under load: its demand figure against the three loops.
grep '"event":"release","policy":"parking"' "$j" | tail -n 1 |
	sed -n 's/.*"reason":"demand \([0-9.]*\) CPUs > [0-9.]*% of \([0-9]*\) online.*/PD-DEMAND cpus=\1 online=\2/p'
echo "PD-LOG-START"
tail -n 20 /tmp/pd.log
echo "PD-LOG-END"
