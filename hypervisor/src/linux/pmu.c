/* SPDX-License-Identifier: MIT */
/* perf counters on vCPU threads. One perf group per thread (leader + the
 * other slots) read in one syscall with TOTAL_TIME_ENABLED/RUNNING, so a
 * multiplexed group is scaled by enabled/running and its ratios (IPC) stay
 * consistent. fds stay open across samples, keyed by (domain key, tid), and
 * are closed when the thread is no longer reported. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hv/pmu.h"
#include "hv/sysio.h"

#ifdef HV_HAVE_PFM
#include <dlfcn.h>
#include <perfmon/pfmlib_perf_event.h>
#endif

#define RETRY_FILLS 10 /* retry a thread that could not be opened */

typedef struct pmu_thr {
	uint64_t key;
	int32_t tid;
	uint64_t gen;
	int fd[HV_HW_MAX];
	int err; /* errno of the last failed open, 0 = open */
	uint64_t retry_at;
	uint64_t last[HV_HW_MAX]; /* keeps scaled estimates monotonic */
} pmu_thr;

struct hv_pmu {
	hv_env env;
	size_t n;
	struct perf_event_attr attr[HV_HW_MAX];
	char name[HV_HW_MAX][HV_HW_NAME_LEN];
	char note[HV_NOTE_LEN];
	int perm_err; /* EACCES/EPERM seen opening some thread this fill */
	int open_err; /* any other errno seen opening a thread this fill */
	int any_hw;   /* hardware events in the set */
	pmu_thr *t;
	size_t nt, cap;
	uint64_t gen;
};

static const struct alias {
	const char *alias, *pfm;
	uint32_t type;
	uint64_t config;
} aliases[] = {
    {"instructions", "perf::INSTRUCTIONS", PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_INSTRUCTIONS},
    {"cycles", "perf::CYCLES", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"llc_misses", "perf::CACHE-MISSES", PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_CACHE_MISSES},
    {"task-clock", "perf::TASK-CLOCK", PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_TASK_CLOCK},
    {"context-switches", "perf::CONTEXT-SWITCHES", PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_CONTEXT_SWITCHES},
};

static long perf_open(struct perf_event_attr *a, pid_t pid, int cpu, int group)
{
	return syscall(SYS_perf_event_open, a, pid, cpu, group,
	               PERF_FLAG_FD_CLOEXEC);
}

#ifdef HV_HAVE_PFM
/* libpfm4 is loaded when an event is encoded, not linked: the tools run
 * without it (Debian: Recommends), with the built-in aliases only.
 * 0 encoded, <0 refused by libpfm4, 1 libpfm4 not installed. */
static int pfm_encode(const char *spec, const char *ev,
                      struct perf_event_attr *attr, hv_err *err)
{
	void *dl = dlopen("libpfm.so.4", RTLD_NOW | RTLD_LOCAL);
	int (*init)(void);
	const char *(*str)(int);
	int (*enc)(const char *, int, pfm_os_t, void *);
	pfm_perf_encode_arg_t arg;
	int r = 1;

