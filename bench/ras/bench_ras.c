/* SPDX-License-Identifier: MIT */
/* Error storm against the real hv-powerd: 1,000 machine-check records per
 * second for a few seconds on one CPU (with addresses over 64 pages), fed
 * to a daemon on a fixture host through the tracepoint's fixture feed
 * (<event dir>/hvkit.records: perf sample records as the ring holds them,
 * decoded by the same hv_mce_ring_drain as the kernel's ring).
 *
 * Prints events/s handled, the daemon's CPU use during the storm against a
 * baseline measured in the same run (the same daemon idle for as long), and
 * checks what must hold: every record counted (hv-powerd's state.json count
 * equals the number written), the CPU offlined exactly once and never
 * released (no flapping), no lost records.
 *
 * Usage: bench_ras PATH/TO/hv-powerd [SECONDS (3)] [RATE (1000)] */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hv/ras.h"
#include "hvtest.h"

#define CPU 2

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	double d = t - now();
	struct timespec ts;

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* utime + stime of pid in seconds. */
static double cpu_s(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long ut = 0, st = 0;
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	           &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* One perf sample record carrying an mce_record payload in layout f. */
static size_t make_rec(const hv_mce_fmt *f, uint8_t *out, uint64_t t,
                       uint32_t cpu, uint64_t status, uint64_t addr)
{
	uint8_t raw[256] = {0};
	uint32_t rawsz = (f->min_len + 4 + 7) / 8 * 8 - 4;
	uint16_t size = (uint16_t)(8 + 8 + 8 + 4 + rawsz);
	uint32_t type = 9; /* PERF_RECORD_SAMPLE */
	uint16_t misc = 0;
	uint32_t res = 0;

	memcpy(raw + f->status.off, &status, 8);
	memcpy(raw + f->addr.off, &addr, 8);
	memcpy(raw + f->cpu.off, &cpu, 4);
	raw[f->bank.off] = 1;
	memcpy(out, &type, 4);
	memcpy(out + 4, &misc, 2);
	memcpy(out + 6, &size, 2);
	memcpy(out + 8, &t, 8);
	memcpy(out + 16, &cpu, 4);
	memcpy(out + 20, &res, 4);
	memcpy(out + 24, &rawsz, 4);
	memcpy(out + 28, raw, rawsz);
	return size;
}

static cJSON *read_json(const char *path)
{
	char *s = hvt_read("/", path);
	cJSON *j = s ? cJSON_Parse(s) : NULL;
	free(s);
	return j;
}

static unsigned count_lines(const char *path, const char *a, const char *b)
{
	char line[4096];
	unsigned n = 0;
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, a) && strstr(line, b);
	if (f)
		fclose(f);
	return n;
}

/* The mce_record format the fixture's tracepoint offers; the text is
 * returned (the fixture host needs it) or NULL after saying why. */
static char *load_fmt(hv_mce_fmt *f)
{
	const char *src = getenv("HVKIT_SRC");
	char fmtpath[4096];
	hv_err err = {0};

	snprintf(fmtpath, sizeof(fmtpath),
	         "%s/tests/platform/fixtures/mce/format-6.1", src ? src : ".");
	char *ftxt = hvt_read("/", fmtpath);
	if (!ftxt || hv_mce_fmt_parse(ftxt, f, &err)) {
		fprintf(stderr, "%s: %s (set HVKIT_SRC)\n", fmtpath,
		        ftxt ? err.msg : "unreadable");
		return NULL;
	}
	return ftxt;
}

/* An 8-CPU Intel fixture host with the tracepoint's fixture feed and a
 * page offlining file; NULL after saying so. */
static hvt_host *make_host(const char *ftxt)
{
	hvt_host *h;

	if (!(h = hvt_host_new("bench-ras")) || hvt_build_intel_host(h, 8, 1) ||
	    hvt_sys(h, "kernel/tracing/events/mce/mce_record/format", "%s",
	            ftxt) ||
	    hvt_sys(h, "kernel/tracing/events/mce/mce_record/hvkit.records",
	            "%s", "") ||
	    hvt_sys(h, "devices/system/memory/soft_offline_page", "%s", "")) {
		fprintf(stderr, "fixture failed\n");
		return NULL;
	}
	return h;
}

/* hv-powerd with hwerr on, its stderr silenced; waits up to 10 s for its
 * state file. Returns the pid (also when it did not start, to be reaped)
 * and *up. */
