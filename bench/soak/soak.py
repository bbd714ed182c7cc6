#!/usr/bin/env python3
"""Soak: hv-webd and xentop-ng -b running for a long time under load.

hv-webd: synth backend with N domains, 1 s sampling, RRD history on, S
clients on the event stream (/api/v1/events) and a /metrics scrape every
second (gzip, as Prometheus asks). xentop-ng: `-b -d 1` with M synth domains
into a pipe that is read and dropped. For each process, RSS and open fds at
the end of the warm-up (minute 1 by default) and at the end, their growth,
CPU seconds per wall second, and for hv-webd the p50/p99 latency of the
scrapes and what the SSE clients received.

    soak.py [--build DIR] [--seconds 600] [--warmup 60] [--domains 1000]
            [--sse 50] [--xt-domains 5000] [--check PCT] [--json]

A benchmark prints figures; with --check PCT (the short suite version) it
also exits 1 when fds grew at all or RSS grew more than PCT % after the
warm-up (noise allowance), or a process died, or a client saw an error.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

CLK = os.sysconf("SC_CLK_TCK")


def proc_figures(pid):
    """(rss_kb, fds, cpu_s) of a live process, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/stat") as f:
        st = f.read().rsplit(")", 1)[1].split()
    cpu = (int(st[11]) + int(st[12])) / CLK  # utime + stime
    return rss, fds, cpu