	if (!dl)
		return 1;
	init = (int (*)(void))dlsym(dl, "pfm_initialize");
	str = (const char *(*)(int))dlsym(dl, "pfm_strerror");
	enc = (int (*)(const char *, int, pfm_os_t, void *))dlsym(
	    dl, "pfm_get_os_event_encoding");
	if (!init || !str || !enc)
		goto out;
	if ((r = init()) != PFM_SUCCESS) {
		r = hv_err_set(err, ENODEV, "libpfm4: %s", str(r));
		goto out;
	}
	memset(&arg, 0, sizeof(arg));
	arg.attr = attr;
	arg.size = sizeof(arg);
	r = enc(spec, PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
	if (r != PFM_SUCCESS) {
		r = hv_err_set(err, EINVAL, "event \"%s\": %s", ev, str(r));
		goto out;
	}
	attr->size = sizeof(*attr);
	r = 0;
out:
	dlclose(dl);
	return r;
}
#endif

int hv_pmu_encode(const char *ev, int guest_only, struct perf_event_attr *attr,
                  char *name, size_t len, int *hw, hv_err *err)
{
	const struct alias *al = NULL;
	const char *spec = ev;

	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(ev, aliases[i].alias)) {
			al = &aliases[i];
			spec = al->pfm;
		}
	snprintf(name, len, "%s", ev);
	int r = 1; /* 1: not encoded by libpfm4 (not built or installed) */
#ifdef HV_HAVE_PFM
	r = pfm_encode(spec, ev, attr, err);
	if (r < 0)
		return r;
#endif
	if (r > 0 && !al)
		return hv_err_set(
		    err, EINVAL,
		    "event \"%s\": without libpfm4 (libpfm.so.4) only "
		    "instructions, cycles, llc_misses, task-clock, "
		    "context-switches",
		    ev);
	if (r > 0) {
		attr->type = al->type;
		attr->config = al->config;
	}
	*hw = attr->type != PERF_TYPE_SOFTWARE &&
	      attr->type != PERF_TYPE_TRACEPOINT;
	if (*hw && guest_only) {
		/* what the guest ran; libpfm4 may fold :mh=0 back when it
		 * cannot tell the PMU supports it, so set the bits here */
		attr->exclude_guest = 0;
		attr->exclude_host = 1;
	} else if (!*hw) {
		/* software events count the thread whatever mode it is in */
		attr->exclude_guest = 0;
		attr->exclude_host = 0;
	}
	attr->inherit = 0; /* vCPU threads do not fork */
	attr->disabled = 0;
	attr->sample_period = 0;
	attr->freq = 0;
	attr->read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
	                    PERF_FORMAT_TOTAL_TIME_RUNNING;
	return 0;
}

int hv_pmu_hw_available(char *why, size_t len)
{
	struct perf_event_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = PERF_COUNT_HW_INSTRUCTIONS;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	fd = perf_open(&a, 0, -1, -1);
	if (fd >= 0) {
		close((int)fd);
		if (len)
			why[0] = '\0';
		return 1;
	}
	snprintf(why, len, "%s",
	         errno == ENOENT || errno == EOPNOTSUPP || errno == ENODEV
	             ? "no hardware PMU"
	         : errno == EACCES || errno == EPERM
	             ? "perf_event_open not permitted"
	             : strerror(errno));
	return 0;
}

static int add_event(hv_pmu *p, const char *ev, int *hw, hv_err *err)
{
	if (p->n >= HV_HW_MAX)
		return hv_err_set(err, E2BIG, "at most %d events", HV_HW_MAX);
	if (hv_pmu_encode(ev, 1, &p->attr[p->n], p->name[p->n],
	                  sizeof(p->name[0]), hw, err))
		return -EINVAL;
	p->n++;
	return 0;
}

static int have(const hv_pmu *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->name[i], name))
			return 1;
	return 0;
}

