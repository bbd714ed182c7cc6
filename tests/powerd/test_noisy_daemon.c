/* SPDX-License-Identifier: MIT */
/* hv-powerd's [noisy] policy, the real binary, on a fixture host: hvtest's
 * Intel CPUs, the rdt tests' Intel resctrl tree (rdtf_intel) and a QEMU
 * domain in a fixture /proc (kvmfix). The domain's monitoring group shows
 * 30 MB of LLC occupancy against a 20 MB threshold: it must end up in the
 * restricted class (its tasks file), and SIGTERM, or kill -9 and a
 * restart, must put the tree back (class gone, monitoring group back
 * under the root, root schemata unchanged). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hvtest.h"
#include "kvmfix.h"
#include "rdt_fixture.h"

#define NCPU 4
#define RC "fs/resctrl/"

typedef struct fx {
	hvt_host *h;
	char bin[PATH_MAX];
	char conf[PATH_MAX];
	char idle_conf[PATH_MAX];
	char *schemata; /* the root's, before */
	uint64_t tick, ticks;
	bool exited; /* the QEMU process is gone from /proc */
	pid_t pid;
} fx;

/* The kernel moving on by 100 ms: idle host, a busy QEMU "noisy". */
static void advance(fx *f)
{
	static const char *const argv[] = {"qemu-system-x86_64",
	                                   "-name",
	                                   "guest=noisy,debug-threads=on",
	                                   "-smp",
	                                   "2",
	                                   NULL};
	hvt_cputimes t[NCPU];
	kf_vcpu vc[2] = {{0}, {0}};
	kf_proc p = {0};

	f->tick += 10;
	for (unsigned c = 0; c < NCPU; c++) {
		hvt_default_cputimes(c, &t[c]);
		t[c].idle += f->tick;
	}
	assert_int_equal(0, hvt_build_procstat(f->h, NCPU, t, NULL));
	if (f->exited)
		return;
	f->ticks += 8;
	vc[0].tid = 4243;
	vc[0].state = 'R';
	vc[0].utime = f->ticks;
	vc[0].guest = f->ticks;
	vc[0].run_ns = f->ticks * 10000000ull;
	vc[1].tid = 4244;
	p.pid = 4242;
	p.comm = "qemu-system-x86";
	p.starttime = 500;
	p.utime = f->ticks;
	p.argv = argv;
	p.rss_pages = 1000;
	p.nvcpu = 2;
	p.vcpu = vc;
	assert_int_equal(0, f->ticks == 8 ? kf_write_proc(f->h->proc, &p)
	                                  : kf_update_proc(f->h->proc, &p));
}

static void nap(void)
{
	hvt_nap_ms(100);
}

static void put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int setup(void **st)
{
	const char *b = getenv("HVKIT_BUILD");
	fx *f;

	if (!b)
		return -1;
	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->bin, sizeof(f->bin), "%s/powerd/hv-powerd", b);
	f->h = hvt_host_new("pdnz");
	assert_non_null(f->h);
	assert_int_equal(0, hvt_build_intel_host(f->h, NCPU, 1));
	assert_int_equal(0, rdtf_intel(f->h, 0));
	advance(f);
	/* The domain's monitoring group (what hv-rdt would have made). */
	assert_int_equal(0, hvt_sys(f->h, RC "mon_groups/hvkit-4242/tasks",
	                            "4242\n4243\n4244\n"));
	for (unsigned d = 0; d < 2; d++) {
		assert_int_equal(0, rdtf_event(f->h, "mon_groups/hvkit-4242", d,
		                               "llc_occupancy", "15000000\n"));
		assert_int_equal(0, rdtf_event(f->h, "mon_groups/hvkit-4242", d,
		                               "mbm_total_bytes", "0\n"));
		assert_int_equal(0, rdtf_event(f->h, "mon_groups/hvkit-4242", d,
		                               "mbm_local_bytes", "0\n"));
	}
	f->schemata = hvt_read(f->h->sys, RC "schemata");
	assert_non_null(f->schemata);
	snprintf(f->conf, sizeof(f->conf), "%s/noisy.conf", f->h->root);
	put(f->conf, "[daemon]\nperiod = 0.2\nbackend = kvm\n"
	             "[noisy]\nenabled = yes\nllc_bytes = 20000000\n"
	             "hold = 0.4s\ncalm = 0.6s\ngone = 1s\nl3_mask = 0x3\n");
	snprintf(f->idle_conf, sizeof(f->idle_conf), "%s/idle.conf",
	         f->h->root);
	put(f->idle_conf, "[daemon]\nperiod = 0.2\nbackend = kvm\n");
	hvt_host_setenv(f->h);
	*st = f;
	return 0;
}

