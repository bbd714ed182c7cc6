/* SPDX-License-Identifier: MIT */
/* kvm_churn: QEMU-like processes stopped (SIGSTOP) or killed while the kvm
 * backend samples the real /proc, 1,000 times in a loop. Every sample must
 * attribute each of our guests to the right process (pid, -smp, -m, vCPU
 * threads of that pid), and this process's open fds must come back to
 * where they were once the guests are gone (no stale fd kept, none
 * leaked).
 *
 *   kvm_churn [rounds=1000] [alive=4]
 *
 * The children look like QEMU to the backend as bench_kvm --live's do:
 * comm "qemu-system-x86", argv "qemu-system-x86_64 -name guest=...,
 * debug-threads=on -smp V -m M", vCPU threads named "CPU n/KVM". Guest i
 * has V = 1 + i % 4 vCPUs and M = 64 + i % 64 MiB, so a figure read from
 * another guest's file shows. Other QEMUs on the machine are ignored (their
 * names do not carry our prefix). Exit 0 pass, 1 fail, 77 no kvm backend. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hv/backend.h"
#include "hv/sample.h"

#define CHILD_FLAG "--hvkit-churn-child"
#define MAXR 100000

static atomic_int g_pid[MAXR]; /* guest i -> pid (0: not started) */
static atomic_int g_stop;
static atomic_long g_samples, g_seen, g_bad;
static char g_prefix[32];

static void *vcpu_thread(void *p)
{
	char name[16];
	snprintf(name, sizeof(name), "CPU %d/KVM", (int)(intptr_t)p);
	prctl(PR_SET_NAME, name);
	for (;;)
		pause();
	return NULL;
}

static int child_main(int argc, char **argv)
{
	int nv = atoi(argv[4]);
	pthread_attr_t at;
	(void)argc;
	prctl(PR_SET_NAME, "qemu-system-x86");
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 64 * 1024);
	for (int i = 0; i < nv; i++) {
		pthread_t th;
		if (pthread_create(&th, &at, vcpu_thread, (void *)(intptr_t)i))
			return 3;
	}
	for (;;)
		pause();
}

static int nfds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", ".." and the DIR's own fd */
}

static pid_t spawn(int i)
{
	char name[64], smp[16], mem[16];
	char *const cargv[] = {"qemu-system-x86_64",
	                       "-name",
	                       name,
	                       "-smp",
	                       smp,
	                       "-m",
	                       mem,
	                       "-accel",
	                       "kvm",
	                       CHILD_FLAG,
	                       NULL};
	snprintf(name, sizeof(name), "guest=%s%d,debug-threads=on", g_prefix,
	         i);
	snprintf(smp, sizeof(smp), "%d", 1 + i % 4);
	snprintf(mem, sizeof(mem), "%d", 64 + i % 64);
	pid_t pid = fork();
	if (pid == 0) {
		execv("/proc/self/exe", cargv);
		_exit(127);
	}
	return pid;
}

/* tid is a thread of pid, or already gone (then it cannot be checked). */
static int thread_of(int tid, int pid)
{
	char p[64], line[128];
	snprintf(p, sizeof(p), "/proc/%d/status", tid);
	FILE *f = fopen(p, "re");
	int ok = 1;
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Tgid:", 5))
			ok = atoi(line + 5) == pid;
	fclose(f);
	return ok;
}

static void check(const hv_snap *s)
{
	size_t plen = strlen(g_prefix);
	for (size_t k = 0; k < hv_snap_ndom(s); k++) {
		const hv_dom *d = hv_snap_dom(s, k);
		if (strncmp(d->name, g_prefix, plen))
			continue;
		int i = atoi(d->name + plen), bad = 0;
		atomic_fetch_add(&g_seen, 1);
		if (i < 0 || i >= MAXR || (int)d->id != atomic_load(&g_pid[i]))
			bad = 1;
		else if (d->nr_vcpus != (uint32_t)(1 + i % 4))
			bad = 2;
		else if (hv_ok(d->maxmem_kib) &&
		         d->maxmem_kib.v != (uint64_t)(64 + i % 64) * 1024)
			bad = 3;
		for (uint32_t v = 0; !bad && v < d->nr_vcpu; v++)
			if (d->vcpu[v].tid > 0 &&
			    !thread_of(d->vcpu[v].tid, (int)d->id))
				bad = 4;
		if (bad) {
			fprintf(
			    stderr,
			    "FAIL: %s shown as pid %u (spawned %d), %u vCPUs, "
			    "maxmem %llu KiB: check %d\n",
			    d->name, d->id, i >= 0 && i < MAXR ? g_pid[i] : -1,
			    d->nr_vcpus, (unsigned long long)d->maxmem_kib.v,
			    bad);
			atomic_fetch_add(&g_bad, 1);
		}
	}
}

