/* SPDX-License-Identifier: MIT */
/* perf counters on vCPU threads. One perf group per thread (leader + the
 * other slots) read in one syscall with TOTAL_TIME_ENABLED/RUNNING, so a
 * multiplexed group is scaled by enabled/running and its ratios (IPC) stay
 * consistent. fds stay open across samples, keyed by (domain key, tid), and
 * are closed when the thread is no longer reported. */
#include <ctype.h>
#include <dirent.h>
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
#define LEFT_OUT " left out: "

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
	char desc[HV_HW_MAX][HV_PMU_DESC_LEN]; /* what each slot counts */
	char note[HV_NOTE_LEN];
	char left[HV_NOTE_LEN / 2];     /* aliases left out, comma-separated */
	char left_why[HV_NOTE_LEN / 2]; /* why (the first one's reason) */
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

/* The hardware aliases on an ARM core libpfm4 has a table for, through that
 * table: ARMv8 common events, the numbers the kernel's armv8_pmuv3 events/
 * files give. llc_misses takes the first the core has: last-level read
 * misses (Neoverse, Kunpeng), else L3 refills, else L2 refills (Cortex-A53/
 * A57, A64FX: the L2 is their last level; ThunderX2 and X-Gene have an L3
 * their PMU does not see, so there it is L2 refills, and says so). */
static const struct arm_alias {
	const char *alias, *ev, *what;
} arm_aliases[] = {
    {"instructions", "INST_RETIRED", "instructions retired"},
    {"cycles", "CPU_CYCLES", "core cycles"},
    {"llc_misses", "LL_CACHE_MISS_RD", "last-level read misses"},
    {"llc_misses", "L3D_CACHE_REFILL", "L3 refills"},
    {"llc_misses", "L2D_CACHE_REFILL", "L2 refills"},
};

static long perf_open(struct perf_event_attr *a, pid_t pid, int cpu, int group)
{
	return syscall(SYS_perf_event_open, a, pid, cpu, group,
	               PERF_FLAG_FD_CLOEXEC);
}

static const struct alias *find_alias(const char *ev)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(ev, aliases[i].alias))
			return &aliases[i];
	return NULL;
}

/* The kernel's names for an ARM CPU PMU: "armv<N>_..." (armv7_cortex_a15,
 * armv8_cortex_a57, armv9_cortex_a710, armv8_pmuv3_0). */
static int cpu_pmu_name(const char *n)
{
	return !strncmp(n, "armv", 4) && n[4] >= '0' && n[4] <= '9' &&
	       n[5] == '_';
}

/* The kernel's ARM CPU PMUs under <sysfs>/bus/event_source/devices
 * (armv8_pmuv3_0 on ACPI hosts, armv8_cortex_a57, armv9_cortex_a710 and
 * the like on device-tree ones): how many, and the name of one in first. -1 when the
 * directory cannot be read (then only perf_event_open can tell). */
static int arm_kpmus(const hv_env *env, char *first, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = NULL;
	int n = -1;

	first[0] = '\0';
	if (hv_env_path(env, HV_ROOT_SYS, path, sizeof(path),
	                "bus/event_source/devices") ||
	    !(d = opendir(path)))
		goto out;
	n = 0;
	while ((de = readdir(d)))
		if (cpu_pmu_name(de->d_name) && n++ == 0)
			snprintf(first, len, "%s", de->d_name);
out:
	if (d)
		closedir(d);
	return n;
}

/* Whether the kernel's PMU lists the event (its events/ directory holds the
 * common events the core's PMCEID registers advertise) with the number
 * libpfm4 gave: "event=0x0037". */
static int kernel_has(const hv_env *env, const char *kpmu, const char *ev,
                      uint64_t config)
{
	char path[PATH_MAX], lower[48], buf[64], *end;
	size_t i;
	unsigned long long v;

	for (i = 0; ev[i] && i + 1 < sizeof(lower); i++)
		lower[i] = (char)tolower((unsigned char)ev[i]);
	lower[i] = '\0';
	if (hv_env_path(env, HV_ROOT_SYS, path, sizeof(path),
	                "bus/event_source/devices/%s/events/%s", kpmu, lower) ||
	    hv_read_str(path, buf, sizeof(buf), NULL) ||
	    strncmp(buf, "event=", 6))
		return 0;
	errno = 0;
	v = strtoull(buf + 6, &end, 0);
	return !errno && (*end == '\0' || *end == ',') && v == config;
}

