/* SPDX-License-Identifier: MIT */
/* A fake QEMU monitor on a unix socket, served by a thread, for testing
 * the kvm backend's QMP client against good and bad monitors. */
#ifndef FAKEQMP_H
#define FAKEQMP_H

enum fq_mode {
	FQ_OK,      /* answers like QEMU */
	FQ_HANG,    /* accepts, never writes */
	FQ_GARBAGE, /* greeting, then garbage */
	FQ_CLOSE,   /* greeting, then half a reply and a hang-up */
	FQ_PRETTY,  /* answers like -qmp-pretty (multi-line) with events */
};

typedef struct fq_opts {
	enum fq_mode mode;
	const char *status; /* "running" (default), "paused", "shutdown" */
	int no_balloon;     /* query-balloon answers DeviceNotActive */
	int tids[4];        /* query-cpus-fast thread ids (0 = end) */
	/* query-stats (target vcpu, provider kvm): 0 = no such command
	 * (QEMU < 7.1), 1 = x86 counters of each vCPU in tids, vCPU i's
	 * scaled by i + 1 and by fq_set_scale (last vCPU first, as QEMU
	 * lists them), 2 = an empty list (a TCG guest) */
	int kvm_stats;
} fq_opts;

typedef struct fq fq;

fq *fq_start(const char *path, const fq_opts *o); /* NULL on failure */
int fq_connections(fq *f);                        /* accepted so far */
void fq_set_status(fq *f, const char *status);
void fq_set_scale(fq *f, int scale); /* query-stats values x scale */
void fq_stop(fq *f);

#endif