static void *sampler(void *arg)
{
	hv_backend *b = arg;
	while (!atomic_load(&g_stop)) {
		hv_snap *s = NULL;
		hv_err err = {0};
		if (hv_backend_sample(b, &s, &err) == 0) {
			check(s);
			atomic_fetch_add(&g_samples, 1);
		}
		hv_snap_unref(s);
	}
	return NULL;
}

static void reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void pause_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	nanosleep(&ts, NULL);
}

/* Sample once more, alone, so the backend forgets the guests gone. */
static void settle(hv_backend *b)
{
	for (int k = 0; k < 3; k++) {
		hv_snap *s = NULL;
		hv_err err = {0};
		if (hv_backend_sample(b, &s, &err) == 0)
			check(s);
		hv_snap_unref(s);
	}
}

int main(int argc, char **argv)
{
	if (argc > 9 && !strcmp(argv[9], CHILD_FLAG))
		return child_main(argc, argv);
	int rounds = argc > 1 ? atoi(argv[1]) : 1000;
	int alive = argc > 2 ? atoi(argv[2]) : 4;
	hv_env env;
	hv_err err = {0};
	hv_backend_opts o = {.name = "kvm", .qmp_timeout_ms = 1};
	hv_backend *b = NULL;
	pthread_t th;
	if (rounds < 1 || rounds > MAXR || alive < 1)
		return 2;
	snprintf(g_prefix, sizeof(g_prefix), "churn%d-", (int)getpid());
	if (hv_env_init(&env, &err) || hv_backend_open(&env, &o, &b, &err)) {
		printf("SKIP: kvm backend: %s\n", err.msg);
		hv_backend_close(b);
		return 77;
	}
	settle(b);
	int fd0 = nfds();
	pthread_create(&th, NULL, sampler, b);
	unsigned seed = (unsigned)getpid();
	int fdmax = fd0;
	for (int i = 0; i < rounds; i++) {
		atomic_store(&g_pid[i], spawn(i));
		int v = i - alive;
		if (v >= 0) {
			pid_t p = atomic_load(&g_pid[v]);
			/* Half are stopped first and killed a round later,
			 * sampled while stopped; half die at once. */
			if (v % 2 == 0)
				kill(p, SIGSTOP);
			else
				kill(p, SIGKILL);
			if (v >= 1 && (v - 1) % 2 == 0)
				kill(atomic_load(&g_pid[v - 1]), SIGKILL);
		}
		pause_us(500 + rand_r(&seed) % 3000); /* lands mid-sample */
		reap();
		int n = nfds();
		if (n > fdmax)
			fdmax = n;
	}
	for (int v = rounds - alive - 1; v < rounds; v++)
		if (v >= 0)
			kill(atomic_load(&g_pid[v]), SIGKILL);
	atomic_store(&g_stop, 1);
	pthread_join(th, NULL);
	for (int k = 0; k < 50; k++) {
		reap();
		pause_us(10000);
	}
	settle(b);
	int fd1 = nfds();
	hv_backend_close(b);
	printf(
	    "kvm_churn: %d guests started, stopped or killed while sampling; "
	    "%ld samples, %ld guest rows checked, %ld wrong; fds %d -> max "
	    "%d -> %d\n",
	    rounds, atomic_load(&g_samples), atomic_load(&g_seen),
	    atomic_load(&g_bad), fd0, fdmax, fd1);
	int rc = 0;
	if (atomic_load(&g_bad))
		rc = 1;
	if (fd1 > fd0) {
		printf("FAIL: %d fds left open after the guests are gone\n",
		       fd1 - fd0);
		rc = 1;
	}
	if (atomic_load(&g_seen) < rounds / 2) {
		printf("FAIL: our guests were seen in only %ld rows\n",
		       atomic_load(&g_seen));
		rc = 1;
	}
	if (!rc)
		printf("1 passed, 0 failed\n");
	return rc;
}