#ifdef HV_HAVE_PFM
/* libpfm4 is loaded when an event is encoded, not linked: the tools run
 * without it (Debian: Recommends), with the built-in aliases only. */
typedef struct pfm_lib {
	void *dl;
	const char *(*str)(int);
	int (*enc)(const char *, int, pfm_os_t, void *);
	int (*info)(pfm_pmu_t, pfm_pmu_info_t *);
} pfm_lib;

static void pfm_unload(pfm_lib *l)
{
	if (l->dl)
		dlclose(l->dl);
	l->dl = NULL;
}

/* 0 loaded and initialised, 1 libpfm4 not installed, <0 refused. */
static int pfm_load(pfm_lib *l, hv_err *err)
{
	int (*init)(void);
	int r = 1;

	memset(l, 0, sizeof(*l));
	if (!(l->dl = dlopen("libpfm.so.4", RTLD_NOW | RTLD_LOCAL)))
		goto out;
	init = (int (*)(void))dlsym(l->dl, "pfm_initialize");
	l->str = (const char *(*)(int))dlsym(l->dl, "pfm_strerror");
	l->enc = (int (*)(const char *, int, pfm_os_t, void *))dlsym(
	    l->dl, "pfm_get_os_event_encoding");
	l->info = (int (*)(pfm_pmu_t, pfm_pmu_info_t *))dlsym(
	    l->dl, "pfm_get_pmu_info");
	if (!init || !l->str || !l->enc || !l->info)
		goto out;
	if ((r = init()) != PFM_SUCCESS)
		r = hv_err_set(err, ENODEV, "libpfm4: %s", l->str(r));
out:
	if (r)
		pfm_unload(l);
	return r;
}

/* libpfm4's default core PMU when it is an ARM one ("arm_n1", "arm_ac57"),
 * named from the CPU's MIDR (cpuinfo); "" otherwise (x86, or an ARM core
 * libpfm4 has no table for, like QEMU's max). */
static void pfm_arm_core(const pfm_lib *l, char *name, size_t len)
{
	name[0] = '\0';
	for (int p = PFM_PMU_NONE + 1; p < PFM_PMU_MAX && !name[0]; p++) {
		pfm_pmu_info_t in;
		memset(&in, 0, sizeof(in));
		in.size = sizeof(in);
		if (l->info((pfm_pmu_t)p, &in) == PFM_SUCCESS &&
		    in.is_present && in.type == PFM_PMU_TYPE_CORE && in.name &&
		    !strncmp(in.name, "arm_", 4))
			snprintf(name, len, "%s", in.name);
	}
}

static int pfm_enc(const pfm_lib *l, const char *spec,
                   struct perf_event_attr *attr)
{
	pfm_perf_encode_arg_t arg;

