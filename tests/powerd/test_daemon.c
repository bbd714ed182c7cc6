/* SPDX-License-Identifier: MIT */
/* hv-powerd, the real binary, against a fixture sysfs/procfs tree (hvtest's
 * Intel host: 8 CPUs, SMT 2, intel_pstate, intel_idle, RAPL) through the
 * kvm backend and the Linux platform layer: decisions appear as writes to
 * the kernel's files, a SIGKILLed daemon's changes are restored by the next
 * start, SIGTERM restores everything. The test plays the kernel: it
 * advances /proc/stat (idle host) and RAPL energy (100 W) as time passes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hvtest.h"
#include "kvmfix.h"

#define NCPU 8

typedef struct fx {
	hvt_host *h;
	char bin[PATH_MAX];
	char conf[PATH_MAX];
	char idle_conf[PATH_MAX];
	char *orig[64];
	char rel[64][160];
	unsigned nfile;
	uint64_t tick;
	uint64_t energy;
	pid_t pid; /* the daemon under test, 0 when none */
	bool dom;  /* a QEMU domain "db" is running */
	uint64_t dom_ticks;
} fx;

static void add_file(fx *f, const char *fmt, unsigned a, unsigned b)
{
	snprintf(f->rel[f->nfile], sizeof(f->rel[0]), fmt, a, b);
	f->orig[f->nfile] = hvt_read(f->h->sys, f->rel[f->nfile]);
	assert_non_null(f->orig[f->nfile]);
	f->nfile++;
}

/* The kernel moving on by 100 ms: idle CPUs, 100 W package. */
static void advance(fx *f)
{
	hvt_cputimes t[NCPU];
	f->tick += 10;
	for (unsigned c = 0; c < NCPU; c++) {
		hvt_default_cputimes(c, &t[c]);
		t[c].idle += f->tick;
		t[c].user += f->tick / 100; /* 1 % busy */
	}
	assert_int_equal(0, hvt_build_procstat(f->h, NCPU, t, NULL));
	if (f->dom) {
		/* "db": vCPU 0 pinned to cpu3 and busy (8 of 10 ticks),
		 * vCPU 1 free to run anywhere. */
		static const char *const argv[] = {"qemu-system-x86_64",
		                                   "-name",
		                                   "guest=db,debug-threads=on",
		                                   "-smp",
		                                   "2",
		                                   NULL};
		kf_vcpu vc[2] = {{0}, {0}};
		kf_proc p = {0};
		f->dom_ticks += 8;
		vc[0].tid = 4243;
		vc[0].state = 'R';
		vc[0].utime = f->dom_ticks;
		vc[0].guest = f->dom_ticks;
		vc[0].processor = 3;
		vc[0].run_ns = f->dom_ticks * 10000000ull;
		vc[0].cpus_allowed = "3";
		vc[1].tid = 4244;
		vc[1].processor = 1;
		vc[1].cpus_allowed = "0-7";
		p.pid = 4242;
		p.comm = "qemu-system-x86";
		p.starttime = 500;
		p.utime = f->dom_ticks;
		p.argv = argv;
		p.rss_pages = 1000;
		p.nvcpu = 2;
		p.vcpu = vc;
		assert_int_equal(0, f->dom_ticks == 8
		                        ? kf_write_proc(f->h->proc, &p)
		                        : kf_update_proc(f->h->proc, &p));
	}
	f->energy += 10000000; /* 10 J per 100 ms */
	assert_int_equal(
	    0, hvt_rapl_set_energy(f->h, "intel-rapl:0", 1000000 + f->energy));
}

static void nap(void)
{
	hvt_nap_ms(100);
}

