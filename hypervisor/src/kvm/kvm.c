/* SPDX-License-Identifier: MIT */
/* The kvm backend: every QEMU process on the host is a domain.
 *
 * Per sample: list /proc (one getdents pass), keep a per-pid cache keyed by
 * (pid, starttime) so only new pids are classified and only new QEMUs have
 * their command line parsed; read each guest's counters through file
 * descriptors kept open between samples (pread), within an fd budget; ask
 * all QMP monitors at once with one deadline, overlapped with the procfs
 * reads. See docs/arch/kvm.md. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv/backend.h"
#include "hv/platform.h"
#include "hv/sysio.h"
#include "kvm/kvm_int.h"

#define PF_KTHREAD 0x00200000u
#define NET_NSTAT 8
#define RESCAN_PERIOD 64 /* samples between thread/tap re-discovery */
#define AFF_PERIOD HV_KVM_AFF_PERIOD
#define AFF_BITS 8192
#define HV_NETNS_LEN 48

static const char *const net_stat_file[NET_NSTAT] = {
    "rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
    "tx_bytes", "tx_packets", "tx_errors", "tx_dropped",
};

struct kvcpu {
	int idx;
	int32_t tid;
	int fd_stat, fd_sched, fd_status;
	/* this sample */
	bool ok;
	char state;
	int32_t pcpu;
	hv_u64 time, guest, wait;
	/* affinity: status is read when the thread is found, then once per
	 * k->aff_period samples (staggered by tid), and at once when the
	 * thread ran outside the mask; reparsed only when the text changes */
	bool aff_read;
	char aff_text[128];
	bool aff_any, aff_ok;
	uint64_t *aff; /* nbits = kvm->nbits */
};

struct knet {
	char name[HV_IFNAME_LEN];
	int fd[NET_NSTAT];
	uint64_t v[NET_NSTAT]; /* host side, in net_stat_file order */
	bool ok[NET_NSTAT];
	bool gone;
	bool sysfs; /* last read from sysfs files (8 fds), not net/dev */
};

struct kguest {
	uint32_t pid;
	uint64_t starttime;
	uint64_t key;
	int dfd; /* /proc/PID: openat through it never reaches a new process */
	int fd_stat, fd_io;
	struct hv_kvm_cmd cmd;
	struct kvcpu *vcpu;
	uint32_t nvcpu;
	bool vcpu_named;     /* found by thread name */
	bool need_qmp_cpus;  /* ask query-cpus-fast for thread ids */
	uint64_t threads_at; /* seq of the next thread rescan */
	struct knet *net;
	uint32_t nnet;
	bool net_scanned;
	uint64_t net_at;
	char netns[HV_NETNS_LEN]; /* ns/net link target, "" = unknown */
	int fd_netdev;            /* <procfs>/PID/net/dev: its own view */
	int nsi;                  /* this sample's k->ns entry, -1 = none */
	hv_kvm_qmp *qmp;
	uint64_t qmp_find_at; /* next look in qmp_dirs */
	bool qmp_last_ok;     /* last round answered: block from QMP */
	char (*blk_name)[HV_DEVNAME_LEN]; /* last QMP device list */
	uint32_t nblk_name;
	/* this sample */
	bool alive;
	struct hv_kvm_stat st;
	hv_u64 rss_kib;
	bool io_ok;
	struct hv_kvm_io io;
};

struct pent {
	uint32_t pid; /* 0 = empty slot */
	uint32_t comm_hash;
	uint64_t starttime;
	uint64_t first_seq;
	bool kthread;
	struct kguest *g; /* NULL: not QEMU */
};

struct ptab {
	struct pent *e;
	size_t cap; /* power of two */
};

struct ndent {
	char name[HV_IFNAME_LEN]; /* "" = empty slot */
	uint64_t v[NET_NSTAT];    /* in net_stat_file order */
};

/* One network namespace seen this sample: its net/dev, read once through
 * the first guest in it. */
struct kns {
	char id[HV_NETNS_LEN]; /* "net:[4026531840]", or "?PID" if unknown */
	struct ndent *nd;
	size_t ndslots;
	bool ok;
};

struct kvm {
	hv_env env;
	hv_plat *plat;
	hv_err plat_err;
	int procfd; /* HVKIT_PROCFS root */
	DIR *procdir;
	int netdfd; /* <sysfs>/class/net, -1 if absent */
	/* Taps live in their QEMU's network namespace: one read of a
	 * PID/net/dev per namespace gives every tap's counters there. */
	char self_ns[HV_NETNS_LEN]; /* ours, "" = unknown */
	char *ndbuf;
	size_t ndcap;
	struct kns *ns; /* this sample's namespaces; slots reused */
	size_t nns, ns_cap;
	char qmp_dirs[1024];
	int qmp_timeout_ms;
	uint64_t tick_ns;
	uint64_t page_kib;
	uint64_t seq;
	unsigned nfds, fd_budget;
	unsigned nqmp; /* monitor sockets open during a round (last sample) */
	/* Keep status fds (read one sample in AFF_PERIOD) only when every
	 * counter file of the sample fits the budget as well. */
	bool keep_status;
	uint64_t now_ns, prev_ns; /* this and the last sample's start */
	uint64_t aff_max_ns;      /* oldest affinity shown */
	uint32_t aff_period;      /* AFF_PERIOD, fewer if samples are slow */
	uint32_t nbits;           /* affinity bitmap size = host nr_pcpu */
	struct ptab tab;
	struct kguest **live; /* guests of this sample, pid order */
	size_t nlive, live_cap;
	uint32_t *pids;
	size_t npids, pids_cap;
	void (*hook)(void *, int);
	void *hook_arg;
};

/* snprintf(dst, size, "%s", src) without the format machinery: it ran
 * several times per guest per sample. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t l = strnlen(src, size - 1);

	memcpy(dst, src, l);
	dst[l] = '\0';
}

/* ---- cached file reads within the fd budget ---- */

static void kclose(struct kvm *k, int *fdp)
{
	if (*fdp >= 0) {
		close(*fdp);
		k->nfds--;
		*fdp = -1;
	}
}

/* One pread: kernel text files (seq_file, sysfs) hand out everything
 * that fits in one call, so a short read is the whole file and the EOF
 * probe hv_pread_all would add (a second syscall per file) is skipped. */
static ssize_t pread_once(int fd, char *buf, size_t len, const char *what)
{
	ssize_t r;

	do {
		r = pread(fd, buf, len - 1, 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		buf[0] = '\0';
		return -errno;
	}
	if ((size_t)r == len - 1) /* may be longer: read it all */
		return hv_pread_all(fd, buf, len, what, NULL);
	buf[r] = '\0';
	return r;
}

/* Read dirfd/rel through *fdp, opening it (and keeping it when the budget
 * allows). Returns bytes or -errno. */
static ssize_t kread(struct kvm *k, int *fdp, int dirfd, const char *rel,
                     char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if (*fdp >= 0) {
		n = pread_once(*fdp, buf, len, rel);
		return n;
	}
	fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread_once(fd, buf, len, rel);
	/* Leave room for every QMP socket of a round. */
	if (n >= 0 && k->nfds + k->nqmp < k->fd_budget) {
		*fdp = fd;
		k->nfds++;
	} else {
		close(fd);
	}
	return n;
}

/* kread of task/TID/LEAF: the path is only formatted when no fd is
 * cached (a steady sample formats none). */
static ssize_t kread_task(struct kvm *k, int *fdp, const struct kguest *g,
                          int32_t tid, const char *leaf, char *buf, size_t len)
{
	char rel[64];

	if (*fdp >= 0)
		return pread_once(*fdp, buf, len, leaf);
	snprintf(rel, sizeof(rel), "task/%d/%s", tid, leaf);
	return kread(k, fdp, g->dfd, rel, buf, len);
}

static ssize_t read_once(int dirfd, const char *rel, char *buf, size_t len)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		buf[0] = '\0';
		return -errno;
	}
	n = pread_once(fd, buf, len, rel);
	close(fd);
	return n;
}