static int teardown(void **st)
{
	fx *f = *st;
	hvt_reap(f->pid, SIGKILL);
	free(f->schemata);
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

static bool exists(fx *f, const char *rel)
{
	char p[PATH_MAX + 64];
	struct stat sb;
	snprintf(p, sizeof(p), "%s/%s", f->h->sys, rel);
	return stat(p, &sb) == 0;
}

static bool restricted(fx *f)
{
	char *t = hvt_read(f->h->sys, RC "hvkit-restricted/tasks");
	bool r = t && strstr(t, "4243\n") && strstr(t, "4244\n");
	free(t);
	return r;
}

static void fail_with_log(fx *f, const char *what)
{
	char *j = hvt_read(f->h->run, "journal.jsonl");
	char *l = hvt_read(f->h->root, "daemon.log");
	print_error("%s; journal:\n%s\nlog:\n%s\n", what, j ? j : "-",
	            l ? l : "-");
	free(j);
	free(l);
	fail();
}

static void assert_tree_restored(fx *f)
{
	char *s = hvt_read(f->h->sys, RC "schemata");
	char *t = hvt_read(f->h->sys, RC "mon_groups/hvkit-4242/tasks");
	assert_false(exists(f, RC "hvkit-restricted"));
	assert_non_null(t);
	assert_non_null(strstr(t, "4243\n"));
	assert_string_equal(s, f->schemata);
	assert_false(hvt_read(f->h->run, "noisy.undo") != NULL);
	free(s);
	free(t);
}

/* The domain's occupancy over the threshold on both domains, then the
 * daemon started with the noisy policy on. */
static void start_over_threshold(fx *f, const char *flag)
{
	for (unsigned d = 0; d < 2; d++)
		assert_int_equal(0, rdtf_event(f->h, "mon_groups/hvkit-4242", d,
		                               "llc_occupancy", "30000000\n"));
	spawn(f, f->conf, flag);
}

/* The move recorded in noisy.undo: its last step done (the tasks are in
 * the class before the monitoring group follows them). */
static bool move_recorded(fx *f)
{
	char *u = hvt_read(f->h->run, "noisy.undo");
	bool done = u && strstr(u, "task ");
	free(u);
	return done;
}

static void wait_restricted(fx *f)
{
	for (int i = 0; i < 150 && !(restricted(f) && move_recorded(f)); i++) {
		advance(f);
		nap();
	}
	if (!restricted(f) || !move_recorded(f))
		fail_with_log(f, "domain not restricted");
}

/* Its wait status once it exited (time advancing meanwhile), -1 if it
 * did not within 100 naps. */
static int wait_exit(fx *f)
{
	int status = -1;

	for (int i = 0; i < 100; i++) {
		advance(f);
		nap();
		if (waitpid(f->pid, &status, WNOHANG) == f->pid)
			break;
	}
	return status;
}

static void test_sigterm_restores(void **st)
{
	fx *f = *st;
	int status = -1;

	/* Over the threshold from the start. */
	start_over_threshold(f, NULL);
	wait_restricted(f);
	char *s = hvt_read(f->h->sys, RC "hvkit-restricted/schemata");
	assert_non_null(s);
	assert_non_null(strstr(s, "L3:0=3;1=3"));
	free(s);
	assert_true(exists(f, RC "hvkit-restricted/mon_groups/hvkit-4242"));
	char *j = hvt_read(f->h->run, "journal.jsonl");
	assert_non_null(strstr(j, "restrict domain 4242"));
	assert_non_null(strstr(j, "create class hvkit-restricted"));
	free(j);
	/* Calm (1 MB, read from the group's new place under the class) for
	 * longer than calm: released, the monitoring group back at the
	 * root; the class stays until exit. */
	for (unsigned d = 0; d < 2; d++)
		assert_int_equal(0,
		                 rdtf_event(f->h,
		                            "hvkit-restricted/mon_groups/"
		                            "hvkit-4242",
		                            d, "llc_occupancy", "1000000\n"));
	/* The release makes the root group, then removes the class's: wait
	 * for both, not for the first alone. */
	for (int i = 0;
	     i < 150 &&
	     (!exists(f, RC "mon_groups/hvkit-4242") ||
	      exists(f, RC "hvkit-restricted/mon_groups/hvkit-4242"));
	     i++) {
		advance(f);
		nap();
	}
	if (!exists(f, RC "mon_groups/hvkit-4242"))
		fail_with_log(f, "domain not released");
	assert_false(exists(f, RC "hvkit-restricted/mon_groups/hvkit-4242"));
	j = hvt_read(f->h->run, "journal.jsonl");
	assert_non_null(strstr(j, "release domain 4242"));
	free(j);
	kill(f->pid, SIGTERM);
	status = wait_exit(f);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	f->pid = 0;
	assert_tree_restored(f);
}

static void test_kill9_then_restart(void **st)
{
	fx *f = *st;
	int status = -1;

	/* Killed once the move is complete and recorded (a kill in the
	 * middle is recovered from noisy.state: class removed, tasks in
	 * the root, monitoring group made again). */
	start_over_threshold(f, NULL);
	wait_restricted(f);
	kill(f->pid, SIGKILL);
	waitpid(f->pid, &status, 0);
	f->pid = 0;
	/* Left behind, with its undo record. */
	assert_true(exists(f, RC "hvkit-restricted"));
	char *u = hvt_read(f->h->run, "noisy.undo");
	assert_non_null(u);
	assert_non_null(strstr(u, "rmdir hvkit-restricted"));
	free(u);
	/* The next start (noisy off in its config) restores the tree. */
	spawn(f, f->idle_conf, "--once");
	status = wait_exit(f);
	f->pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_with_log(f, "restart failed");
	assert_tree_restored(f);
	char *j = hvt_read(f->h->run, "journal.jsonl");
	assert_non_null(strstr(j, "recovering noisy.undo"));
	free(j);
}

/* The guest exits while restricted: once `gone` has passed, its
 * restriction is undone (the class's monitoring group removed), and the
 * class goes at exit as always. */
static void test_exit_while_restricted(void **st)
{
	fx *f = *st;
	char proc[PATH_MAX + 8];
	char *j = NULL;
	int status;

	start_over_threshold(f, NULL);
	wait_restricted(f);
	f->exited = true;
	snprintf(proc, sizeof(proc), "%s/4242", f->h->proc);
	assert_int_equal(0, hvt_rmtree(proc));
	for (int i = 0; i < 100; i++) {
		advance(f);
		nap();
		free(j);
		j = hvt_read(f->h->run, "journal.jsonl");
		/* journalled first, then done */
		if (j && strstr(j, "release domain 4242: gone") &&
		    !exists(f, RC "hvkit-restricted/mon_groups/hvkit-4242"))
			break;
	}
	if (!j || !strstr(j, "release domain 4242: gone") ||
	    exists(f, RC "hvkit-restricted/mon_groups/hvkit-4242"))
		fail_with_log(f, "gone domain not released");
	free(j);
	/* Released once, not again at exit. */
	kill(f->pid, SIGTERM);
	status = wait_exit(f);
	f->pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_with_log(f, "exit failed");
	assert_false(exists(f, RC "hvkit-restricted"));
	assert_false(hvt_read(f->h->run, "noisy.undo") != NULL);
	j = hvt_read(f->h->run, "journal.jsonl");
	assert_null(strstr(j, "release domain 4242 (stop)"));
	assert_null(strstr(j, "failed"));
	free(j);
}

static void test_dry_run_touches_nothing(void **st)
{
	fx *f = *st;
	int status = -1;

	start_over_threshold(f, "--dry-run");
	char *j = NULL;
	for (int i = 0; i < 150; i++) {
		advance(f);
		nap();
		free(j);
		j = hvt_read(f->h->run, "journal.jsonl");
		if (j && strstr(j, "restrict domain 4242"))
			break;
	}
	if (!j || !strstr(j, "restrict domain 4242"))
		fail_with_log(f, "no dry-run decision");
	free(j);
	assert_false(exists(f, RC "hvkit-restricted"));
	kill(f->pid, SIGTERM);
	waitpid(f->pid, &status, 0);
	f->pid = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_tree_restored(f);
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test_setup_teardown(test_sigterm_restores, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_kill9_then_restart, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_exit_while_restricted, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_dry_run_touches_nothing, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