class SSEClient(threading.Thread):
    """Reads the event stream and counts frames; reconnects on error."""

    def __init__(self, port, stop):
        super().__init__(daemon=True)
        self.port, self.stop, self.frames, self.errors = port, stop, 0, 0

    def run(self):
        while not self.stop.is_set():
            try:
                s = socket.create_connection(("127.0.0.1", self.port), 10)
                s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
                s.settimeout(15)
                while not self.stop.is_set():
                    b = s.recv(1 << 16)
                    if not b:
                        raise OSError("closed")
                    self.frames += b.count(b"event: snap")
                s.close()
            except OSError:
                if not self.stop.is_set():
                    self.errors += 1
                    time.sleep(1)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "../../build"))
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--warmup", type=int, default=60)
    ap.add_argument("--domains", type=int, default=1000)
    ap.add_argument("--sse", type=int, default=50)
    ap.add_argument("--xt-domains", type=int, default=5000)
    ap.add_argument("--check", type=float, default=None)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--trace", type=int, default=0,
                    help="print RSS and fds every N seconds")
    ap.add_argument("--webd", help="hv-webd binary (default: BUILD's)")
    ap.add_argument("--log", action="store_true",
                    help="print hv-webd's log at the end (sanitizer reports)")
    a = ap.parse_args()
    webd = a.webd or os.path.join(a.build, "webui/hv-webd")
    xt = os.path.join(a.build, "xentop-ng/xentop-ng")
    tmp = tempfile.mkdtemp(prefix="hvsoak-")
    procs = []
    stop = threading.Event()
    try:
        conf = os.path.join(tmp, "w.conf")
        with open(conf, "w") as f:
            # Every client comes from 127.0.0.1: room for all of them
            # past the per-IP cap (16 by default).
            f.write(f"backend = synth\nsynth_domains = {a.domains}\nsynth_vcpus = 2\n"
                    f"period = 1\nrrd_dir = {tmp}/rrd\n"
                    f"per_ip_limit = {a.sse + 8}\nconnection_limit = {a.sse + 16}\n")
        wlog = open(os.path.join(tmp, "webd.log"), "w")
        w = subprocess.Popen([webd, "--config", conf, "--listen", "127.0.0.1:0",
                              "--port-file", f"{tmp}/port"], stderr=wlog)
        procs.append(w)
        xlog = open(os.path.join(tmp, "xt.log"), "w")
        x = subprocess.Popen([xt, "-b", "-d", "1", "--no-config", "--backend", "synth",
                              f"--synth-domains={a.xt_domains}"],
                             stdout=subprocess.PIPE, stderr=xlog)
        procs.append(x)
        xt_lines = [0]

        def drain():
            for _ in x.stdout:
                xt_lines[0] += 1
        threading.Thread(target=drain, daemon=True).start()
        for _ in range(100):
            if os.path.exists(f"{tmp}/port") and open(f"{tmp}/port").read().strip():
                break
            time.sleep(0.1)
        port = int(open(f"{tmp}/port").read())
        clients = [SSEClient(port, stop) for _ in range(a.sse)]
        for c in clients:
            c.start()
        t0 = time.monotonic()
        marks = {}
        series = []
        lat, scrape_err = [], 0
        nxt = t0
        trace_at = a.trace
        while True:
            now = time.monotonic()
            el = now - t0
            if a.trace and el >= trace_at:
                trace_at += a.trace
                fw, fx = proc_figures(w.pid), proc_figures(x.pid)
                print(f"  t={el:5.0f}s hv-webd RSS {fw[0] / 1024:6.1f} MB fds {fw[1]}, "
                      f"xentop-ng RSS {fx[0] / 1024:6.1f} MB fds {fx[1]}", flush=True)
            if el >= a.warmup and "warm" not in marks:
                marks["warm"] = (el, proc_figures(w.pid), proc_figures(x.pid), len(lat))
            if el >= a.warmup:  # one point a second, for robust ends
                series.append((proc_figures(w.pid), proc_figures(x.pid)))
            if el >= a.seconds:
                marks["end"] = (el, proc_figures(w.pid), proc_figures(x.pid), len(lat))
                break
            if w.poll() is not None or x.poll() is not None:
                break
            nxt += 1.0
            s0 = time.monotonic()
            try:
                rq = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                            headers={"Accept-Encoding": "gzip"})
                with urllib.request.urlopen(rq, timeout=10) as r:
                    r.read()
                lat.append(time.monotonic() - s0)
            except OSError:
                scrape_err += 1
            time.sleep(max(0.0, nxt - time.monotonic()))
        stop.set()
        dead = [n for n, p in (("hv-webd", w), ("xentop-ng", x)) if p.poll() is not None]
        out = {"seconds": a.seconds, "warmup": a.warmup, "dead": dead,
               "scrapes": len(lat), "scrape_errors": scrape_err,
               "sse_clients": a.sse, "sse_frames": sum(c.frames for c in clients),
               "sse_errors": sum(c.errors for c in clients)}
        if "end" in marks and "warm" in marks:
            (t1, w1, x1, n1), (t2, w2, x2, _) = marks["warm"], marks["end"]
            # Ends of the steady part: RSS as the median of 5 points, fds
            # as the least of 5 (a scrape or an RRD write in flight holds
            # one for a moment).
            head, tail = series[:5], series[-5:]
            for k, (name, f1, f2, dom) in enumerate((("hv-webd", w1, w2, a.domains),
                                                     ("xentop-ng", x1, x2, a.xt_domains))):
                r1 = sorted(p[k][0] for p in head)[len(head) // 2]
                r2 = sorted(p[k][0] for p in tail)[len(tail) // 2]
                out[name] = {"domains": dom,
                             "rss_mb": [round(r1 / 1024, 1), round(r2 / 1024, 1)],
                             "rss_growth_pct": round(100 * (r2 - r1) / r1, 2),
                             "fds": [min(p[k][1] for p in head), min(p[k][1] for p in tail)],
                             "cpu_s_per_s": round((f2[2] - f1[2]) / (t2 - t1), 3)}
            steady = lat[n1:]
            out["hv-webd"]["metrics_ms_p50_p99"] = [round(1e3 * pct(steady, 50), 1),
                                                    round(1e3 * pct(steady, 99), 1)]
            out["xentop-ng"]["lines"] = xt_lines[0]
        if a.json:
            print(json.dumps(out))
        else:
            print(f"soak {a.seconds} s (warm-up {a.warmup} s): figures at the end of the warm-up -> end")
            for name in ("hv-webd", "xentop-ng"):
                if name not in out:
                    continue
                o = out[name]
                print(f"  {name:<10} {o['domains']} domains: RSS {o['rss_mb'][0]} -> {o['rss_mb'][1]} MB "
                      f"({o['rss_growth_pct']:+.2f} %), fds {o['fds'][0]} -> {o['fds'][1]}, "
                      f"CPU {o['cpu_s_per_s']} s/s")
            if "hv-webd" in out:
                p50, p99 = out["hv-webd"]["metrics_ms_p50_p99"]
                print(f"  /metrics (gzip) every 1 s: {out['scrapes']} scrapes, p50 {p50} ms, p99 {p99} ms, "
                      f"{out['scrape_errors']} errors")
            print(f"  SSE: {a.sse} clients, {out['sse_frames']} frames, {out['sse_errors']} errors")
            if dead:
                print(f"  DIED: {', '.join(dead)}")
        rc = 0
        if a.check is not None:
            bad = list(dead)
            for name in ("hv-webd", "xentop-ng"):
                o = out.get(name)
                if not o:
                    bad.append(f"{name}: no figures")
                    continue
                if o["fds"][1] > o["fds"][0]:
                    bad.append(f"{name}: fds grew {o['fds'][0]} -> {o['fds'][1]}")
                if o["rss_growth_pct"] > a.check:
                    bad.append(f"{name}: RSS grew {o['rss_growth_pct']} % (> {a.check} %)")
            if out["scrape_errors"] or out["sse_errors"]:
                bad.append(f"client errors: scrape {out['scrape_errors']}, sse {out['sse_errors']}")
            for b in bad:
                print(f"FAIL: {b}")
            rc = 1 if bad else 0
        return rc
    finally:
        stop.set()
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
        if a.log:
            print(open(os.path.join(tmp, "webd.log")).read()[-6000:])
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