int hv_pmu_open(const hv_env *env, const char *events, hv_pmu **out,
                hv_err *err)
{
	hv_pmu *p = calloc(1, sizeof(*p));
	char *copy = NULL, *save = NULL, why[64];
	int r = 0, any_hw = 0, hw_ok;

	*out = NULL;
	if (!p || !(copy = strdup(events ? events : HV_PMU_EVENTS_DEFAULT))) {
		r = hv_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	p->env = *env;
	for (char *t = strtok_r(copy, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		int hw = 0;
		while (*t == ' ')
			t++;
		if (!*t)
			continue;
		if ((r = add_event(p, t, &hw, err)))
			goto out;
		any_hw |= hw;
	}
	if (!p->n) {
		r = hv_err_set(err, EINVAL, "no events given");
		goto out;
	}
	hw_ok = hv_pmu_hw_available(why, sizeof(why));
	if (any_hw && !hw_ok) {
		/* keep the software events asked for, drop the rest, and
		 * say so once rather than show zeros */
		size_t k = 0;
		for (size_t i = 0; i < p->n; i++)
			if (p->attr[i].type == PERF_TYPE_SOFTWARE) {
				p->attr[k] = p->attr[i];
				memcpy(p->name[k], p->name[i],
				       sizeof(p->name[0]));
				k++;
			}
		p->n = k;
		if (!have(p, "task-clock") &&
		    (r = add_event(p, "task-clock", &any_hw, err)))
			goto out;
		if (!have(p, "context-switches") && p->n < HV_HW_MAX &&
		    (r = add_event(p, "context-switches", &any_hw, err)))
			goto out;
		snprintf(p->note, sizeof(p->note),
		         "%s: hardware events replaced by software events",
		         why);
	}
	for (size_t i = 0; i < p->n; i++)
		p->any_hw |= p->attr[i].type != PERF_TYPE_SOFTWARE;
	*out = p;
	p = NULL;
out:
	free(copy);
	hv_pmu_close(p);
	return r;
}

static void thr_close(pmu_thr *t)
{
	for (int i = 0; i < HV_HW_MAX; i++)
		if (t->fd[i] >= 0) {
			close(t->fd[i]);
			t->fd[i] = -1;
		}
}

void hv_pmu_close(hv_pmu *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nt; i++)
		thr_close(&p->t[i]);
	free(p->t);
	free(p);
}

size_t hv_pmu_nslots(const hv_pmu *p)
{
	return p->n;
}
const char *hv_pmu_slot(const hv_pmu *p, size_t i)
{
	return i < p->n ? p->name[i] : "";
}
const char *hv_pmu_note(const hv_pmu *p)
{
	return p->note;
}

static pmu_thr *thr_get(hv_pmu *p, uint64_t key, int32_t tid)
{
	pmu_thr *t;

	for (size_t i = 0; i < p->nt; i++)
		if (p->t[i].key == key && p->t[i].tid == tid)
			return &p->t[i];
	if (p->nt == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 32;
		pmu_thr *nt = realloc(p->t, nc * sizeof(*nt));
		if (!nt)
			return NULL;
		p->t = nt;
		p->cap = nc;
	}
	t = &p->t[p->nt++];
	memset(t, 0, sizeof(*t));
	t->key = key;
	t->tid = tid;
	for (int i = 0; i < HV_HW_MAX; i++)
		t->fd[i] = -1;
	return t;
}

static int thr_open(hv_pmu *p, pmu_thr *t)
{
	for (size_t i = 0; i < p->n; i++) {
		struct perf_event_attr a = p->attr[i];
		long fd = perf_open(&a, t->tid, -1, i ? t->fd[0] : -1);
		if (fd < 0) {
			int e = errno;
			thr_close(t);
			return -e;
		}
		t->fd[i] = (int)fd;
	}
	return 0;
}

static int thr_read(hv_pmu *p, pmu_thr *t, hv_u64 *vals)
{
	uint64_t buf[3 + HV_HW_MAX];
	ssize_t n = read(t->fd[0], buf, sizeof(buf));
	uint64_t en, run;

	if (n < (ssize_t)(3 * sizeof(uint64_t)) || buf[0] != p->n)
		return -EIO;
	en = buf[1];
	run = buf[2];
	for (size_t i = 0; i < p->n; i++) {
		uint64_t v = buf[3 + i];
		if (run == 0 && en) {
			/* multiplexed out all along: unknown, not zero */
			vals[i] = hv_na(HV_NA_UNAVAILABLE);
			continue;
		}
		/* en == 0: the thread has not run since the counter was
		 * opened, so it really counted nothing; run < en: it was
		 * multiplexed, scale to the enabled time */
		if (run && run < en)
			v = (uint64_t)((long double)v * en / run);
		if (v < t->last[i])
			v = t->last[i];
		t->last[i] = v;
		vals[i] = hv_val(v);
	}
	return 0;
}

/* The tid must be a thread of the domain's process: synth/replay ids and
 * stale tids must never count an unrelated thread of this host. */
static int thr_belongs(const hv_pmu *p, uint32_t pid, int32_t tid)
{
	char path[PATH_MAX];
	struct stat st;

	if (hv_env_path(&p->env, HV_ROOT_PROC, path, sizeof(path), "%u/task/%d",
	                pid, (int)tid))
		return 0;
	return stat(path, &st) == 0;
}

static int thr_sample(hv_pmu *p, pmu_thr *t, hv_u64 *vals)
{
	int r;

	for (size_t i = 0; i < HV_HW_MAX; i++)
		vals[i] = hv_na(HV_NA_UNSUPPORTED);
	t->gen = p->gen;
	if (t->fd[0] < 0) {
		if (t->err && p->gen < t->retry_at)
			goto failed;
		if ((r = thr_open(p, t))) {
			t->err = -r;
			t->retry_at = p->gen + RETRY_FILLS;
			goto failed;
		}
		t->err = 0;
	}
	if (thr_read(p, t, vals)) {
		thr_close(t);
		t->err = EIO;
		t->retry_at = p->gen + 1;
		goto failed;
	}
	return 0;
failed:
	if (t->err == EACCES || t->err == EPERM)
		p->perm_err = t->err;
	else if (t->err != ESRCH && t->err != EIO)
		p->open_err = t->err;
	for (size_t i = 0; i < p->n; i++)
		vals[i] = hv_na(HV_NA_UNAVAILABLE);
	return -t->err;
}

int hv_pmu_read_tid(hv_pmu *p, uint64_t key, int32_t tid,
                    hv_u64 vals[HV_HW_MAX], hv_err *err)
{
	pmu_thr *t = thr_get(p, key, tid);
	int r;

	if (!t)
		return hv_err_set(err, ENOMEM, "out of memory");
	r = thr_sample(p, t, vals);
	if (r)
		return hv_err_set(err, -r, "perf_event_open on thread %d: %s",
		                  (int)tid, strerror(-r));
	return 0;
}

void hv_pmu_fill(hv_pmu *p, hv_snap *s)
{
	hv_host *h;
	size_t nd;

	if (!p || !s)
		return;
	p->gen++;
	p->perm_err = 0;
	p->open_err = 0;
	nd = hv_snap_ndom(s);
	for (size_t i = 0; i < nd; i++) {
		hv_dom *d = hv_snap_dom_mut(s, i);
		int any = 0;
		for (uint32_t v = 0; v < d->nr_vcpu; v++) {
			hv_vcpu *vc = &d->vcpu[v];
			hv_u64 vals[HV_HW_MAX];
			pmu_thr *t;
			if (vc->tid <= 0)
				continue; /* Xen: no host thread per vCPU */
			if (!(t = thr_get(p, d->key, vc->tid)))
				continue;
			if (t->fd[0] < 0 && !thr_belongs(p, d->id, vc->tid)) {
				t->gen = p->gen;
				for (size_t k = 0; k < HV_HW_MAX; k++)
					vc->hw[k] =
					    hv_na(k < p->n ? HV_NA_UNAVAILABLE
					                   : HV_NA_UNSUPPORTED);
				continue;
			}
			(void)thr_sample(p, t, vals);
			for (size_t k = 0; k < HV_HW_MAX; k++)
				vc->hw[k] = vals[k];
			any = 1;
		}
		if (any)
			d->sources |= HV_SRC_PMU;
	}
	/* threads no longer reported: close their counters */
	for (size_t i = 0; i < p->nt;) {
		if (p->t[i].gen != p->gen) {
			thr_close(&p->t[i]);
			p->t[i] = p->t[--p->nt];
		} else {
			i++;
		}
	}
	h = hv_snap_host_mut(s);
	h->nr_hw = (uint32_t)p->n;
	for (size_t i = 0; i < p->n; i++)
		snprintf(h->hw_name[i], sizeof(h->hw_name[i]), "%s",
		         p->name[i]);
	if (p->perm_err)
		snprintf(h->hw_note, sizeof(h->hw_note),
		         "perf_event_open on vCPU threads: %s (needs root or "
		         "perf_event_paranoid<=1)",
		         strerror(p->perm_err));
	else if (p->open_err && p->any_hw &&
	         (p->open_err == EOPNOTSUPP || p->open_err == EINVAL ||
	          p->open_err == EBUSY))
		/* guest-only host events are refused while a mediated vPMU
		 * is in use, or without SVM/VMX host/guest bits */
		snprintf(h->hw_note, sizeof(h->hw_note),
		         "guest-mode counting refused: %s (mediated vPMU?)",
		         strerror(p->open_err));
	else if (p->open_err)
		snprintf(h->hw_note, sizeof(h->hw_note),
		         "perf_event_open on vCPU threads: %s",
		         strerror(p->open_err));
	else
		snprintf(h->hw_note, sizeof(h->hw_note), "%s", p->note);
}
