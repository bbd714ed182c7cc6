#!/usr/bin/env python3
"""Checks of the KVM/arm64 e2e test (run-e2e.sh) on what the emulated host
printed: check.py WORKDIR RATE PROMTOOL_OUTPUT CPU (QEMU's -cpu of the emulated host).
Exit 1 when a check fails."""
import json
import re
import sys

work, rate, promtool, cpu = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
# The CPU model hvkit must name from the MIDR ("" for a model with no name).
model = {"neoverse-n1": "ARM Neoverse-N1", "cortex-a57": "ARM Cortex-A57"}.get(cpu, "")
fails = 0
# MMIO exits besides the workload's: the guest's console (pl011, in user
# space) and timer/GIC work; measured 40-42/s for one count line a second.
BG = 80


def check(what, ok):
    global fails
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        fails += 1


def text(name):
    with open(f"{work}/{name}.txt") as f:
        return f.read()


# 1. The nested guest as a KVM domain (hvctl --json domains).
dom = None
m = re.search(r"^\{.*?^\}", text("domains"), re.M | re.S)
try:
    doms = json.loads(m.group(0))["domains"] if m else []
    dom = next((d for d in doms if d["name"] == "mmio"), None)
    backend = json.loads(m.group(0))["backend"]
except (ValueError, KeyError):
    doms, backend = [], None
check(f"hvctl --json domains: kvm backend, guest 'mmio' found ({len(doms)} domain(s))",
      backend == "kvm" and dom is not None)
if dom:
    check(f"hvctl: 1 vCPU, {dom['mem_kib']} KiB (-m 192 = 196608), running or blocked ({dom['state']})",
          dom["vcpus"] == 1 and dom["mem_kib"] == 196608 and dom["state"].strip("-") in ("r", "b"))
tab = text("ngtab")
check("xentop-ng -b lists mmio with 1 vCPU and 196608 KiB",
      re.search(r"^\s*mmio\s.*\s196608\s.*\s1\s", tab, re.M) is not None)

# 2. MMIO exits. The guest's count lines carry the host uptime and KVM's
# debugfs counters read when each arrived (host-init's console reader);
# xentop-ng's samples carry the host uptime too. Counts at a sample's time
# are interpolated between the two guest lines around it.
lines = []
for m in re.finditer(r"^mmio (\d+) (\d+) (\d+) @ ([\d.]+) (\d+) (\d+) (\d+)", text("guest"), re.M):
    n, tot, ms, up, u, k, e = m.groups()
    lines.append((float(up), int(tot), int(u) + int(k), int(e)))
samples = []
for l in text("ngtop").splitlines():
    if l.startswith("{"):
        s = json.loads(l)
        d = next((x for x in s["domains"] if x["name"] == "mmio"), {})
        samples.append((s["host"]["uptime"] / 1e9, d.get("kvm.exits.mmio"),
                        d.get("kvm.exits.mmio.rate"), s["interval"]))


def at(t, col):
    """Column col of the guest lines, interpolated at host uptime t."""
    for (t0, *a), (t1, *b) in zip(lines, lines[1:]):
        if t0 <= t <= t1:
            return a[col] + (b[col] - a[col]) * (t - t0) / (t1 - t0)
    return None


check(f"4 xentop-ng samples with the guest's MMIO exit counter and rate ({len(samples)})",
      len(samples) == 4 and all(x[1] is not None for x in samples)
      and all(x[2] is not None for x in samples[1:]))