static int setup(void **st)
{
	const char *b = getenv("HVKIT_BUILD");
	fx *f;
	FILE *fp;

	if (!b)
		return -1;
	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->bin, sizeof(f->bin), "%s/powerd/hv-powerd", b);
	f->h = hvt_host_new("pd");
	assert_non_null(f->h);
	assert_int_equal(0, hvt_build_intel_host(f->h, NCPU, 1));
	/* hvt_build_intel_host gives pid 1, as on every host (and no QEMU
	 * here: no domains). */
	advance(f);
	for (unsigned c = 1; c < NCPU; c++)
		add_file(f, "devices/system/cpu/cpu%u/online", c, 0);
	for (unsigned c = 0; c < NCPU; c++) {
		add_file(f,
		         "devices/system/cpu/cpufreq/policy%u/scaling_max_freq",
		         c, 0);
		add_file(f, "devices/system/cpu/cpu%u/cpuidle/state%u/disable",
		         c, 3);
	}
	snprintf(f->conf, sizeof(f->conf), "%s/powerd.conf", f->h->root);
	fp = fopen(f->conf, "w");
	assert_non_null(fp);
	fputs("[daemon]\nperiod = 0.2\nbackend = kvm\n"
	      "[parking]\nenabled = yes\nmin_online = 2\nhold = 0\n"
	      "cooldown = 0\n"
	      "[budget]\nenabled = yes\nwatts = 50\nstep = 10\nfloor = 50%\n",
	      fp);
	fclose(fp);
	snprintf(f->idle_conf, sizeof(f->idle_conf), "%s/idle.conf",
	         f->h->root);
	fp = fopen(f->idle_conf, "w");
	assert_non_null(fp);
	fputs("[daemon]\nperiod = 0.2\nbackend = kvm\n", fp);
	fclose(fp);
	hvt_host_setenv(f->h);
	*st = f;
	return 0;
}

static int teardown(void **st)
{
	fx *f = *st;
	/* A failed assertion skips the test's own stop: kill it here. */
	hvt_reap(f->pid, SIGKILL);
	for (unsigned i = 0; i < f->nfile; i++)
		free(f->orig[i]);
	hvt_host_free(f->h);
	free(f);
	return 0;
}

static pid_t spawn(fx *f, const char *conf, const char *extra)
{
	char log[PATH_MAX + 16];
	char *argv[] = {f->bin, "--config", (char *)conf, (char *)extra, NULL};
	snprintf(log, sizeof(log), "%s/daemon.log", f->h->root);
	pid_t pid = hvt_spawn(argv, log);
	assert_true(pid > 0);
	f->pid = pid;
	return pid;
}

/* Compare with the original. libhv writes values the way `echo -n` would;
 * the kernel shows them back with a newline, so a plain fixture file may
 * lack that one trailing newline: anything else must match exactly. */
static int same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la && a[la - 1] == '\n')
		la--;
	if (lb && b[lb - 1] == '\n')
		lb--;
	return la == lb && !memcmp(a, b, la);
}

static unsigned count_changed(fx *f, int *offline, int *capped)
{
	unsigned n = 0;
	*offline = *capped = 0;
	for (unsigned i = 0; i < f->nfile; i++) {
		char *v = hvt_read(f->h->sys, f->rel[i]);
		if (v && !same(v, f->orig[i])) {
			n++;
			if (strstr(f->rel[i], "/online"))
				(*offline)++;
			if (strstr(f->rel[i], "scaling_max_freq"))
				(*capped)++;
		}
		free(v);
	}
	return n;
}

static char *journal(fx *f)
{
	char *j = hvt_read(f->h->run, "journal.jsonl");
	assert_non_null(j);
	return j;
}

