#!/usr/bin/env bash
# KVM binary stats end to end on this host's KVM (x86): kvm_tinyvm, a
# minimal VMM of the tests, runs 2 vCPUs doing known work (vCPU i: ROUNDS x
# (IO+i port writes, one hlt), each exit counted by the VMM itself), keeps
# stats fds of its VM and vCPUs, and stops its vCPUs, so every counter is
# still. One sample of the kvm backend (kvm_e2e_tool) must show:
#  - per vCPU: halt/wait exits == the VMM's own hlt count, exits >= the
#    VMM's own exits to user space (port I/O + hlt);
#  - per VM: the sums over the vCPUs, and exactly what an independent
#    reader (this script's Python, pidfd_getfd on the same fds) finds;
#  - debugfs, mounted in a private mount namespace only (never the
#    host's): exits, io_exits and halt_exits equal the VM's sums; a kernel
#    in lockdown denies those files (EPERM) and says so here;
#  - /metrics (hv-webd --dump-metrics): each vCPU's wait exits, promtool-clean;
#  - a VMM without stats fds: counters missing (not 0) without debugfs;
#  - a QEMU with KVM (no guest: its firmware runs), stopped by QMP: its
#    counters come through QMP query-stats, per vCPU and summed, equal to
#    what query-stats and query-cpus-fast tell this script right after.
# A few seconds. Exit 77 (skip) without root, /dev/kvm or the tools.
set -euo pipefail
src=${HVKIT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
b=${HVKIT_BUILD:-$src/build}
tool=${KVM_E2E_TOOL:-$b/tests/kvm/kvm_e2e_tool}
vmm=${KVM_TINYVM:-$b/tests/kvm/kvm_tinyvm}
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (pidfd_getfd of another process)"
[ -c /dev/kvm ] || skip "no /dev/kvm"
[ -x "$tool" ] && [ -x "$vmm" ] || skip "no $tool or $vmm"
T=$(mktemp -d /tmp/hvkit-statsfd.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT

# start NAME ARGS...: run the VMM, wait for its "ready" line
start() {
  local n=$1; shift
  "$vmm" "$@" >"$T/$n.out" 2>"$T/$n.err" &
  pids+=($!)
  echo $! >"$T/$n.pid"
  for _ in $(seq 100); do
    grep -q '^ready' "$T/$n.out" && return 0
    if ! kill -0 "$!" 2>/dev/null; then
      wait "$!" && rc=0 || rc=$?
      cat "$T/$n.err"
      [ "$rc" = 77 ] && skip "KVM unusable here: $(cat "$T/$n.err")"
      echo "FAIL $n exited ($rc)"; exit 1
    fi
    sleep 0.1
  done
  echo "FAIL $n not ready in 10 s"; exit 1
}
start a 2 200 50 stats
start b 1 100 10
export T TOOL=$tool
qemu=""
if command -v qemu-system-x86_64 >/dev/null; then
  qemu-system-x86_64 -accel kvm -cpu qemu64 -m 64 -smp 2 -display none \
    -serial none -monitor none -name "statsq-$$,debug-threads=on" \
    -qmp "unix:$T/q.sock,server=on,wait=off" >"$T/q.log" 2>&1 &
  pids+=($!)
  echo $! >"$T/q.pid"
  sleep 1.5
  if kill -0 "$!" 2>/dev/null; then qemu=$!; else
    echo "note: QEMU with KVM did not start here: $(tail -1 "$T/q.log")"; fi
fi
export QEMU=$qemu
qmp() { # qmp CMD [ARGS-JSON]: one command on a fresh connection
  python3 - "$T/q.sock" "$@" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
f.readline()
def cmd(c, a=None):
    f.write(json.dumps({"execute": c, **({"arguments": a} if a else {})}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "event" not in r:
            return r
cmd("qmp_capabilities")
print(json.dumps(cmd(sys.argv[2], json.loads(sys.argv[3]) if len(sys.argv) > 3 else None)))
PY
}
[ -n "$qemu" ] && qmp stop >/dev/null
"$tool" 200 >"$T/sample.json"
webd=${HVKIT_WEBD:-$b/webui/hv-webd}
[ -x "$webd" ] && "$webd" --dump-metrics >"$T/metrics" 2>"$T/metrics.err"
if [ -n "$qemu" ]; then
  qmp query-stats '{"target":"vcpu","providers":[{"provider":"kvm","names":["exits","halt_exits","io_exits"]}]}' >"$T/q.stats"
  qmp query-cpus-fast >"$T/q.cpus"
fi

# debugfs in a private mount namespace: "NAME VALUE|error" per counter
dbg() {
  local pid=$1
  unshare -m --propagation private sh -c '
    mount -t debugfs none /sys/kernel/debug 2>/dev/null || { echo "mount failed"; exit 0; }
    d=$(ls -d /sys/kernel/debug/kvm/'"$pid"'-* 2>/dev/null | head -1)
    [ -n "$d" ] || { echo "no kvm/'"$pid"'-FD directory"; exit 0; }
    for f in exits io_exits halt_exits; do
      v=$(cat "$d/$f" 2>&1) || v="error: $v"; echo "$f $v"; done'
}
dbg "$(cat "$T/a.pid")" >"$T/a.dbg"

python3 - <<'PY'
import ctypes, json, os, shutil, struct, subprocess, sys

T = os.environ["T"]
fails = []

def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        fails.append(what)

def rd(n, f):
    return open(os.path.join(T, n + "." + f)).read()

pa, pb = int(rd("a", "pid")), int(rd("b", "pid"))
ready = [int(x) for x in rd("a", "out").split()[1:]]
io, hlt = ready[0::2], ready[1::2]
doms = {d["id"]: d for d in json.load(open(os.path.join(T, "sample.json")))["doms"]}
check(pa in doms and pb in doms, "both VMMs are domains")
a, b = doms[pa], doms[pb]
print("  VMM counts io %s hlt %s; hvkit VM exits %s io %s wait %s mmio %s"
      % (io, hlt, a["kvm_exits"], a["kvm_io_exits"], a["kvm_wait_exits"],
         a["kvm_mmio_exits"]))
vc = sorted(a["vcpu"], key=lambda v: v["id"])
check(len(vc) == 2, "two vCPU records")
for i, v in enumerate(vc):
    print("  vCPU %d: exits %s wait %s" % (i, v["kvm_exits"], v["kvm_wait_exits"]))
    check(v["kvm_wait_exits"] == hlt[i],
          "vCPU %d halt exits == the VMM's hlt count (%d)" % (i, hlt[i]))
    check(v["kvm_exits"] is not None and v["kvm_exits"] >= io[i] + hlt[i],
          "vCPU %d exits >= the VMM's exits to user space (%d)" % (i, io[i] + hlt[i]))
check(a["kvm_exits"] == sum(v["kvm_exits"] for v in vc), "VM exits = sum over vCPUs")
check(a["kvm_wait_exits"] == sum(hlt), "VM wait exits = all hlt")
check(a["kvm_mmio_exits"] == 0, "no MMIO done, none counted")

# An independent reader of the same stats fds.
libc = ctypes.CDLL(None, use_errno=True)
pidfd = os.pidfd_open(pa)
tot = {"exits": 0, "io_exits": 0, "halt_exits": 0}
for l in os.listdir("/proc/%d/fd" % pa):
    if "kvm-vcpu-stats" not in os.readlink("/proc/%d/fd/%s" % (pa, l)):
        continue
    fd = libc.syscall(438, pidfd, int(l), 0)
    _, nsz, nd, _, do, da = struct.unpack("6I", os.pread(fd, 24, 0))
    for i in range(nd):
        h = os.pread(fd, 16 + nsz, do + i * (16 + nsz))
        flags, _, size, off, _ = struct.unpack("IhHII", h[:16])
        name = h[16:].split(b"\0")[0].decode()
        if name in tot and size == 1:
            tot[name] += struct.unpack("Q", os.pread(fd, 8, da + off))[0]
    os.close(fd)
print("  independent reader: %s" % tot)
check(tot["exits"] == a["kvm_exits"], "VM exits == independent reader")
check(tot["io_exits"] == a["kvm_io_exits"], "VM io exits == independent reader")
check(tot["halt_exits"] == a["kvm_wait_exits"], "VM halt exits == independent reader")
if a["kvm_io_exits"] == 0:
    print("  note: io_exits stays 0 on this host: its KVM emulates the port "
          "writes (insn_emulation) instead of the io exit handler")
else:
    check(a["kvm_io_exits"] == sum(io), "VM io exits == the VMM's port writes")

dbg = dict(l.split(" ", 1) for l in rd("a", "dbg").splitlines() if " " in l)
print("  debugfs (private mount namespace): %s" % dbg)
names = {"exits": "kvm_exits", "io_exits": "kvm_io_exits", "halt_exits": "kvm_wait_exits"}
if all(k in dbg and dbg[k].strip().isdigit() for k in names):
    for k, m in names.items():
        check(int(dbg[k]) == a[m], "debugfs %s == hvkit's %s" % (k, m))
elif any("Operation not permitted" in v for v in dbg.values()):
    print("  debugfs: the kernel's lockdown denies the counter files (EPERM); "
          "compared with the VMM's own counts and an independent reader instead")
else:
    check(False, "debugfs comparison: %s" % dbg)

# Without stats fds (and no debugfs in this namespace) nothing is made up.
if not os.path.isdir("/sys/kernel/debug/kvm"):
    check(b["kvm_exits"] is None and b["vcpu"] and b["vcpu"][0]["kvm_exits"] is None,
          "a VMM without stats fds: counters missing, not 0")

# /metrics (hv-webd --dump-metrics): the per-vCPU families, promtool-clean.
mp = os.path.join(T, "metrics")
if os.path.exists(mp):
    m = open(mp).read()
    for i in range(2):
        line = 'hv_domain_vcpu_kvm_wait_exits_total{domain="%s",uuid="",vcpu="%d"} %d' % (
            a["name"], i, hlt[i])
        check(line in m, "/metrics: " + line)
    if shutil.which("promtool"):
        r = subprocess.run(["promtool", "check", "metrics"], input=m,
                           capture_output=True, text=True)
        check(r.returncode == 0, "/metrics promtool-clean " + r.stderr.strip()[:200])

# QEMU: query-stats through hvkit's monitor round vs this script's own ask.
if os.environ.get("QEMU"):
    q = doms.get(int(os.environ["QEMU"]))
    st = json.load(open(os.path.join(T, "q.stats")))["return"]
    cp = {c["qom-path"]: c["cpu-index"]
          for c in json.load(open(os.path.join(T, "q.cpus")))["return"]}
    per = {}
    for r in st:
        per[cp[r["qom-path"]]] = {e["name"]: e["value"] for e in r["stats"]}
    tot = {k: sum(v[k] for v in per.values()) for k in ("exits", "halt_exits", "io_exits")}
    print("  QEMU query-stats: %s; hvkit exits %s wait %s io %s"
          % (per, q and q["kvm_exits"], q and q["kvm_wait_exits"], q and q["kvm_io_exits"]))
    check(q is not None and tot["exits"] > 0 and q["kvm_exits"] == tot["exits"],
          "QEMU VM exits (QMP query-stats) == query-stats' sum")
    check(q is not None and q["kvm_wait_exits"] == tot["halt_exits"]
          and q["kvm_io_exits"] == tot["io_exits"], "QEMU VM halt and io exits")
    for v in (q or {}).get("vcpu", []):
        check(v["kvm_exits"] == per[v["id"]]["exits"],
              "QEMU vCPU %d exits == query-stats of cpu-index %d" % (v["id"], v["id"]))
sys.exit(1 if fails else 0)
PY