inside = len(samples) == 4 and lines and lines[0][0] <= samples[0][0] and samples[-1][0] <= lines[-1][0]
check(f"guest count lines around every sample ({len(lines)} lines)", bool(inside))
if fails == 0:
    # Over the whole window, guest count lines at both ends (no
    # interpolation): what the guest did against what KVM counted.
    win = [x for x in lines if samples[0][0] <= x[0] <= samples[-1][0]]
    if len(win) < 2:
        win = lines
    (ta, ga, ua, ea), (tb, gb, ub, eb) = win[0], win[-1]
    guest_w, kvm_w, all_w = (gb - ga) / (tb - ta), (ub - ua) / (tb - ta), (eb - ea) / (tb - ta)
    bg = kvm_w - guest_w
    print(f"window {tb - ta:.1f} s of guest lines: guest {guest_w:.0f} reads/s (target {rate}), "
          f"KVM MMIO exits {kvm_w:.0f}/s (other MMIO {bg:.1f}/s: the console's), all exits {all_w:.0f}/s")
    check(f"KVM counts the workload: MMIO exits {kvm_w:.0f}/s = guest {guest_w:.0f}/s + 0..{BG}/s",
          0 <= bg <= BG)
    print("sample  interval  hvkit MMIO/s  KVM debugfs/s  guest reads/s")
    rows = []
    for (t0, c0, _, _), (t1, c1, r, dt) in zip(samples, samples[1:]):
        g = (at(t1, 0) - at(t0, 0)) / (t1 - t0)
        kv = (at(t1, 1) - at(t0, 1)) / (t1 - t0)
        rows.append((t1 - t0, r, kv, g, (c1 - c0) / dt))
        print(f"{len(rows):6}  {dt:7.2f}s  {r:12.0f}  {kv:13.0f}  {g:13.0f}")
    # hvkit's rate is the difference of its counter over its own interval.
    check("hvkit's MMIO/s = the difference of its MMIO exit counter / its interval",
          all(abs(r - c) <= 0.005 * c + 1 for _, r, _, _, c in rows))
    # Across clocks: a sample's uptime (10 ms steps) is read when the
    # sample starts, its counters up to ~0.15 s later under TCG on a busy
    # machine, and counts between two guest lines are interpolated. That is
    # up to ~6 % on a 10 s window (measured 4-5 % at worst), more on one
    # 3 s sample.
    tot = sum(i for i, *_ in rows)
    kv_m = (at(samples[-1][0], 1) - at(samples[0][0], 1)) / tot
    g_m = (at(samples[-1][0], 0) - at(samples[0][0], 0)) / tot
    hv_m = (samples[-1][1] - samples[0][1]) / sum(x[3] for x in samples[1:])
    check(f"over the {tot:.1f} s of samples hvkit's {hv_m:.0f} MMIO exits/s = KVM's debugfs "
          f"{kv_m:.0f}/s (within 6 %)", abs(hv_m - kv_m) <= 0.06 * kv_m)
    check(f"over the {tot:.1f} s of samples hvkit's {hv_m:.0f} MMIO exits/s = the guest's own "
          f"{g_m:.0f} reads/s + 0..{BG}/s (within 6 %)",
          -0.06 * g_m <= hv_m - g_m <= BG + 0.06 * g_m)
    check(f"each sample: hvkit's MMIO/s within 15 % + {BG}/s of the guest's reads/s",
          all(-0.15 * g <= r - g <= BG + 0.15 * g for _, r, _, g, _ in rows))
    check(f"the guest kept near its pace ({guest_w:.0f} of {rate}/s)", guest_w >= 0.5 * rate)

# 3. Host identity (xentop-ng's header fields, hvctl cpu list).
hj = [json.loads(l)["host"] for l in text("ngtop").splitlines() if l.startswith("{")]
check(f"xentop-ng's host: arch aarch64, CPU {model or '(any)'} (from MIDR)",
      bool(hj) and all(h.get("arch") == "aarch64" and h.get("cpu.model") and
                       h["cpu.model"].startswith(model) for h in hj))
host = text("host")
check(f"hvctl cpu list: kvm backend on aarch64, CPU {model or '(any)'}",
      re.search(r"\(kvm backend; aarch64, " + (re.escape(model) + " " if model else r"\S"), host)
      is not None)

# 3b. Hardware counters on the guest's vCPU thread (hv-rdt mon: libpfm4's
# aliases on armv8_pmuv3). QEMU's TCG PMU counts cycles only (no
# INST_RETIRED without -icount): cycles must count; what was left out is
# printed, not checked.
mon = [json.loads(l) for l in text("pmu").splitlines() if l.startswith("{")]
cyc = [next((d.get("hw_per_s") or {} for d in m["domains"] if d["name"] == "mmio"), {}).get("cycles")
       for m in mon]
if mon:
    print(f"hv-rdt: {mon[-1].get('hw_note')}")
check(f"hv-rdt mon: cycles/s on the guest's vCPU thread > 0 ({', '.join(f'{c:.3g}' if c else str(c) for c in cyc)})",
      bool(cyc) and all(c is not None and c > 0 for c in cyc))

# 4. Metrics.
met = text("metrics")
check(f"hv-webd --dump-metrics is promtool-clean ({met.count(chr(10))} lines)"
      + (f": {promtool}" if promtool else ""), not promtool and met.strip() != "")
check("hv_host_info has backend kvm and arch aarch64",
      re.search(r'^hv_host_info\{.*backend="kvm".*arch="aarch64"', met, re.M) is not None)
mm = re.search(r'^hv_domain_kvm_exits_total\{domain="mmio",[^}]*kind="mmio"\} (\d+)', met, re.M)
check(f"hv_domain_kvm_exits_total{{kind=\"mmio\"}} for the guest ({mm.group(1) if mm else 'absent'})",
      mm is not None and int(mm.group(1)) > 0)
sys.exit(1 if fails else 0)