	memset(attr, 0, sizeof(*attr));
	memset(&arg, 0, sizeof(arg));
	arg.attr = attr;
	arg.size = sizeof(arg);
	return l->enc(spec, PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
}

/* A hardware alias through the ARM core's own table: the first of its
 * events the table has and, when the kernel exposes exactly one CPU PMU,
 * that PMU lists with the same number. 0 encoded, 1 not a hardware alias,
 * -ENOENT when neither has one. */
static int arm_encode(const pfm_lib *l, const hv_env *env, const char *core,
                      const char *alias, hv_pmu_ev *out, hv_err *err)
{
	char kpmu[64], spec[64];
	int nk = arm_kpmus(env, kpmu, sizeof(kpmu)), seen = 0;

	for (size_t i = 0; i < sizeof(arm_aliases) / sizeof(arm_aliases[0]);
	     i++) {
		const struct arm_alias *a = &arm_aliases[i];
		if (strcmp(a->alias, alias))
			continue;
		seen = 1;
		snprintf(spec, sizeof(spec), "%s::%s", core, a->ev);
		if (pfm_enc(l, spec, &out->attr) != PFM_SUCCESS ||
		    (nk == 1 &&
		     !kernel_has(env, kpmu, a->ev, out->attr.config)))
			continue;
		snprintf(out->desc, sizeof(out->desc), "%s (0x%llx, %s)", spec,
		         (unsigned long long)out->attr.config, a->what);
		return 0;
	}
	if (!seen)
		return 1;
	return hv_err_set(err, ENOENT, "%s" LEFT_OUT "no such event on %s%s%s",
	                  alias, core, nk == 1 ? " in " : "",
	                  nk == 1 ? kpmu : "");
}

/* 0 encoded by libpfm4, 1 not (not installed; an alias libpfm4 refused),
 * <0 refused. */
static int lib_encode(const hv_env *env, const char *ev, const struct alias *al,
                      hv_pmu_ev *out, hv_err *err)
{
	const char *spec = al ? al->pfm : ev;
	char core[32];
	pfm_lib l;
	int r = pfm_load(&l, err);

	if (r)
		return r;
	pfm_arm_core(&l, core, sizeof(core));
	if (al && core[0] &&
	    (r = arm_encode(&l, env, core, al->alias, out, err)) <= 0)
		goto out;
	if ((r = pfm_enc(&l, spec, &out->attr)) == PFM_SUCCESS) {
		snprintf(out->desc, sizeof(out->desc), "%s", spec);
		r = 0;
	} else if (al) {
		r = 1; /* e.g. LIBPFM_FORCE_PMU leaves perf:: inactive */
	} else {
		r = hv_err_set(err, EINVAL, "event \"%s\": %s", ev, l.str(r));
	}
out:
	pfm_unload(&l);
	return r;
}

static void lib_arm_core(char *core, size_t len)
{
	pfm_lib l;

	core[0] = '\0';
	if (pfm_load(&l, NULL))
		return;
	pfm_arm_core(&l, core, len);
	pfm_unload(&l);
}
#else
static int lib_encode(const hv_env *env, const char *ev, const struct alias *al,
                      hv_pmu_ev *out, hv_err *err)
{
	(void)env, (void)ev, (void)al, (void)out, (void)err;
	return 1;
}

static void lib_arm_core(char *core, size_t len)
{
	(void)len;
	core[0] = '\0';
}
#endif

/* What perf_event_open needs besides the event: guest-only counting for
 * hardware events, one perf group read with its times. */
static void finish_attr(struct perf_event_attr *attr, int guest_only, int *hw)
{
	attr->size = sizeof(*attr);
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
}

int hv_pmu_encode_env(const hv_env *env, const char *ev, int guest_only,
                      hv_pmu_ev *out, hv_err *err)
{
	const struct alias *al = find_alias(ev);
	int r;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", ev);
	if ((r = lib_encode(env, ev, al, out, err)) < 0)
		return r;
	if (r > 0 && !al)
		return hv_err_set(
		    err, EINVAL,
		    "event \"%s\": without libpfm4 (libpfm.so.4) only "
		    "instructions, cycles, llc_misses, task-clock, "
		    "context-switches",
		    ev);
	if (r > 0) {
		memset(&out->attr, 0, sizeof(out->attr));
		out->attr.type = al->type;
		out->attr.config = al->config;
		snprintf(out->desc, sizeof(out->desc), "%s (built in)",
		         al->pfm);
	}
	finish_attr(&out->attr, guest_only, &out->hw);
	return 0;
}

int hv_pmu_encode(const char *ev, int guest_only, struct perf_event_attr *attr,
                  char *name, size_t len, int *hw, hv_err *err)
{
	hv_env env;
	hv_pmu_ev out;
	int r;

	if ((r = hv_env_init(&env, err)) ||
	    (r = hv_pmu_encode_env(&env, ev, guest_only, &out, err)))
		return r;
	*attr = out.attr;
	*hw = out.hw;
	snprintf(name, len, "%s", out.name);
	return 0;
}

/* Count the CPU PMU on the calling thread: config is a PERF_TYPE_HARDWARE
 * event. */
static int perf_probe(uint64_t config, char *why, size_t len)
{
	struct perf_event_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = config;
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

int hv_pmu_hw_check(const hv_env *env, char *why, size_t len)
{
	char kpmu[64], core[32];
	int nk = arm_kpmus(env, kpmu, sizeof(kpmu));

	if (nk > 1) {
		/* a per-thread event lands on the first CPU PMU that takes
		 * it and counts only while the thread runs on that PMU's
		 * CPUs: the figure would miss the other cluster's time */
		snprintf(why, len,
		         "%d CPU PMUs (big.LITTLE): a counter sees "
		         "one type",
		         nk);
		return 0;
	}
	lib_arm_core(core, sizeof(core));
	if (nk == 0 && core[0]) {
		/* Xen dom0 on ARM: libpfm4 names the CPU from its MIDR,
		 * but the kernel has no PMU device to count it */
		snprintf(why, len, "no hardware PMU (kernel has none for %s)",
		         core);
		return 0;
	}
	/* an ARM PMU may lack INST_RETIRED (QEMU without -icount); the
	 * cycle counter is architectural in PMUv3 */
	return perf_probe(nk == 1 ? PERF_COUNT_HW_CPU_CYCLES
	                          : PERF_COUNT_HW_INSTRUCTIONS,
	                  why, len);
}

int hv_pmu_hw_available(char *why, size_t len)
{
	hv_env env;

	if (hv_env_init(&env, NULL))
		return perf_probe(PERF_COUNT_HW_INSTRUCTIONS, why, len);
	return hv_pmu_hw_check(&env, why, len);
}

static int add_event(hv_pmu *p, const char *ev, int *hw, hv_err *err)
{
	hv_pmu_ev out;
	int r;

	if (p->n >= HV_HW_MAX)
		return hv_err_set(err, E2BIG, "at most %d events", HV_HW_MAX);
	if ((r = hv_pmu_encode_env(&p->env, ev, 1, &out, err)))
		return r == -ENOENT ? r : -EINVAL;
	p->attr[p->n] = out.attr;
	memcpy(p->name[p->n], out.name, sizeof(p->name[0]));
	memcpy(p->desc[p->n], out.desc, sizeof(p->desc[0]));
	*hw = out.hw;
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

/* Slot name left out, with why; the note lists them. */
static void leave_out(hv_pmu *p, const char *name, const char *why)
{
	size_t n = strlen(p->left);

	snprintf(p->left + n, sizeof(p->left) - n, "%s%s", n ? ", " : "", name);
	if (!p->left_why[0])
		snprintf(p->left_why, sizeof(p->left_why), "%s", why);
}

/* Encode the comma-separated list. An alias the host's PMU has no event
 * for (-ENOENT: llc_misses on a core without cache events) is left out
 * and the note says so; any other refusal fails the open. */
static int parse_events(hv_pmu *p, char *list, int *any_hw, hv_err *err)
{
	char *save = NULL;
	hv_err skip = {0};
	int r = 0;

	for (char *t = strtok_r(list, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		int hw = 0;
		while (*t == ' ')
			t++;
		if (!*t)
			continue;
		if ((r = add_event(p, t, &hw, &skip)) == -ENOENT) {
			const char *why = strstr(skip.msg, LEFT_OUT);
			leave_out(p, t,
			          why ? why + strlen(LEFT_OUT) : skip.msg);
			continue;
		}
		if (r) {
			if (err)
				*err = skip;
			return r;
		}
		*any_hw |= hw;
	}
	if (!p->n && p->left[0])
		return hv_err_set(err, ENOENT, "%s", skip.msg);
	if (!p->n)
		return hv_err_set(err, EINVAL, "no events given");
	return 0;
}

static void drop_slot(hv_pmu *p, size_t i)
{
	for (; i + 1 < p->n; i++) {
		p->attr[i] = p->attr[i + 1];
		memcpy(p->name[i], p->name[i + 1], sizeof(p->name[0]));
		memcpy(p->desc[i], p->desc[i + 1], sizeof(p->desc[0]));
	}
	p->n--;
}

/* On an ARM host the generic events (an ARM core libpfm4 has no table
 * for) may name what the PMU lacks (QEMU: no cache events, no
 * INST_RETIRED without -icount): try each hardware slot on this thread
 * once, and leave out what the PMU refuses rather than fail every open. */
static void arm_trial(hv_pmu *p, const char *kpmu)
{
	char why[HV_NOTE_LEN / 2];

	for (size_t i = 0; i < p->n;) {
		struct perf_event_attr a = p->attr[i];
		long fd = a.type == PERF_TYPE_SOFTWARE
		              ? -2
		              : perf_open(&a, 0, -1, -1);
		if (fd >= 0)
			close((int)fd);
		if (fd == -1 && (errno == ENOENT || errno == EOPNOTSUPP)) {
			snprintf(why, sizeof(why), "refused by %s (%s)", kpmu,
			         errno == ENOENT ? "ENOENT" : "EOPNOTSUPP");
			leave_out(p, p->name[i], why);
			drop_slot(p, i);
			continue;
		}
		i++;
	}
}

/* No usable CPU PMU: keep the software events asked for, drop the rest,
 * and say so once rather than show zeros or fail every open. */
static int replace_hw(hv_pmu *p, const char *why, hv_err *err)
{
	size_t k = 0;
	int hw = 0, r = 0;

	for (size_t i = 0; i < p->n; i++)
		if (p->attr[i].type == PERF_TYPE_SOFTWARE) {
			p->attr[k] = p->attr[i];
			memcpy(p->name[k], p->name[i], sizeof(p->name[0]));
			memcpy(p->desc[k], p->desc[i], sizeof(p->desc[0]));
			k++;
		}
	p->n = k;
	if (!have(p, "task-clock") &&
	    (r = add_event(p, "task-clock", &hw, err)))
		return r;
	if (!have(p, "context-switches") && p->n < HV_HW_MAX &&
	    (r = add_event(p, "context-switches", &hw, err)))
		return r;
	snprintf(p->note, sizeof(p->note),
	         "%s: hardware events replaced by software events", why);
	return 0;
}

/* The note when nothing was replaced: what was left out, else on ARM the
 * LLC-miss-like event used, which differs per core. */
static void arm_note(hv_pmu *p, int nk)
{
	if (p->note[0])
		return;
	if (p->left[0]) {
		snprintf(p->note, sizeof(p->note), "%s" LEFT_OUT "%s", p->left,
		         p->left_why);
		return;
	}
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->name[i], "llc_misses"))
			continue;
		if (!strncmp(p->desc[i], "arm_", 4))
			snprintf(p->note, sizeof(p->note), "llc_misses = %s",
			         p->desc[i]);
		else if (nk == 1 && strstr(p->desc[i], "perf::CACHE-MISSES"))
			/* the kernel's arm64 generic map */
			snprintf(p->note, sizeof(p->note),
			         "llc_misses = %s: L1D refills on arm64",
			         p->desc[i]);
	}
}

int hv_pmu_open(const hv_env *env, const char *events, hv_pmu **out,
                hv_err *err)
{
	hv_pmu *p = calloc(1, sizeof(*p));
	char *copy = NULL, why[64], kpmu[64];
	int r = 0, any_hw = 0, hw_ok, nk = -1;

	*out = NULL;
	if (!p || !(copy = strdup(events ? events : HV_PMU_EVENTS_DEFAULT))) {
		r = hv_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	p->env = *env;
	if ((r = parse_events(p, copy, &any_hw, err)))
		goto out;
	hw_ok = any_hw && hv_pmu_hw_check(&p->env, why, sizeof(why));
	if (any_hw && !hw_ok && (r = replace_hw(p, why, err)))
		goto out;
	if (hw_ok && (nk = arm_kpmus(&p->env, kpmu, sizeof(kpmu))) == 1)
		arm_trial(p, kpmu);
	if (!p->n) {
		r = hv_err_set(err, ENOENT, "%s" LEFT_OUT "%s", p->left,
		               p->left_why);
		goto out;
	}
	arm_note(p, nk);
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
const char *hv_pmu_slot_event(const hv_pmu *p, size_t i)
{
	return i < p->n ? p->desc[i] : "";
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