static void test_kill9_then_restart(void **st)
{
	fx *f = *st;
	int off = 0, cap = 0, status;
	pid_t pid = spawn(f, f->conf, NULL);

	for (int i = 0; i < 200; i++) {
		advance(f);
		nap();
		count_changed(f, &off, &cap);
		if (off >= 4 && cap >= 2)
			break;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/* Decisions showed up as writes to the kernel's files. */
	if (off < 4 || cap < 2) {
		char *j = journal(f);
		fail_msg("offline %d capped %d; journal:\n%s", off, cap, j);
	}
	/* cpu0 untouched, min_online 2: at most 6 of 8 parked, siblings
	 * together (cpu 2k and 2k+1 share a core). */
	for (unsigned c = 2; c < NCPU; c += 2) {
		char r1[96], r2[96];
		snprintf(r1, sizeof(r1), "devices/system/cpu/cpu%u/online", c);
		snprintf(r2, sizeof(r2), "devices/system/cpu/cpu%u/online",
		         c + 1);
		char *a = hvt_read(f->h->sys, r1), *b = hvt_read(f->h->sys, r2);
		assert_true(a[0] == b[0]);
		free(a);
		free(b);
	}
	char *j = journal(f);
	assert_non_null(strstr(j, "\"event\":\"set\",\"policy\":\"parking\""));
	assert_non_null(strstr(j, "\"knob\":\"cpu/7/online\",\"old\":\"1\""));
	free(j);
	/* The next start (doing nothing itself) restores everything. */
	pid = spawn(f, f->idle_conf, "--once");
	for (int i = 0; i < 100; i++) {
		advance(f);
		nap();
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(0, count_changed(f, &off, &cap));
	j = journal(f);
	assert_non_null(strstr(j, "\"event\":\"restored\""));
	free(j);
}

static void test_sigterm_restores(void **st)
{
	fx *f = *st;
	int off = 0, cap = 0, status;
	pid_t pid = spawn(f, f->conf, NULL);

	for (int i = 0; i < 200; i++) {
		advance(f);
		nap();
		count_changed(f, &off, &cap);
		if (off >= 6 && cap >= 2)
			break;
	}
	assert_int_equal(off, 6);
	kill(pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		advance(f);
		nap();
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(0, count_changed(f, &off, &cap));
	char *s = hvt_read(f->h->run, "state.json");
	assert_non_null(strstr(s, "\"held\":\t[]"));
	free(s);
}

static void test_dry_run_writes_nothing(void **st)
{
	fx *f = *st;
	int off = 0, cap = 0, status;
	pid_t pid = spawn(f, f->conf, "--dry-run");

	for (int i = 0; i < 20; i++) {
		advance(f);
		nap();
		assert_int_equal(0, count_changed(f, &off, &cap));
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	assert_int_equal(0, count_changed(f, &off, &cap));
	char *j = journal(f);
	assert_non_null(strstr(j, "\"dry_run\":true"));
	assert_non_null(strstr(j, "cpu/7/online"));
	free(j);
}

/* Through the kvm backend: a vCPU pinned to cpu3 keeps cpu3 and its
 * sibling cpu2 online; the busy latency-critical domain disables the deep
 * C-state (intel_idle C6, 133 us > 20 us) on the online CPUs, not C1E
 * (10 us); SIGTERM restores every file. */
static void test_pinned_domain_and_latency(void **st)
{
	fx *f = *st;
	int off = 0, cap = 0, status;
	char conf[PATH_MAX + 16];
	FILE *fp;
	pid_t pid;

	snprintf(conf, sizeof(conf), "%s/dom.conf", f->h->root);
	fp = fopen(conf, "w");
	assert_non_null(fp);
	fputs("[daemon]\nperiod = 0.2\nbackend = kvm\n"
	      "[parking]\nenabled = yes\nmin_online = 2\nhold = 0\n"
	      "cooldown = 0\n"
	      "[latency]\nenabled = yes\ndomains = db\nbusy = 10\n"
	      "max_latency_us = 20\nhold = 1s\n",
	      fp);
	fclose(fp);
	f->dom = true;
	advance(f);
	pid = spawn(f, conf, NULL);
	char *c6 = NULL, *c1e = NULL, *on2 = NULL, *on3 = NULL;
	for (int i = 0; i < 200; i++) {
		advance(f);
		nap();
		count_changed(f, &off, &cap);
		free(c6);
		c6 = hvt_read(f->h->sys,
		              "devices/system/cpu/cpu0/cpuidle/state3/disable");
		if (off >= 4 && c6 && c6[0] == '1')
			break;
	}
	c1e = hvt_read(f->h->sys,
	               "devices/system/cpu/cpu0/cpuidle/state2/disable");
	on2 = hvt_read(f->h->sys, "devices/system/cpu/cpu2/online");
	on3 = hvt_read(f->h->sys, "devices/system/cpu/cpu3/online");
	kill(pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		advance(f);
		nap();
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	if (!c6 || c6[0] != '1' || off != 4) {
		char *j = journal(f);
		fail_msg("c6 %s offline %d; journal:\n%s", c6 ? c6 : "?", off,
		         j);
	}
	assert_true(c1e && c1e[0] == '0');
	assert_true(on2 && on2[0] == '1' && on3 && on3[0] == '1');
	char *j = journal(f);
	assert_non_null(strstr(j, "latency-critical domain db busy"));
	free(j);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(0, count_changed(f, &off, &cap));
	free(c6);
	free(c1e);
	free(on2);
	free(on3);
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test_setup_teardown(test_kill9_then_restart, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_sigterm_restores, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_pinned_domain_and_latency,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dry_run_writes_nothing, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