static bool vanished(ssize_t rc)
{
	return rc == -ENOENT || rc == -ESRCH;
}

/* ---- guests ---- */

static void vcpu_close(struct kvm *k, struct kvcpu *v)
{
	kclose(k, &v->fd_stat);
	kclose(k, &v->fd_sched);
	kclose(k, &v->fd_status);
	free(v->aff);
	v->aff = NULL;
}

static void net_close(struct kvm *k, struct knet *n)
{
	for (int i = 0; i < NET_NSTAT; i++)
		kclose(k, &n->fd[i]);
}

static void guest_free(struct kvm *k, struct kguest *g)
{
	if (!g)
		return;
	for (uint32_t i = 0; i < g->nvcpu; i++)
		vcpu_close(k, &g->vcpu[i]);
	free(g->vcpu);
	for (uint32_t i = 0; i < g->nnet; i++)
		net_close(k, &g->net[i]);
	free(g->net);
	kclose(k, &g->fd_stat);
	kclose(k, &g->fd_io);
	kclose(k, &g->fd_netdev);
	if (g->dfd >= 0) {
		close(g->dfd);
		k->nfds--;
	}
	hv_kvm_qmp_free(g->qmp);
	free(g->blk_name);
	free(g);
}

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static bool exe_is_qemu(struct kvm *k, uint32_t pid)
{
	char rel[32], link[512];
	ssize_t n;
	const char *base;

	snprintf(rel, sizeof(rel), "%u/exe", pid);
	n = readlinkat(k->procfd, rel, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	/* An upgraded binary shows as "... (deleted)". */
	if (n > 10 && strcmp(link + n - 10, " (deleted)") == 0)
		link[n - 10] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	return hv_kvm_is_qemu_name(base);
}

static struct kguest *guest_new(struct kvm *k, uint32_t pid,
                                const struct hv_kvm_stat *st)
{
	char rel[32];
	char *cmd = NULL;
	struct kguest *g = NULL;
	int dfd;
	ssize_t n;

	snprintf(rel, sizeof(rel), "%u", pid);
	dfd = openat(k->procfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return NULL;
	cmd = malloc(65536);
	g = calloc(1, sizeof(*g));
	if (!cmd || !g)
		goto fail;
	n = read_once(dfd, "cmdline", cmd, 65536);
	/* A zombie or a process mid-exec has an empty command line. */
	if (n <= 0 || hv_kvm_parse_cmdline(cmd, (size_t)n, &g->cmd))
		goto fail;
	free(cmd);
	g->pid = pid;
	g->starttime = st->starttime;
	g->key = hv_kvm_key(pid, st->starttime);
	g->dfd = dfd;
	k->nfds++;
	g->fd_stat = g->fd_io = g->fd_netdev = -1;
	g->nsi = -1;
	g->st = *st;
	g->threads_at = k->seq; /* scan now */
	g->net_at = k->seq;
	g->qmp_find_at = k->seq;
	if (!g->cmd.name[0])
		snprintf(g->cmd.name, sizeof(g->cmd.name), "qemu-%u", pid);
	return g;
fail:
	close(dfd);
	free(cmd);
	free(g);
	return NULL;
}

/* Read pid's stat without a cached fd and decide whether it is QEMU. */
static int classify(struct kvm *k, struct pent *e)
{
	char rel[32], buf[1024];
	struct hv_kvm_stat st;
	uint32_t h;
	bool qemu;

	snprintf(rel, sizeof(rel), "%u/stat", e->pid);
	if (read_once(k->procfd, rel, buf, sizeof(buf)) <= 0 ||
	    hv_kvm_parse_stat_to(buf, &st, 24))
		return -ENOENT;
	e->starttime = st.starttime;
	if (st.flags & PF_KTHREAD) {
		e->kthread = true;
		return 0;
	}
	h = str_hash(st.comm);
	qemu = hv_kvm_is_qemu_name(st.comm);
	/* comm may be renamed (-name process=); the exe tells. Only look when
	 * comm changed since the last look (an exec changes it). */
	if (!qemu && (h != e->comm_hash || e->first_seq == k->seq))
		qemu = exe_is_qemu(k, e->pid);
	e->comm_hash = h;
	if (qemu)
		e->g = guest_new(k, e->pid, &st);
	return 0;
}

/* ---- pid table ---- */

static struct pent *tab_find(struct ptab *t, uint32_t pid)
{
	if (!t->cap)
		return NULL;
	for (size_t i = (pid * 2654435761u) & (t->cap - 1);;
	     i = (i + 1) & (t->cap - 1)) {
		if (t->e[i].pid == pid)
			return &t->e[i];
		if (t->e[i].pid == 0)
			return NULL;
	}
}

static struct pent *tab_slot(struct ptab *t, uint32_t pid)
{
	for (size_t i = (pid * 2654435761u) & (t->cap - 1);;
	     i = (i + 1) & (t->cap - 1))
		if (t->e[i].pid == 0 || t->e[i].pid == pid)
			return &t->e[i];
}

static int list_pids(struct kvm *k)
{
	struct dirent *de;

	k->npids = 0;
	rewinddir(k->procdir);
	while ((de = readdir(k->procdir))) {
		const char *s = de->d_name;
		uint32_t pid = 0;
		if (*s < '1' || *s > '9')
			continue;
		for (; *s >= '0' && *s <= '9'; s++)
			pid = pid * 10 + (uint32_t)(*s - '0');
		if (*s || pid == 0)
			continue;
		if (k->npids == k->pids_cap) {
			size_t nc = k->pids_cap ? k->pids_cap * 2 : 1024;
			uint32_t *np = realloc(k->pids, nc * sizeof(*np));
			if (!np)
				return -ENOMEM;
			k->pids = np;
			k->pids_cap = nc;
		}
		k->pids[k->npids++] = pid;
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int live_push(struct kvm *k, struct kguest *g)
{
	if (k->nlive == k->live_cap) {
		size_t nc = k->live_cap ? k->live_cap * 2 : 64;
		struct kguest **nl = realloc(k->live, nc * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		k->live = nl;
		k->live_cap = nc;
	}
	k->live[k->nlive++] = g;
	return 0;
}

/* Read the main stat of a known guest; false when it is gone or the pid
 * now belongs to another process. */
static bool guest_stat(struct kvm *k, struct kguest *g)
{
	char buf[1024];
	ssize_t n = kread(k, &g->fd_stat, g->dfd, "stat", buf, sizeof(buf));
	struct hv_kvm_stat st;

	if (n <= 0 || hv_kvm_parse_stat_to(buf, &st, 24))
		return false;
	if (st.starttime != g->starttime)
		return false;
	g->st = st;
	return true;
}

/* Phase 1: list /proc, carry the cache over, classify new pids. */
static int discover(struct kvm *k)
{
	struct ptab nt = {0};
	bool holes = false;
	int rc = list_pids(k);

	if (rc)
		return rc;
	if (k->npids > 1) /* k->pids is NULL until a pid was seen */
		qsort(k->pids, k->npids, sizeof(*k->pids), cmp_u32);
	nt.cap = 64;
	while (nt.cap < k->npids * 2)
		nt.cap *= 2;
	nt.e = calloc(nt.cap, sizeof(*nt.e));
	if (!nt.e)
		return -ENOMEM;
	k->nlive = 0;
	for (size_t i = 0; i < k->npids; i++) {
		uint32_t pid = k->pids[i];
		struct pent *o = tab_find(&k->tab, pid);
		struct pent *e = tab_slot(&nt, pid);
		bool check = false;

		if (o) {
			*e = *o;
			o->g = NULL; /* moved */
			if (e->g && !guest_stat(k, e->g)) {
				/* Exited, or the pid was reused: a new
				 * process gets a new key. */
				guest_free(k, e->g);
				e->g = NULL;
				e->first_seq = k->seq;
				e->comm_hash = 0;
				check = true;
			} else if (!e->g && !e->kthread) {
				/* exec can turn any process into QEMU: look
				 * again at young pids always, old ones in
				 * turn. */
				check = k->seq - e->first_seq < 5 ||
				        ((pid + k->seq) % 16) == 0;
			}
		} else {
			memset(e, 0, sizeof(*e));
			e->pid = pid;
			e->first_seq = k->seq;
			check = true;
		}
		if (check && classify(k, e) < 0) {
			/* Gone between listing and reading. */
			memset(e, 0, sizeof(*e));
			holes = true;
			continue;
		}
		if (e->g && live_push(k, e->g)) {
			rc = -ENOMEM;
			break;
		}
	}
	/* Guests not carried over have exited. */
	for (size_t i = 0; i < k->tab.cap; i++)
		if (k->tab.e[i].pid && k->tab.e[i].g)
			guest_free(k, k->tab.e[i].g);
	free(k->tab.e);
	k->tab = nt;
	/* Empty slots left by vanished pids break probing chains: rebuild. */
	if (rc == 0 && holes) {
		struct ptab t2 = {.cap = nt.cap};
		t2.e = calloc(t2.cap, sizeof(*t2.e));
		if (!t2.e)
			return -ENOMEM;
		for (size_t i = 0; i < nt.cap; i++)
			if (nt.e[i].pid)
				*tab_slot(&t2, nt.e[i].pid) = nt.e[i];
		free(nt.e);
		k->tab = t2;
	}
	return rc;
}

/* ---- threads (vCPUs) ---- */

static int cmp_vcpu(const void *a, const void *b)
{
	const struct kvcpu *x = a, *y = b;

	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void set_vcpus(struct kvm *k, struct kguest *g, struct kvcpu *nv,
                      uint32_t n)
{
	/* Keep open fds of threads we already knew. */
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t j = 0; j < g->nvcpu; j++) {
			if (g->vcpu[j].tid == nv[i].tid &&
			    g->vcpu[j].tid != 0) {
				int idx = nv[i].idx;
				nv[i] = g->vcpu[j];
				nv[i].idx = idx;
				g->vcpu[j].fd_stat = g->vcpu[j].fd_sched =
				    g->vcpu[j].fd_status = -1;
				g->vcpu[j].aff = NULL;
				g->vcpu[j].tid = 0;
				break;
			}
		}
	}
	for (uint32_t j = 0; j < g->nvcpu; j++)
		vcpu_close(k, &g->vcpu[j]);
	free(g->vcpu);
	qsort(nv, n, sizeof(*nv), cmp_vcpu);
	g->vcpu = nv;
	g->nvcpu = n;
}

static struct kvcpu vcpu_init(int idx, int32_t tid)
{
	struct kvcpu v = {.idx = idx, .tid = tid};

	v.fd_stat = v.fd_sched = v.fd_status = -1;
	v.pcpu = -1;
	return v;
}

static void scan_threads(struct kvm *k, struct kguest *g)
{
	int tfd = openat(g->dfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	struct kvcpu *nv = NULL;
	uint32_t n = 0, cap = 0;

	g->threads_at = k->seq + RESCAN_PERIOD + g->pid % RESCAN_PERIOD;
	if (tfd < 0)
		return;
	d = fdopendir(tfd);
	if (!d) {
		close(tfd);
		return;
	}
	while ((de = readdir(d))) {
		char rel[64], comm[64];
		unsigned long tid;
		char *end;
		int idx;
		ssize_t r;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		tid = strtoul(de->d_name, &end, 10);
		if (*end || tid > INT32_MAX)
			continue;
		snprintf(rel, sizeof(rel), "%s/comm", de->d_name);
		r = read_once(tfd, rel, comm, sizeof(comm));
		if (r <= 0)
			continue;
		comm[strcspn(comm, "\n")] = '\0';
		idx = hv_kvm_vcpu_index(comm);
		if (idx < 0)
			continue;
		if (n == cap) {
			uint32_t nc = cap ? cap * 2 : 8;
			struct kvcpu *t = realloc(nv, nc * sizeof(*t));
			if (!t)
				break;
			nv = t;
			cap = nc;
		}
		nv[n++] = vcpu_init(idx, (int32_t)tid);
	}
	closedir(d);
	if (n) {
		g->vcpu_named = true;
		g->need_qmp_cpus = false;
		set_vcpus(k, g, nv, n);
	} else {
		free(nv);
		/* Threads unnamed (no debug-threads=on): QMP knows them. */
		if (!g->vcpu_named && g->nvcpu == 0)
			g->need_qmp_cpus = true;
	}
	/* Fewer than configured (still starting, hot-plug): look sooner. */
	if (g->nvcpu < g->cmd.smp)
		g->threads_at = k->seq + 8;
}

static void qmp_cpus(struct kvm *k, struct kguest *g, const cJSON *ret)
{
	const cJSON *c;
	struct kvcpu *nv;
	uint32_t n = 0, cap = (uint32_t)cJSON_GetArraySize(ret);

	if (!cJSON_IsArray(ret) || cap == 0 || cap > 65536)
		return;
	nv = calloc(cap, sizeof(*nv));
	if (!nv)
		return;
	cJSON_ArrayForEach(c, ret)
	{
		const cJSON *ix =
		    cJSON_GetObjectItemCaseSensitive(c, "cpu-index");
		const cJSON *th =
		    cJSON_GetObjectItemCaseSensitive(c, "thread-id");
		if (n < cap && cJSON_IsNumber(ix) && cJSON_IsNumber(th) &&
		    ix->valuedouble >= 0 && th->valuedouble > 0 &&
		    th->valuedouble <= INT32_MAX)
			nv[n++] = vcpu_init((int)ix->valuedouble,
			                    (int32_t)th->valuedouble);
	}
	g->need_qmp_cpus = false;
	if (!n) {
		free(nv);
		return;
	}
	set_vcpus(k, g, nv, n);
}

static void read_affinity(struct kvm *k, struct kvcpu *v, const char *status)
{
	char list[1024];
	uint64_t bits[AFF_BITS / 64];
	size_t words = (k->nbits + 63) / 64;
	bool any = true;

	if (hv_kvm_status_field(status, "Cpus_allowed_list", list,
	                        sizeof(list))) {
		v->aff_ok = false;
		return;
	}
	if (v->aff_ok && strlen(list) < sizeof(v->aff_text) &&
	    strcmp(list, v->aff_text) == 0)
		return; /* unchanged */
	v->aff_ok = false;
	if (hv_parse_cpulist(list, bits, AFF_BITS))
		return;
	for (uint32_t i = 0; i < k->nbits; i++)
		if (!(bits[i / 64] & (1ULL << (i % 64))))
			any = false;
	free(v->aff);
	v->aff = NULL;
	if (!any && words) {
		v->aff = malloc(words * sizeof(uint64_t));
		if (!v->aff)
			return;
		memcpy(v->aff, bits, words * sizeof(uint64_t));
		if (k->nbits % 64)
			v->aff[words - 1] &= (1ULL << (k->nbits % 64)) - 1;
	}
	v->aff_any = any;
	v->aff_ok = true;
	snprintf(v->aff_text, sizeof(v->aff_text), "%s",
	         strlen(list) < sizeof(v->aff_text) ? list : "");
}

/* Did the thread last run on a pCPU its known mask excludes? Then the
 * mask changed since it was read. */
static bool ran_outside(const struct kvm *k, const struct kvcpu *v)
{
	uint32_t c = (uint32_t)v->pcpu;

	if (!v->aff_ok || v->aff_any || !v->aff || v->pcpu < 0 || c >= k->nbits)
		return false;
	return !((v->aff[c / 64] >> (c % 64)) & 1);
}

static void read_vcpu(struct kvm *k, struct kguest *g, struct kvcpu *v)
{
	char buf[4096];
	struct hv_kvm_stat st;
	uint64_t run, wait;
	ssize_t n;

	v->ok = false;
	v->time = v->guest = v->wait = hv_na(HV_NA_UNAVAILABLE);
	v->pcpu = -1;
	v->state = 0;
	n = kread_task(k, &v->fd_stat, g, v->tid, "stat", buf, sizeof(buf));
	if (n <= 0 || hv_kvm_parse_stat(buf, &st)) {
		if (n <= 0) {
			g->threads_at = k->seq + 1; /* thread gone: rescan */
			if (!g->vcpu_named)
				g->need_qmp_cpus = true;
		} else
			v->time = v->guest = hv_na(HV_NA_ERROR);
		return;
	}
	v->ok = true;
	v->state = st.state;
	v->pcpu = st.processor;
	v->time = hv_val((st.utime + st.stime) * k->tick_ns);
	v->guest = st.has_guest ? hv_val(st.guest_time * k->tick_ns)
	                        : hv_na(HV_NA_UNSUPPORTED);
	n = kread_task(k, &v->fd_sched, g, v->tid, "schedstat", buf,
	               sizeof(buf));
	if (n > 0 && !hv_kvm_parse_schedstat(buf, &run, &wait))
		v->wait = hv_val(wait);
	else
		v->wait = hv_na(n > 0 ? HV_NA_ERROR : HV_NA_UNSUPPORTED);
	if (v->aff_read && (k->seq + (uint32_t)v->tid) % k->aff_period &&
	    !ran_outside(k, v))
		return;
	v->aff_read = true;
	if (k->keep_status) {
		n = kread_task(k, &v->fd_status, g, v->tid, "status", buf,
		               sizeof(buf));
	} else {
		char rel[64];
		kclose(k, &v->fd_status); /* the budget went to counters */
		snprintf(rel, sizeof(rel), "task/%d/status", v->tid);
		n = read_once(g->dfd, rel, buf, sizeof(buf));
	}
	if (n > 0)
		read_affinity(k, v, buf);
	else
		v->aff_ok = false;
}

/* ---- taps ---- */

static int cmp_net(const void *a, const void *b)
{
	return strcmp(((const struct knet *)a)->name,
	              ((const struct knet *)b)->name);
}

static bool safe_ifname(const char *s)
{
	if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (*s == '/' || (unsigned char)*s <= ' ')
			return false;
	return true;
}

static void scan_net(struct kvm *k, struct kguest *g)
{
	int dfd = openat(g->dfd, "fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	struct knet *nn = NULL;
	uint32_t n = 0, cap = 0;

	char ns[HV_NETNS_LEN];
	ssize_t nl = readlinkat(g->dfd, "ns/net", ns, sizeof(ns) - 1);

	g->net_scanned = true;
	g->net_at = k->seq + RESCAN_PERIOD + g->pid % RESCAN_PERIOD;
	ns[nl > 0 ? nl : 0] = '\0';
	if (strcmp(ns, g->netns) != 0) {
		/* Moved (setns): its net/dev view must be reopened. */
		kclose(k, &g->fd_netdev);
		snprintf(g->netns, sizeof(g->netns), "%s", ns);
	}
	if (dfd < 0)
		return;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		char buf[2048], name[64];
		bool dup = false;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (read_once(dfd, de->d_name, buf, sizeof(buf)) <= 0)
			continue;
		if (hv_kvm_status_field(buf, "iff", name, sizeof(name)) ||
		    strlen(name) >= HV_IFNAME_LEN || !safe_ifname(name))
			continue;
		for (uint32_t i = 0; i < n; i++)
			if (strcmp(nn[i].name, name) == 0)
				dup = true; /* multiqueue: one fd per queue */
		if (dup)
			continue;
		if (n == cap) {
			uint32_t nc = cap ? cap * 2 : 4;
			struct knet *t = realloc(nn, nc * sizeof(*t));
			if (!t)
				break;
			nn = t;
			cap = nc;
		}
		memset(&nn[n], 0, sizeof(nn[n]));
		snprintf(nn[n].name, sizeof(nn[n].name), "%s", name);
		for (int s = 0; s < NET_NSTAT; s++)
			nn[n].fd[s] = -1;
		n++;
	}
	closedir(d);
	/* Keep fds of taps we already had. */
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < g->nnet; j++)
			if (strcmp(nn[i].name, g->net[j].name) == 0) {
				memcpy(nn[i].fd, g->net[j].fd,
				       sizeof(nn[i].fd));
				for (int s = 0; s < NET_NSTAT; s++)
					g->net[j].fd[s] = -1;
			}
	for (uint32_t j = 0; j < g->nnet; j++)
		net_close(k, &g->net[j]);
	free(g->net);
	if (n)
		qsort(nn, n, sizeof(*nn), cmp_net);
	g->net = nn;
	g->nnet = n;
}

static uint32_t str_hash(const char *s);

static struct ndent *nd_slot(struct kns *e, const char *name)
{
	size_t m = e->ndslots - 1;

	for (size_t i = str_hash(name) & m;; i = (i + 1) & m)
		if (!e->nd[i].name[0] || strcmp(e->nd[i].name, name) == 0)
			return &e->nd[i];
}

/* Parse a net/dev (read through fd) into e's name table. Lines are
 * "  name: rx_bytes packets errs drop fifo frame compressed multicast
 * tx_bytes packets errs drop fifo colls carrier compressed". */
static void read_netdev(struct kvm *k, int fd, struct kns *e)
{
	ssize_t n;
	size_t lines = 0;
	char *p;

	e->ok = false;
	for (;;) {
		if (!k->ndbuf || k->ndcap < 65536) {
			char *nb = realloc(k->ndbuf, 65536);
			if (!nb)
				return;
			k->ndbuf = nb;
			k->ndcap = 65536;
		}
		n = hv_pread_all(fd, k->ndbuf, k->ndcap, "net/dev", NULL);
		if (n < 0)
			return;
		if ((size_t)n < k->ndcap - 1)
			break;
		{
			char *nb;
			if (k->ndcap > (64u << 20)) /* not a net/dev */
				return;
			nb = realloc(k->ndbuf, k->ndcap * 2);
			if (!nb)
				return;
			k->ndbuf = nb;
			k->ndcap *= 2;
		}
	}
	for (p = k->ndbuf; *p; p++)
		lines += *p == '\n';
	if (e->ndslots < lines * 2 || e->ndslots > lines * 8 + 64) {
		size_t c = 64;
		while (c < lines * 2)
			c *= 2;
		free(e->nd);
		e->nd = calloc(c, sizeof(*e->nd));
		e->ndslots = e->nd ? c : 0;
		if (!e->nd)
			return;
	} else {
		memset(e->nd, 0, e->ndslots * sizeof(*e->nd));
	}
	for (p = k->ndbuf; p && *p;) {
		char *nl = strchr(p, '\n'), *colon, *name;
		uint64_t f[16];
		const char *q;
		int i;

		if (nl)
			*nl = '\0';
		colon = strchr(p, ':');
		name = p;
		while (*name == ' ')
			name++;
		if (colon && colon > name &&
		    (size_t)(colon - name) < HV_IFNAME_LEN) {
			*colon = '\0';
			q = colon + 1;
			for (i = 0; i < 16; i++)
				if (hv_kvm_next_u64(&q, &f[i]))
					break;
			if (i == 16) {
				struct ndent *d = nd_slot(e, name);
				copy_str(d->name, sizeof(d->name), name);
				d->v[0] = f[0], d->v[1] = f[1];
				d->v[2] = f[2], d->v[3] = f[3];
				d->v[4] = f[8], d->v[5] = f[9];
				d->v[6] = f[10], d->v[7] = f[11];
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	e->ok = true;
}

/* This sample's entry for g's namespace: the first guest seen in a
 * namespace reads its net/dev, the others share it. Unknown namespaces
 * ("?PID") are never shared. */
static void guest_ns(struct kvm *k, struct kguest *g)
{
	char id[HV_NETNS_LEN];
	struct kns *e;
	ssize_t n;
	int fd;

	g->nsi = -1;
	if (g->netns[0])
		copy_str(id, sizeof(id), g->netns);
	else
		snprintf(id, sizeof(id), "?%u", g->pid);
	for (size_t i = 0; i < k->nns; i++)
		if (strcmp(k->ns[i].id, id) == 0) {
			g->nsi = (int)i;
			return;
		}
	if (k->nns == k->ns_cap) {
		size_t nc = k->ns_cap ? k->ns_cap * 2 : 4;
		struct kns *t = realloc(k->ns, nc * sizeof(*t));
		if (!t)
			return;
		memset(t + k->ns_cap, 0, (nc - k->ns_cap) * sizeof(*t));
		k->ns = t;
		k->ns_cap = nc;
	}
	e = &k->ns[k->nns];
	copy_str(e->id, sizeof(e->id), id);
	e->ok = false;
	g->nsi = (int)k->nns++;
	fd = g->fd_netdev;
	if (fd < 0) {
		fd = openat(g->dfd, "net/dev", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return;
	}
	read_netdev(k, fd, e);
	n = e->ok ? 0 : -1;
	if (fd == g->fd_netdev)
		return;
	/* Keep it like kread does: within the budget, and only if good. */
	if (n == 0 && k->nfds + k->nqmp < k->fd_budget) {
		g->fd_netdev = fd;
		k->nfds++;
	} else {
		close(fd);
	}
}

static void read_net(struct kvm *k, struct kguest *g, struct knet *t)
{
	char rel[HV_IFNAME_LEN + 40], buf[64];

	struct kns *ns = g->nsi >= 0 ? &k->ns[g->nsi] : NULL;
	/* Sysfs shows the collector's namespace: another namespace may have
	 * a different device of the same name there. */
	bool own =
	    g->netns[0] && k->self_ns[0] && strcmp(g->netns, k->self_ns) == 0;

	t->gone = false;
	t->sysfs = false;
	if (ns && ns->ok) {
		struct ndent *e = nd_slot(ns, t->name);
		if (e->name[0]) {
			/* Found: no per-tap files (and no fds) needed. */
			for (int s = 0; s < NET_NSTAT; s++) {
				kclose(k, &t->fd[s]);
				t->v[s] = e->v[s];
				t->ok[s] = true;
			}
			return;
		}
	}
	if (!own) {
		for (int s = 0; s < NET_NSTAT; s++)
			t->ok[s] = false;
		if (ns && ns->ok) { /* not in its namespace: deleted */
			t->gone = true;
			g->net_at = k->seq + 1;
		}
		return;
	}
	t->sysfs = k->netdfd >= 0;
	for (int s = 0; s < NET_NSTAT; s++) {
		ssize_t n;
		t->ok[s] = false;
		if (k->netdfd < 0)
			continue;
		snprintf(rel, sizeof(rel), "%s/statistics/%s", t->name,
		         net_stat_file[s]);
		n = kread(k, &t->fd[s], k->netdfd, rel, buf, sizeof(buf));
		if (n <= 0) {
			/* Tap deleted (or recreated): rediscover. */
			kclose(k, &t->fd[s]);
			t->gone = true;
			g->net_at = k->seq + 1;
			continue;
		}
		t->ok[s] = hv_parse_u64(buf, &t->v[s]) == 0;
	}
}

/* ---- QMP sockets ---- */

static void find_qmp(struct kvm *k, struct kguest *g)
{
	char path[HV_KVM_PATH_LEN + 64];
	const char *p = k->qmp_dirs;

	g->qmp_find_at = k->seq + RESCAN_PERIOD + g->pid % RESCAN_PERIOD;
	if (g->cmd.libvirt)
		return;
	if (g->cmd.qmp_path[0]) {
		if (g->cmd.qmp_path[0] == '/') {
			snprintf(path, sizeof(path), "%s", g->cmd.qmp_path);
		} else {
			/* Relative to QEMU's working directory. */
			char cwd[HV_KVM_PATH_LEN];
			ssize_t n =
			    readlinkat(g->dfd, "cwd", cwd, sizeof(cwd) - 1);
			if (n <= 0)
				return;
			cwd[n] = '\0';
			snprintf(path, sizeof(path), "%s/%s", cwd,
			         g->cmd.qmp_path);
		}
		g->qmp = hv_kvm_qmp_new(path);
		return;
	}
	/* Sockets named after the guest (name, pid or uuid) in the
	 * configured directories. */
	while (*p) {
		const char *e = strchr(p, ':');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		static const char *const fmt[] = {"%.*s/%s.qmp", "%.*s/%s.sock",
		                                  "%.*s/%s"};
		char id[16];
		const char *keys[3] = {g->cmd.name, id, g->cmd.uuid};

		snprintf(id, sizeof(id), "%u", g->pid);
		for (int w = 0; w < 3 && l; w++) {
			if (!keys[w][0] || strchr(keys[w], '/') ||
			    keys[w][0] == '.')
				continue;
			for (int f = 0; f < 3; f++) {
				struct stat sb;
				snprintf(path, sizeof(path), fmt[f], (int)l, p,
				         keys[w]);
				if (stat(path, &sb) == 0 &&
				    S_ISSOCK(sb.st_mode)) {
					g->qmp = hv_kvm_qmp_new(path);
					return;
				}
			}
		}
		p += l;
		if (*p == ':')
			p++;
	}
}

static void qmp_blk_name(const cJSON *e, char *out, size_t len)
{
	const cJSON *dev = cJSON_GetObjectItemCaseSensitive(e, "device");
	const cJSON *qdev = cJSON_GetObjectItemCaseSensitive(e, "qdev");
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(e, "node-name");
	const char *s = NULL;
	size_t l;

	if (cJSON_IsString(dev) && dev->valuestring[0]) {
		s = dev->valuestring;
		l = strlen(s);
	} else if (cJSON_IsString(qdev) && qdev->valuestring[0]) {
		/* "/machine/peripheral/virtio-disk0/virtio-backend" */
		const char *q = qdev->valuestring;
		const char *pre = "/machine/peripheral/";
		if (strncmp(q, pre, strlen(pre)) == 0)
			q += strlen(pre);
		s = q;
		l = strcspn(q, "/");
		if (!l) {
			s = qdev->valuestring;
			l = strlen(s);
		}
	} else if (cJSON_IsString(node)) {
		s = node->valuestring;
		l = strlen(s);
	} else {
		s = "?";
		l = 1;
	}
	hv_sanitize_name(out, len, s, l);
}

static hv_u64 jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0)
		return hv_na(HV_NA_UNSUPPORTED);
	return hv_val((uint64_t)v->valuedouble);
}

/* ---- filling the snapshot ---- */

static void note_add(hv_dom *d, const char *s)
{
	size_t l = strlen(d->note);

	if (!s[0] || strstr(d->note, s))
		return;
	if (l) {
		copy_str(d->note + l, sizeof(d->note) - l, "; ");
		l = strlen(d->note);
	}
	copy_str(d->note + l, sizeof(d->note) - l, s);
}

static uint32_t qmp_state(const char *st)
{
	if (strcmp(st, "running") == 0)
		return HV_DS_RUNNING;
	if (strcmp(st, "shutdown") == 0)
		return HV_DS_SHUTOFF;
	if (strcmp(st, "guest-panicked") == 0)
		return HV_DS_SHUTOFF | HV_DS_CRASHED;
	if (strcmp(st, "internal-error") == 0)
		return HV_DS_SHUTOFF | HV_DS_CRASHED;
	/* paused, suspended, prelaunch, inmigrate, postmigrate, io-error,
	 * watchdog, debug, save-vm, restore-vm, finish-migrate, colo */
	return HV_DS_PAUSED;
}

static int fill_blk_qmp(hv_snap *s, hv_dom *d, struct kguest *g,
                        const cJSON *ret)
{
	uint32_t n = (uint32_t)cJSON_GetArraySize(ret), i = 0;
	const cJSON *e;
	hv_blk *b;

	if (!cJSON_IsArray(ret))
		return -EINVAL;
	if (n == 0)
		return 0;
	b = hv_snap_blks(s, d, n);
	if (!b)
		return -ENOMEM;
	free(g->blk_name);
	g->blk_name = calloc(n, sizeof(*g->blk_name));
	g->nblk_name = g->blk_name ? n : 0;
	cJSON_ArrayForEach(e, ret)
	{
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "stats");
		if (i >= n)
			break;
		qmp_blk_name(e, b[i].name, sizeof(b[i].name));
		if (g->blk_name)
			memcpy(g->blk_name[i], b[i].name, HV_DEVNAME_LEN);
		b[i].id = i;
		b[i].src = HV_BLK_QMP;
		if (cJSON_IsObject(st)) {
			b[i].rd_reqs = jnum(st, "rd_operations");
			b[i].wr_reqs = jnum(st, "wr_operations");
			b[i].fl_reqs = jnum(st, "flush_operations");
			b[i].ds_reqs = jnum(st, "unmap_operations");
			b[i].rd_bytes = jnum(st, "rd_bytes");
			b[i].wr_bytes = jnum(st, "wr_bytes");
			b[i].rd_ns = jnum(st, "rd_total_time_ns");
			b[i].wr_ns = jnum(st, "wr_total_time_ns");
			b[i].fl_ns = jnum(st, "flush_total_time_ns");
		} else {
			b[i].rd_reqs = b[i].wr_reqs = b[i].rd_bytes =
			    b[i].wr_bytes = hv_na(HV_NA_ERROR);
		}
		i++;
	}
	return 0;
}

static int fill_blk_stale(hv_snap *s, hv_dom *d, struct kguest *g)
{
	hv_blk *b = hv_snap_blks(s, d, g->nblk_name);
	hv_u64 st = hv_na(HV_NA_STALE);

	if (!b)
		return -ENOMEM;
	for (uint32_t i = 0; i < g->nblk_name; i++) {
		memcpy(b[i].name, g->blk_name[i], HV_DEVNAME_LEN);
		b[i].id = i;
		b[i].src = HV_BLK_QMP;
		b[i].rd_reqs = b[i].wr_reqs = b[i].fl_reqs = b[i].ds_reqs = st;
		b[i].rd_bytes = b[i].wr_bytes = st;
		b[i].rd_ns = b[i].wr_ns = b[i].fl_ns = st;
	}
	return 0;
}

static int fill_blk_procio(hv_snap *s, hv_dom *d, struct kguest *g)
{
	hv_blk *b;

	if (!g->io_ok)
		return 0;
	b = hv_snap_blks(s, d, 1);
	if (!b)
		return -ENOMEM;
	copy_str(b->name, sizeof(b->name), "process-io");
	b->src = HV_BLK_PROCIO;
	b->rd_reqs = hv_val(g->io.syscr);
	b->wr_reqs = hv_val(g->io.syscw);
	b->rd_bytes = hv_val(g->io.read_bytes);
	b->wr_bytes = hv_val(g->io.write_bytes);
	return 0;
}

static int fill_dom(struct kvm *k, hv_snap *s, struct kguest *g)
{
	hv_dom *d = hv_snap_add_dom(s);
	enum hv_kvm_qmp_outcome qo = HV_QMP_O_UNAVAILABLE;
	const char *qwhy = "";
	const void *j;
	bool any_run = false, any_vcpu = false;
	uint32_t nv = 0;

	if (!d)
		return -ENOMEM;
	d->key = g->key;
	d->id = g->pid;
	copy_str(d->name, sizeof(d->name), g->cmd.name);
	copy_str(d->uuid, sizeof(d->uuid), g->cmd.uuid);
	d->start_ns = g->starttime * k->tick_ns;
	d->cpu_ns = hv_val((g->st.utime + g->st.stime) * k->tick_ns);
	d->mem_kib = hv_val(g->cmd.mem_kib);
	d->maxmem_kib = hv_val(g->cmd.maxmem_kib);
	d->rss_kib = g->rss_kib;
	d->nr_vcpus = g->cmd.smp;
	d->sources = HV_SRC_PROC;

	/* vCPUs */
	for (uint32_t i = 0; i < g->nvcpu; i++)
		if (g->vcpu[i].ok)
			nv++;
	if (g->nvcpu) {
		hv_vcpu *v = hv_snap_vcpus(s, d, g->nvcpu);
		size_t words = (k->nbits + 63) / 64;
		if (!v)
			return -ENOMEM;
		for (uint32_t i = 0; i < g->nvcpu; i++) {
			struct kvcpu *c = &g->vcpu[i];
			v[i].id = (uint32_t)c->idx;
			v[i].tid = c->tid;
			v[i].pcpu = c->pcpu;
			v[i].online = 1;
			v[i].time_ns = c->time;
			v[i].guest_ns = c->guest;
			v[i].wait_ns = c->wait;
			if (c->ok && c->aff_ok && !c->aff_any && c->aff &&
			    words) {
				uint64_t *b =
				    hv_snap_alloc(s, words * sizeof(uint64_t));
				if (!b)
					return -ENOMEM;
				memcpy(b, c->aff, words * sizeof(uint64_t));
				v[i].affinity = b;
			}
			if (c->ok) {
				any_vcpu = true;
				if (c->state == 'R')
					any_run = true;
			}
		}
	}
	if (!g->nvcpu)
		note_add(d, g->need_qmp_cpus && !g->qmp
		                ? "vCPU threads unnamed, no QMP: "
		                  "no per-vCPU data"
		                : "vCPU threads not found yet");

	/* Memory */
	d->target_kib = hv_na(HV_NA_UNSUPPORTED);

	/* QMP */
	if (g->qmp)
		g->qmp_last_ok = false;
	if (g->cmd.libvirt) {
		note_add(d, "libvirt-managed: QMP held by libvirtd, "
		            "procfs only");
	} else if (g->qmp) {
		qo = hv_kvm_qmp_outcome(g->qmp, &qwhy);
		if (qo == HV_QMP_O_STALE) {
			char why[80];
			d->stale |= HV_SRC_QMP;
			if (strstr(qwhy,
			           "deadline")) /* say how long we waited */
				snprintf(why, sizeof(why), "%s (%d ms)", qwhy,
				         k->qmp_timeout_ms);
			else
				snprintf(why, sizeof(why), "%s", qwhy);
			note_add(d, why);
		} else if (qo == HV_QMP_O_UNAVAILABLE) {
			note_add(d, qwhy);
		}
	} else {
		note_add(d, "no QMP socket: procfs only");
	}

	/* State: procfs first, QMP refines. */
	if (g->st.state == 'Z' || g->st.state == 'X')
		d->state = HV_DS_DYING;
	else if (g->st.state == 'T' || g->st.state == 't')
		d->state = HV_DS_PAUSED;
	else if (!any_vcpu || any_run)
		d->state = HV_DS_RUNNING;
	else
		d->state = HV_DS_BLOCKED;
	if (qo == HV_QMP_O_OK) {
		d->sources |= HV_SRC_QMP;
		g->qmp_last_ok = true;
		if (hv_kvm_qmp_result(g->qmp, HV_QMP_STATUS, &j) ==
		    HV_QMP_R_OK) {
			const cJSON *st = cJSON_GetObjectItemCaseSensitive(
			    (const cJSON *)j, "status");
			if (cJSON_IsString(st)) {
				uint32_t qs = qmp_state(st->valuestring);
				/* Keep "blocked" (all vCPUs idle) beside a
				 * running status, as Xen does. */
				if (qs == HV_DS_RUNNING &&
				    d->state == HV_DS_BLOCKED)
					qs = HV_DS_BLOCKED;
				if (!(d->state & HV_DS_DYING))
					d->state = qs;
			}
		}
		if (hv_kvm_qmp_result(g->qmp, HV_QMP_BALLOON, &j) ==
		    HV_QMP_R_OK) {
			hv_u64 a = jnum((const cJSON *)j, "actual");
			if (hv_ok(a))
				d->target_kib = hv_val(a.v / 1024);
		}
	} else if (qo == HV_QMP_O_STALE) {
		d->target_kib = hv_na(HV_NA_STALE);
	}

	/* Block */
	if (qo == HV_QMP_O_OK &&
	    hv_kvm_qmp_result(g->qmp, HV_QMP_BLOCKSTATS, &j) == HV_QMP_R_OK) {
		if (fill_blk_qmp(s, d, g, (const cJSON *)j) == -ENOMEM)
			return -ENOMEM;
	} else if (qo == HV_QMP_O_STALE && g->nblk_name) {
		if (fill_blk_stale(s, d, g))
			return -ENOMEM;
	} else if (fill_blk_procio(s, d, g)) {
		return -ENOMEM;
	}

	/* Network: the tap's host-side tx is what the guest received. */
	if (g->nnet) {
		hv_net *n = hv_snap_nets(s, d, g->nnet);
		if (!n)
			return -ENOMEM;
		for (uint32_t i = 0; i < g->nnet; i++) {
			struct knet *t = &g->net[i];
			hv_u64 *dst[NET_NSTAT] = {
			    &n[i].tx_bytes, &n[i].tx_pkts,  &n[i].tx_errs,
			    &n[i].tx_drop,  &n[i].rx_bytes, &n[i].rx_pkts,
			    &n[i].rx_errs,  &n[i].rx_drop,
			};
			copy_str(n[i].name, sizeof(n[i].name), t->name);
			n[i].id = i;
			for (int st = 0; st < NET_NSTAT; st++)
				*dst[st] = t->ok[st] ? hv_val(t->v[st])
				                     : hv_na(HV_NA_UNAVAILABLE);
		}
		d->sources |= HV_SRC_NET;
	}
	return 0;
}

/* ---- ops ---- */

static int kvm_probe(const hv_env *env)
{
	char path[PATH_MAX + 32];
	DIR *d;
	struct dirent *de;
	int found = 0;

	if (hv_env_path(env, HV_ROOT_DEV, path, sizeof(path), "kvm") == 0 &&
	    access(path, F_OK) == 0)
		return 10;
	if (hv_env_path(env, HV_ROOT_PROC, path, sizeof(path), "%s", "") ||
	    !(d = opendir(path)))
		return 0;
	while (!found && (de = readdir(d))) {
		char rel[PATH_MAX + 64], comm[64];
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(rel, sizeof(rel), "%s/%s/comm", path, de->d_name);
		if (hv_read_str(rel, comm, sizeof(comm), NULL) == 0 &&
		    hv_kvm_is_qemu_name(comm))
			found = 1;
	}
	closedir(d);
	return found ? 5 : 0;
}

static void kvm_close(void *priv)
{
	struct kvm *k = priv;

	if (!k)
		return;
	for (size_t i = 0; i < k->tab.cap; i++)
		if (k->tab.e[i].pid)
			guest_free(k, k->tab.e[i].g);
	free(k->tab.e);
	free(k->live);
	free(k->pids);
	if (k->procdir)
		closedir(k->procdir);
	if (k->netdfd >= 0)
		close(k->netdfd);
	free(k->ndbuf);
	for (size_t i = 0; i < k->ns_cap; i++)
		free(k->ns[i].nd);
	free(k->ns);
	hv_plat_close(k->plat);
	free(k);
}

static int kvm_open(const hv_env *env, const hv_backend_opts *opts, void **priv,
                    hv_err *err)
{
	struct kvm *k = calloc(1, sizeof(*k));
	char path[PATH_MAX + 32];
	struct rlimit rl;
	long tck = sysconf(_SC_CLK_TCK), pg = sysconf(_SC_PAGESIZE);
	int rc;

	if (!k)
		return hv_err_set(err, ENOMEM, "kvm: out of memory");
	k->env = *env;
	k->procfd = -1;
	k->netdfd = -1;
	k->tick_ns = tck > 0 ? 1000000000ULL / (uint64_t)tck : 10000000ULL;
	k->page_kib = pg > 0 ? (uint64_t)pg / 1024 : 4;
	k->qmp_timeout_ms =
	    opts && opts->qmp_timeout_ms > 0 ? opts->qmp_timeout_ms : 200;
	k->aff_max_ns = HV_KVM_AFF_MAX_MS * 1000000ULL;
	if (opts && opts->qmp_dirs) {
		snprintf(k->qmp_dirs, sizeof(k->qmp_dirs), "%s",
		         opts->qmp_dirs);
	} else {
		char run[PATH_MAX + 8];
		if (hv_env_path(env, HV_ROOT_RUN, run, sizeof(run), "qmp"))
			run[0] = '\0';
		snprintf(k->qmp_dirs, sizeof(k->qmp_dirs), "%s:/var/run/qemu",
		         run);
	}
	/* Cached counters may use the fd limit but for 1024 (at least
	 * half of it) left to the program. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		k->fd_budget =
		    (unsigned)(rl.rlim_cur > 2048 ? rl.rlim_cur - 1024
		                                  : rl.rlim_cur / 2);
	else
		k->fd_budget = 65536;
	if (hv_env_path(env, HV_ROOT_PROC, path, sizeof(path), "%s", "")) {
		rc = hv_err_set(err, ENAMETOOLONG, "kvm: procfs path too long");
		goto fail;
	}
	k->procdir = opendir(path);
	if (!k->procdir) {
		rc = hv_err_set(err, errno, "kvm: %s: %s", path,
		                strerror(errno));
		goto fail;
	}
	k->procfd = dirfd(k->procdir);
	if (hv_env_path(env, HV_ROOT_SYS, path, sizeof(path), "class/net") == 0)
		k->netdfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (hv_env_path(env, HV_ROOT_PROC, path, sizeof(path), "self/ns/net") ==
	    0) {
		ssize_t n = readlink(path, k->self_ns, sizeof(k->self_ns) - 1);
		k->self_ns[n > 0 ? n : 0] = '\0';
	}
	/* The host part comes from the platform layer; without it the
	 * domains are still worth reporting. */
	if (hv_plat_open(env, &k->plat, &k->plat_err))
		k->plat = NULL;
	*priv = k;
	return 0;
fail:
	kvm_close(k);
	return rc;
}

static int kvm_sample(void *priv, hv_snap *s, hv_err *err)
{
	struct kvm *k = priv;
	hv_host *h = hv_snap_host_mut(s);
	hv_kvm_qmp **qs = NULL;
	size_t nq = 0;
	uint64_t deadline;
	int rc;

	k->seq++;
	k->prev_ns = k->now_ns;
	k->now_ns = hv_kvm_now_ns();
	/* Affinity at most aff_max_ns old at this sampling rate: each vCPU's
	 * status once in aff_period samples, spread over them. */
	k->aff_period = AFF_PERIOD;
	if (k->prev_ns && k->now_ns > k->prev_ns &&
	    k->aff_max_ns / (k->now_ns - k->prev_ns) < AFF_PERIOD) {
		uint64_t q = k->aff_max_ns / (k->now_ns - k->prev_ns);
		k->aff_period = q ? (uint32_t)q : 1;
	}
	if (k->plat) {
		rc = hv_plat_sample(k->plat, s, err);
		if (rc < 0)
			return rc;
	}
	snprintf(h->backend, sizeof(h->backend), "kvm");
	k->nbits = h->nr_pcpu;
	if (k->nbits > AFF_BITS)
		k->nbits = AFF_BITS;

	rc = discover(k);
	if (rc)
		return hv_err_set(err, -rc, "kvm: listing processes: %s",
		                  strerror(-rc));
	if (k->hook)
		k->hook(k->hook_arg, 1);
	{
		/* dfd, stat, io, per vCPU stat, schedstat and status, and a
		 * net/dev view: what caching everything would take. */
		size_t want = k->nqmp;
		for (size_t i = 0; i < k->nlive; i++) {
			const struct kguest *g = k->live[i];
			want += 3 + 3 * (size_t)g->nvcpu + (g->nnet ? 1 : 0);
			for (uint32_t t = 0; t < g->nnet; t++)
				want += g->net[t].sysfs ? NET_NSTAT : 0;
		}
		k->keep_status = want <= k->fd_budget;
	}

	/* QMP first, so monitors answer while procfs is read. */
	qs = calloc(k->nlive ? k->nlive : 1, sizeof(*qs));
	if (!qs)
		return hv_err_set(err, ENOMEM, "kvm: out of memory");
	deadline = hv_kvm_now_ns() + (uint64_t)k->qmp_timeout_ms * 1000000ULL;
	for (size_t i = 0; i < k->nlive; i++) {
		struct kguest *g = k->live[i];
		unsigned mask = (1u << HV_QMP_STATUS) |
		                (1u << HV_QMP_BLOCKSTATS) |
		                (1u << HV_QMP_BALLOON);
		if (!g->qmp && !g->cmd.libvirt && k->seq >= g->qmp_find_at)
			find_qmp(k, g);
		if (!g->qmp)
			continue;
		/* Thread names first: unnamed ones need query-cpus-fast. */
		if (k->seq >= g->threads_at)
			scan_threads(k, g);
		if (g->need_qmp_cpus)
			mask |= 1u << HV_QMP_CPUS;
		hv_kvm_qmp_start(g->qmp, mask);
		qs[nq++] = g->qmp;
	}

	/* procfs and sysfs */
	k->nns = 0;
	for (size_t i = 0; i < k->nlive; i++) {
		struct kguest *g = k->live[i];
		ssize_t n;
		bool gone = false;

		g->alive = true;
		/* Resident pages: stat field 24, the same count statm gives,
		 * so no extra file. */
		g->rss_kib = g->st.rss_ok ? hv_val(g->st.rss * k->page_kib)
		                          : hv_na(HV_NA_ERROR);
		g->io_ok = false;
		if (!g->qmp || !g->qmp_last_ok) {
			char iob[1024];
			n = kread(k, &g->fd_io, g->dfd, "io", iob, sizeof(iob));
			g->io_ok = n > 0 && hv_kvm_parse_io(iob, &g->io) == 0;
			gone |= vanished(n);
		}
		if (k->seq >= g->threads_at)
			scan_threads(k, g);
		if (k->hook)
			k->hook(k->hook_arg, 2);
		for (uint32_t v = 0; v < g->nvcpu; v++) {
			read_vcpu(k, g, &g->vcpu[v]);
			gone |= !g->vcpu[v].ok;
		}
		/* A failed read may mean the process exited after the
		 * listing: then it is left out, never half-filled. */
		if (gone && !guest_stat(k, g)) {
			g->alive = false;
			continue;
		}
		if (!g->net_scanned || k->seq >= g->net_at)
			scan_net(k, g);
		g->nsi = -1;
		if (g->nnet)
			guest_ns(k, g);
		for (uint32_t t = 0; t < g->nnet; t++)
			read_net(k, g, &g->net[t]);
	}
	k->nqmp = (unsigned)nq;
	hv_kvm_qmp_finish(qs, nq, deadline);
	free(qs);

	/* vCPU threads learned from QMP are read at once. */
	for (size_t i = 0; i < k->nlive; i++) {
		struct kguest *g = k->live[i];
		const void *j;
		if (!g->alive || !g->qmp || !g->need_qmp_cpus ||
		    hv_kvm_qmp_outcome(g->qmp, NULL) != HV_QMP_O_OK ||
		    hv_kvm_qmp_result(g->qmp, HV_QMP_CPUS, &j) != HV_QMP_R_OK)
			continue;
		qmp_cpus(k, g, (const cJSON *)j);
		for (uint32_t v = 0; v < g->nvcpu; v++)
			read_vcpu(k, g, &g->vcpu[v]);
	}

	for (size_t i = 0; i < k->nlive; i++) {
		struct kguest *g = k->live[i];
		if (!g->alive)
			continue;
		rc = fill_dom(k, s, g);
		if (rc)
			return hv_err_set(err, -rc, "kvm: %s", strerror(-rc));
	}
	return 0;
}

static int kvm_knob_get(void *priv, const char *knob, char *val, size_t len,
                        hv_err *err)
{
	struct kvm *k = priv;

	if (!k->plat)
		return hv_err_set(err, ENOTSUP, "%s: no platform layer: %s",
		                  knob, k->plat_err.msg);
	return hv_plat_knob_get(k->plat, knob, val, len, err);
}

static int kvm_knob_set(void *priv, const char *knob, const char *val,
                        hv_err *err)
{
	struct kvm *k = priv;

	if (!k->plat)
		return hv_err_set(err, ENOTSUP, "%s: no platform layer: %s",
		                  knob, k->plat_err.msg);
	return hv_plat_knob_set(k->plat, knob, val, err);
}

void hv_kvm_set_hook(void *priv, void (*fn)(void *arg, int phase), void *arg)
{
	struct kvm *k = priv;

	k->hook = fn;
	k->hook_arg = arg;
}

void hv_kvm_set_aff_max_ms(void *priv, unsigned ms)
{
	((struct kvm *)priv)->aff_max_ns = ms * 1000000ULL;
}

unsigned hv_kvm_cached_fds(const void *priv)
{
	return ((const struct kvm *)priv)->nfds;
}

const struct hv_backend_ops hv_kvm_ops = {
    .name = "kvm",
    .desc = "KVM/QEMU via procfs, tap statistics and QMP",
    .probe = kvm_probe,
    .open = kvm_open,
    .sample = kvm_sample,
    .knob_get = kvm_knob_get,
    .knob_set = kvm_knob_set,
    .close = kvm_close,
};
