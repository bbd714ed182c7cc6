#!/usr/bin/env bash
# kvm backend end to end on real QEMU guests (tests/guest/hvguest), each
# figure checked against an independent source over the same interval:
#  - a guest burning its vCPU and an idle one, found by name: vCPU CPU% vs
#    the kernel's utime+stime of the same threads (+-10 pts); idle < 5 %;
#    burner >= 90 % when the host had a CPU to spare;
#  - disk bytes read (QMP blockstats) vs what the guest's dd read (+-10 %);
#  - tap bytes (guest view) vs the frames the guest's ping sent (+-10 %),
#    and vs the tap's own counters read inside the run's network namespace
#    (hvguest puts the tap and its QEMU there, never in the root one);
#  - a vCPU thread pinned with taskset shows that affinity;
#  - QMP stop/cont shows paused/running; a stopped guest disappears.
# Exit 77 (skip) without root, QEMU or a guest build.
set -euo pipefail
src=${HVKIT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
tool=${KVM_E2E_TOOL:-${HVKIT_BUILD:-$src/build}/tests/kvm/kvm_e2e_tool}
hvguest="$src/tests/guest/hvguest"
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (taps, QEMU)"
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64"
[ -x "$tool" ] || skip "no $tool"
export HVKIT_GUEST_RUN
HVKIT_GUEST_RUN=$(mktemp -d /tmp/hvkit-kvm-e2e.XXXXXX)
cleanup() { bash "$hvguest" stop-all >/dev/null 2>&1 || true; rm -rf "$HVKIT_GUEST_RUN"; }
trap cleanup EXIT
bash "$hvguest" build >/dev/null 2>&1 || skip "guest build failed (no network for apt-get download?)"

sfx=$$
burn=kvmburn-$sfx idle=kvmidle-$sfx io=kvmio-$sfx
bash "$hvguest" start "$burn" --workload hvkit.burn=1
bash "$hvguest" start "$idle" --workload hvkit.idle
bash "$hvguest" start "$io" --disk 80 --tap --workload "hvkit.wait hvkit.disk=64 hvkit.net=300"
for g in "$burn" "$idle" "$io"; do bash "$hvguest" wait-ready "$g" 300 >/dev/null; done
bash "$hvguest" wait-for "$burn" HVKIT-BURN-STARTED 120 >/dev/null

export TOOL=$tool HVGUEST=$hvguest BURN=$burn IDLE=$idle IO=$io
rc=0
python3 - <<'PY' || rc=$?
import json, os, subprocess, sys, time

tool, hvg = os.environ["TOOL"], os.environ["HVGUEST"]
burn, idle, io = os.environ["BURN"], os.environ["IDLE"], os.environ["IO"]
fails = []

def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        fails.append(what)

def sample():
    out = subprocess.run([tool, "1000"], check=True, capture_output=True,
                         text=True).stdout
    j = json.loads(out)
    return j, {d["name"]: d for d in j["doms"]}

def hv(*args):
    return subprocess.run(["bash", hvg, *args], check=True,
                          capture_output=True, text=True).stdout.strip()

def ticks(pid, tid):
    with open(f"/proc/{pid}/task/{tid}/stat") as f:
        s = f.read()
    f = s[s.rindex(")") + 2:].split()
    return int(f[11]) + int(f[12])  # utime, stime (fields 14, 15)

def host_idle():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[3] + v[4], sum(v[:8])

hz = os.sysconf("SC_CLK_TCK")
ncpu = os.cpu_count()

# ---- CPU ----
j0, d0 = sample()
check(j0["backend"] == "kvm", "backend is kvm")
for n in (burn, idle):
    check(n in d0, f"{n} found by name")
    if n not in d0:
        sys.exit(1)
tids = {}
for n in (burn, idle):
    want = [int(l.split()[1]) for l in hv("tids", n).splitlines()]
    got = [v["tid"] for v in d0[n]["vcpu"]]
    check(got == want, f"{n}: vCPU threads {got} = hvguest tids {want}")
    check(d0[n]["id"] == int(hv("pid", n)), f"{n}: id is the QEMU pid")
    check(d0[n]["mem_kib"] == 128 * 1024, f"{n}: mem 128 MiB from -m")
    check(d0[n]["sources"] & 2 and not d0[n]["stale"], f"{n}: QMP answered")
    tids[n] = (d0[n]["id"], want[0])
    with open(f"/proc/{d0[n]['id']}/statm") as f:
        statm = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    check(abs(d0[n]["rss_kib"] - statm) <= 0.05 * statm,
          f"{n}: rss {d0[n]['rss_kib']} KiB vs statm's {statm} KiB (+-5%)")
k0 = {n: ticks(*tids[n]) for n in tids}
t0 = time.monotonic()
h0 = host_idle()
time.sleep(4)
j1, d1 = sample()
k1 = {n: ticks(*tids[n]) for n in tids}
t1 = time.monotonic()
h1 = host_idle()
dt_ours = (j1["mono_ns"] - j0["mono_ns"]) / 1e9
free_cpus = (h1[0] - h0[0]) / max(1, h1[1] - h0[1]) * ncpu
pct = {}
for n in (burn, idle):
    ours = (d1[n]["vcpu"][0]["time_ns"] - d0[n]["vcpu"][0]["time_ns"]) / 1e9 / dt_ours * 100
    kern = (k1[n] - k0[n]) / hz / (t1 - t0) * 100
    pct[n] = ours
    check(abs(ours - kern) <= 10,
          f"{n}: vCPU {ours:.1f}% vs kernel's {kern:.1f}% (+-10)")
check(pct[idle] < 5, f"{idle}: idle vCPU {pct[idle]:.1f}% < 5%")
if free_cpus >= 0.5:
    check(pct[burn] >= 90, f"{burn}: burner {pct[burn]:.1f}% >= 90% "
          f"(host had {free_cpus:.2f} CPUs idle)")
else:
    print(f"note: host saturated ({free_cpus:.2f} CPUs idle): burner at "
          f"{pct[burn]:.1f}%, absolute check skipped")
check(d1[burn]["state"] & (32 | 4) and not d1[burn]["state"] & 16,
      f"{burn}: running state {d1[burn]['state']}")

# ---- affinity: pin the burner's vCPU thread with taskset ----
if j1.get("nr_pcpu", 0) >= 2:
    pid, tid = tids[burn]
    subprocess.run(["taskset", "-p", "-c", "1", str(tid)], check=True,
                   capture_output=True)
    _, d = sample()
    v = d[burn]["vcpu"][0]
    check(v["pinned"] and v["aff0"] == 2,
          f"{burn}: vCPU pinned to pCPU 1 by taskset shows affinity {v.get('aff0')}")
    subprocess.run(["taskset", "-p", "-c", f"0-{ncpu - 1}", str(tid)],
                   check=True, capture_output=True)
    _, d = sample()
    check(not d[burn]["vcpu"][0]["pinned"], f"{burn}: unpinned shows no affinity")
else:
    print("note: no pCPUs from the platform layer: affinity check skipped")

# ---- pause through QMP ----
hv("qmp", idle, '{"execute":"stop"}')
_, d = sample()
check(d[idle]["state"] & 16 != 0, f"{idle}: paused after QMP stop (state {d[idle]['state']})")
hv("qmp", idle, '{"execute":"cont"}')
_, d = sample()
check(d[idle]["state"] & 16 == 0, f"{idle}: not paused after cont (state {d[idle]['state']})")

# ---- disk and network ----
def io_counts(d):
    g = d[io]
    rd = sum(b["rd_bytes"] or 0 for b in g["blk"] if b["src"] == 0)
    tx = sum(n["tx_bytes"] or 0 for n in g["net"])
    rx = sum(n["rx_bytes"] or 0 for n in g["net"])
    return rd, tx, rx, g
_, d = sample()
rd0, tx0, rx0, g = io_counts(d)
check(any(b["src"] == 0 for b in g["blk"]), f"{io}: block devices from QMP {[b['name'] for b in g['blk']]}")
tap = hv("info", io)
tapn = [l.split("=", 1)[1] for l in tap.splitlines() if l.startswith("tap=")][0]
ns = [l.split("=", 1)[1] for l in tap.splitlines() if l.startswith("netns=")][0]
check([n["name"] for n in g["net"]] == [tapn], f"{io}: tap {tapn} found through fdinfo")
check(not os.path.exists(f"/sys/class/net/{tapn}"),
      f"{io}: tap {tapn} lives in netns {ns}, not in the root namespace")

def ns_stat(f):
    return int(subprocess.run(["ip", "netns", "exec", ns, "cat",
                               f"/sys/class/net/{tapn}/statistics/{f}"],
                              check=True, capture_output=True,
                              text=True).stdout)
hv("go", io)
disk = hv("wait-for", io, "HVKIT-DISK-DONE", "300")
net = hv("wait-for", io, "HVKIT-NET-DONE", "300")
time.sleep(0.5)
_, d = sample()
rd1, tx1, rx1, g = io_counts(d)
# Quiet tap now (IPv6 off, pings done): the namespace's own counters,
# swapped to the guest's view, must match what we reported.
nrx, ntx = ns_stat("rx_bytes"), ns_stat("tx_bytes")
check(abs(tx1 - nrx) <= 1500 and abs(rx1 - ntx) <= 1500,
      f"{io}: net tx/rx {tx1}/{rx1} B vs tap in {ns}: rx/tx {nrx}/{ntx} B")
dbytes = int(disk.split("bytes=")[1].split()[0])
nbytes = int(net.split(" bytes=")[1].split()[0])
check(dbytes > 0 and abs((rd1 - rd0) - dbytes) <= 0.1 * dbytes,
      f"{io}: disk read {rd1 - rd0} B vs guest dd {dbytes} B (+-10%)")
check(nbytes > 0 and abs((tx1 - tx0) - nbytes) <= 0.1 * nbytes,
      f"{io}: net tx {tx1 - tx0} B vs guest pings {nbytes} B on the wire (+-10%)")
check(nbytes > 0 and abs((rx1 - rx0) - nbytes) <= 0.1 * nbytes,
      f"{io}: net rx {rx1 - rx0} B vs the echo replies {nbytes} B (+-10%)")

# ---- a stopped guest disappears ----
hv("stop", idle)
_, d = sample()
check(idle not in d, f"{idle}: gone after stop")
check(burn in d and io in d, "the other guests remain")
print(f"{len(fails)} failure(s)")
sys.exit(1 if fails else 0)
PY
exit $rc