static pid_t start_daemon(const char *bin, const char *run, int *up)
{
	char conf[4096], path[4096];
	pid_t pid;

	snprintf(conf, sizeof(conf), "%s/bench.conf", run);
	hvt_write("/", conf,
	          "[daemon]\nperiod = 1s\nbackend = kvm\n[hwerr]\nenabled = "
	          "yes\nthreshold = 10\nwindow = 60s\nmax_offline = 2\n"
	          "keep_online = 2\npage_threshold = 1000000\n");
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		execl(bin, bin, "--config", conf, (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "%s/state.json", run);
	for (int i = 0; i < 100 && access(path, F_OK); i++)
		usleep(100000);
	*up = !access(path, F_OK);
	return pid;
}

/* When the storm started (daemon CPU time and clock) and how long the
 * writing took. */
struct storm_fig {
	double c0, t0, took;
};

/* Writes total records on CPU to the fixture feed in batches every 10 ms,
 * addresses cycling over 64 pages, while pid's CPU use is measured. */
static int storm(const char *ev, const hv_mce_fmt *f, uint64_t total,
                 unsigned rate, pid_t pid, struct storm_fig *o)
{
	char path[4096];
	uint64_t sent = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/hvkit.records", ev);
	fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0) {
		perror(path);
		return -1;
	}
	uint8_t *buf = malloc(total * 160 + 160);
	o->c0 = cpu_s(pid);
	double t0 = o->t0 = now();
	for (unsigned b = 0; sent < total; b++) {
		uint64_t upto = (uint64_t)((b + 1) * 0.01 * rate);
		size_t n = 0;
		if (upto > total)
			upto = total;
		for (; sent < upto; sent++)
			n += make_rec(f, buf + n, (uint64_t)(now() * 1e9), CPU,
			              HV_MCI_VAL | HV_MCI_EN | HV_MCI_ADDRV,
			              0x40000000ull + (sent % 64) * 4096);
		if (n && write(fd, buf, n) != (ssize_t)n) {
			perror("write");
			close(fd);
			free(buf);
			return -1;
		}
		sleep_until(t0 + (b + 1) * 0.01);
	}
	o->took = now() - t0;
	close(fd);
	free(buf);
	return 0;
}

/* CPU's corrected-error count in hv-powerd's state.json; -1 if absent. */
static double counted_ce(const char *run)
{
	char path[4096];
	double counted = -1;
	const cJSON *e;

	snprintf(path, sizeof(path), "%s/state.json", run);
	cJSON *st = read_json(path);
	const cJSON *cpus = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(st, "ras"), "cpus");
	cJSON_ArrayForEach(e, cpus)
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
		const cJSON *ce = cJSON_GetObjectItemCaseSensitive(e, "ce");
		if (cJSON_IsNumber(id) && id->valuedouble == CPU &&
		    cJSON_IsNumber(ce))
			counted = ce->valuedouble;
	}
	cJSON_Delete(st);
	return counted;
}

/* Prints the figures and checks: every record counted, CPU offlined
 * exactly once and never released. Returns the exit code. */
static int report(const char *run, uint64_t total, double storm_t,
                  double storm_cpu, double base)
{
	char path[4096];
	double counted = counted_ce(run);
	int rc;

	snprintf(path, sizeof(path), "%s/journal.jsonl", run);
	unsigned offs = count_lines(path, "\"event\":\"set\"", "cpu/2/online");
	unsigned rels =
	    count_lines(path, "\"event\":\"release", "cpu/2/online");
	printf("storm: %" PRIu64 " records in %.2f s on cpu%d = %.0f events/s "
	       "written\n",
	       total, storm_t, CPU, (double)total / storm_t);
	printf("counted by hv-powerd: %.0f (lost %.0f)\n", counted,
	       (double)total - counted);
	printf("events/s handled: %.0f\n", counted / storm_t);
	printf("daemon CPU: storm %.2f%% of a core, idle baseline %.2f%%, "
	       "ratio %.1f\n",
	       storm_cpu * 100, base * 100, base > 0 ? storm_cpu / base : 0.0);
	printf("cpu%d offlined %u time(s), released %u time(s)\n", CPU, offs,
	       rels);
	rc = counted == (double)total && offs == 1 && rels == 0 ? 0 : 1;
	printf("%s: %s\n", rc ? "FAIL" : "ok",
	       rc ? "lost counts or flapping" : "no lost counts, no flapping");
	if (storm_cpu >= 0.05)
		printf("note: daemon above 5%% of a core during the storm\n");
	return rc;
}

int main(int argc, char **argv)
{
	double secs = argc > 2 ? atof(argv[2]) : 3;
	unsigned rate = argc > 3 ? (unsigned)atoi(argv[3]) : 1000;
	char run[4096], ev[4096];
	hv_mce_fmt f;
	hvt_host *h;
	hv_env env;
	pid_t pid;
	int up, rc = 1;

	if (argc < 2 || secs <= 0 || !rate) {
		fprintf(stderr,
		        "usage: bench_ras HV-POWERD [SECONDS] [RATE]\n");
		return 2;
	}
	char *ftxt = load_fmt(&f);
	if (!ftxt || !(h = make_host(ftxt)))
		return 1;
	free(ftxt);
	hvt_host_env(h, &env);
	snprintf(ev, sizeof(ev), "%s/kernel/tracing/events/mce/mce_record",
	         env.sys);
	snprintf(run, sizeof(run), "%s", env.run);
	hvt_host_setenv(h);
	pid = start_daemon(argv[1], run, &up);
	if (!up) {
		fprintf(stderr, "hv-powerd did not start\n");
		goto out;
	}
	/* baseline: the same daemon, idle, as long as the storm */
	double c0 = cpu_s(pid), t0 = now();
	sleep_until(t0 + secs);
	double base = (cpu_s(pid) - c0) / (now() - t0);

	/* storm: batches every 10 ms */
	uint64_t total = (uint64_t)(secs * rate);
	struct storm_fig so;
	if (storm(ev, &f, total, rate, pid, &so))
		goto out;
	sleep_until(now() + 2.5); /* two more rounds: the last records land */
	double storm_cpu = (cpu_s(pid) - so.c0) / (now() - so.t0);
	rc = report(run, total, so.took, storm_cpu, base);
out:
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	hvt_host_free(h);
	return rc;
}
