/* SPDX-License-Identifier: MIT */
/* Machine checks on Linux: the kernel logs every corrected error it finds
 * while polling the banks (and every MCE it survives) through the
 * mce:mce_record tracepoint. We open that tracepoint with perf_event_open
 * once per CPU (sample_period 1, TIME|CPU|RAW, CLOCK_MONOTONIC) and drain
 * each CPU's mmap ring at every sample: no thread, no wakeups, and a ring
 * of 64 pages holds ~1,900 records between two samples. The record layout
 * comes from tracefs' format file (kernel/tracing, else the older
 * kernel/debug/tracing), never from fixed offsets.
 *
 * Under a fixture root (HVKIT_SYSFS redirected) nothing is opened on the
 * real kernel: records are read from <event dir>/hvkit.records, a file of
 * perf sample records as the ring holds them, appended by the test.
 *
 * Page state: /proc/kpageflags bit 19 (KPF_HWPOISON) for each tracked page;
 * soft_offline_page marks a page poisoned, so the flag is the kernel's own
 * word that the page is out of service. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hv/ras.h"
#include "hv/sysio.h"
#include "plat_int.h"

#define EVDIR "events/mce/mce_record"
#define RING_PAGES 64    /* data pages per CPU (power of two) */
#define RETRY_SAMPLES 10 /* retry CPUs that failed to open (offline) */
#define KPF_HWPOISON 19  /* include/uapi/linux/kernel-page-flags.h */
#define REASON_HVKIT "soft-offline by hvkit"
#define REASON_KERNEL "poisoned (kernel)"

struct plat_mce {
	hv_ras *ras;
	hv_mce_fmt fmt;
	int perf;    /* 1: perf rings, 0: fixture records file */
	uint8_t why; /* HV_OK when counting */
	char note[HV_NOTE_LEN];
	char dir[PATH_MAX]; /* the event's tracefs dir */
	uint32_t ncpu;
	int *fd;
	void **ring;
	size_t pg, data_sz;
	uint32_t retry;
	uint64_t file_off; /* fixture: bytes of hvkit.records consumed */
	uint64_t bad;
	int kpf_fd;
	char kpf_note[48];
};

static long perf_open(struct perf_event_attr *a, int cpu)
{
	return syscall(SYS_perf_event_open, a, -1, cpu, -1,
	               PERF_FLAG_FD_CLOEXEC);
}

static void mce_add(void *ctx, const hv_mce *m)
{
	hv_ras_add(ctx, m);
}

/* The event dir under tracefs (sysfs kernel/tracing) or debugfs. */
static int find_event(hv_plat *p, struct plat_mce *m, char *fmt, size_t len)
{
	static const char *const roots[] = {"kernel/tracing",
	                                    "kernel/debug/tracing"};
	int last = -ENOENT;

	for (size_t i = 0; i < 2; i++) {
		char path[PATH_MAX];
		ssize_t n;
		if (plat_path(p, HV_ROOT_SYS, m->dir, sizeof(m->dir),
		              "%s/" EVDIR, roots[i]) ||
		    snprintf(path, sizeof(path), "%s/format", m->dir) >=
		        (int)sizeof(path))
			continue;
		n = hv_read_file(path, fmt, len, NULL);
		if (n >= 0)
			return 0;
		if (n != -ENOENT && n != -ENOTDIR)
			last = (int)n; /* EACCES: tracefs is root-only */
		else if (plat_has(m->dir))
			last = -EACCES;
	}
	return last;
}

static void open_cpu(hv_plat *p, struct plat_mce *m, uint32_t cpu)
{
	struct perf_event_attr a;
	void *r;
	long fd;

	if (cpu >= p->ncpu || !p->cpu[cpu].present ||
	    plat_cpu_online(p, cpu) == 0)
		return;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_TRACEPOINT;
	a.config = m->fmt.id;
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_RAW;
	a.use_clockid = 1;
	a.clockid = CLOCK_MONOTONIC;
	fd = perf_open(&a, (int)cpu);
	if (fd < 0) {
		int e = errno;
		if ((e == EACCES || e == EPERM) && m->why == HV_OK) {
			m->why = HV_NA_UNAVAILABLE;
			snprintf(m->note, sizeof(m->note),
			         "mce tracepoint: perf_event_open not "
			         "permitted (needs root or CAP_PERFMON)");
		}
		return;
	}
	r = mmap(NULL, m->pg + m->data_sz, PROT_READ | PROT_WRITE, MAP_SHARED,
	         (int)fd, 0);
	if (r == MAP_FAILED) {
		if (m->why == HV_OK) {
			m->why = HV_NA_UNAVAILABLE;
			snprintf(m->note, sizeof(m->note),
			         "mce tracepoint: ring mmap: %s (locked "
			         "memory limit?)",
			         strerror(errno));
		}
		close((int)fd);
		return;
	}
	m->fd[cpu] = (int)fd;
	m->ring[cpu] = r;
}

void plat_mce_open(hv_plat *p)
{
	struct plat_mce *m = calloc(1, sizeof(*m));
	char fmt[8192];
	hv_err e = {0};
	int rc;

	if (!m)
		return; /* the sample says unsupported: no worse than before */
	m->kpf_fd = -1;
	m->ras = hv_ras_new();
	if (!m->ras) {
		free(m);
		return;
	}
	p->mce = m;
	rc = find_event(p, m, fmt, sizeof(fmt));
	if (rc) {
		m->why = rc == -ENOENT ? HV_NA_UNSUPPORTED : HV_NA_UNAVAILABLE;
		snprintf(m->note, sizeof(m->note), "%s",
		         rc == -ENOENT
		             ? "no mce:mce_record tracepoint (no tracefs "
		               "or no x86 MCE)"
		             : "mce tracepoint: tracefs not readable (needs "
		               "root)");
		return;
	}
	if (hv_mce_fmt_parse(fmt, &m->fmt, &e)) {
		m->why = HV_NA_ERROR;
		snprintf(m->note, sizeof(m->note), "%s", e.msg);
		return;
	}
	if (p->env.redirected)
		return; /* fixture: records come from hvkit.records */
	m->perf = 1;
	m->pg = (size_t)sysconf(_SC_PAGESIZE);
	m->data_sz = m->pg * RING_PAGES;
	m->ncpu = p->ncpu;
	m->fd = malloc(m->ncpu * sizeof(*m->fd));
	m->ring = calloc(m->ncpu, sizeof(*m->ring));
	if (!m->fd || !m->ring) {
		m->why = HV_NA_ERROR;
		snprintf(m->note, sizeof(m->note), "mce: out of memory");
		m->ncpu = 0;
		return;
	}
	for (uint32_t i = 0; i < m->ncpu; i++)
		m->fd[i] = -1;
	for (uint32_t i = 0; i < m->ncpu && m->why == HV_OK; i++)
		open_cpu(p, m, i);
}

void plat_mce_close(hv_plat *p)
{
	struct plat_mce *m = p->mce;

	if (!m)
		return;
	for (uint32_t i = 0; i < m->ncpu; i++) {
		if (m->ring[i])
			munmap(m->ring[i], m->pg + m->data_sz);
		if (m->fd[i] >= 0)
			close(m->fd[i]);
	}
	if (m->kpf_fd >= 0)
		close(m->kpf_fd);
	free(m->fd);
	free(m->ring);
	hv_ras_free(m->ras);
	free(m);
	p->mce = NULL;
}

static void drain_ring(struct plat_mce *m, uint32_t cpu)
{
	struct perf_event_mmap_page *mp = m->ring[cpu];
	const uint8_t *data = (const uint8_t *)mp + m->pg;
	uint64_t head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = mp->data_tail, lost = 0;

	if (head - tail > m->data_sz) {
		/* Cannot happen with a writable (backward-stop) ring; if it
		 * does, what is there was overwritten: skip it, count it. */
		m->bad++;
		tail = head;
	}
	(void)hv_mce_ring_drain(&m->fmt, data, m->data_sz, tail, head, mce_add,
	                        m->ras, &lost, &m->bad);
	if (lost)
		hv_ras_lost(m->ras, lost);
	__atomic_store_n(&mp->data_tail, head, __ATOMIC_RELEASE);
}

/* Fixture feed: whole records appended to hvkit.records since last time. */
static void drain_file(struct plat_mce *m)
{
	char path[PATH_MAX];
	uint64_t lost = 0, cap = 1;
	uint8_t *buf = NULL;
	struct stat st;
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/hvkit.records", m->dir) >=
	    (int)sizeof(path))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) || (uint64_t)st.st_size <= m->file_off)
		goto out;
	while (cap < (uint64_t)st.st_size - m->file_off)
		cap <<= 1;
	if (!(buf = malloc(cap)))
		goto out;
	n = pread(fd, buf, (size_t)((uint64_t)st.st_size - m->file_off),
	          (off_t)m->file_off);
	if (n <= 0)
		goto out;
	/* A half-written last record is left for the next sample. */
	{
		uint64_t end = 0;
		while (end + 8 <= (uint64_t)n) {
			uint16_t sz;
			memcpy(&sz, buf + end + 6, 2);
			if (sz < 8 || end + sz > (uint64_t)n)
				break;
			end += sz;
		}
		(void)hv_mce_ring_drain(&m->fmt, buf, cap, 0, end, mce_add,
		                        m->ras, &lost, &m->bad);
		m->file_off += end;
	}
	if (lost)
		hv_ras_lost(m->ras, lost);
out:
	free(buf);
	close(fd);
}

/* Refresh tracked pages from kpageflags. */
static void page_states(hv_plat *p, struct plat_mce *m, hv_snap *s)
{
	hv_host *h = hv_snap_host_mut(s);

	for (uint32_t i = 0; i < h->nr_page; i++) {
		hv_page *pg = &h->page[i];
		uint64_t flags;
		ssize_t n;
		int poisoned;
		if (m->kpf_fd < 0 && !m->kpf_note[0]) {
			char path[PATH_MAX];
			if (!plat_path(p, HV_ROOT_PROC, path, sizeof(path),
			               "kpageflags"))
				m->kpf_fd = open(path, O_RDONLY | O_CLOEXEC);
			if (m->kpf_fd < 0)
				snprintf(m->kpf_note, sizeof(m->kpf_note),
				         "kpageflags: %s", strerror(errno));
		}
		if (m->kpf_fd < 0) {
			if (pg->state == HV_PAGE_ONLINE) {
				pg->state = HV_PAGE_UNKNOWN;
				snprintf(pg->reason, sizeof(pg->reason), "%s",
				         m->kpf_note);
			}
			continue;
		}
		n = pread(m->kpf_fd, &flags, sizeof(flags),
		          (off_t)((pg->addr >> HV_RAS_PAGE_SHIFT) * 8));
		if (n != (ssize_t)sizeof(flags)) {
			if (pg->state == HV_PAGE_ONLINE) {
				pg->state = HV_PAGE_UNKNOWN;
				snprintf(pg->reason, sizeof(pg->reason),
				         "kpageflags: no such page");
			}
			continue;
		}
		poisoned = !!(flags & (1ull << KPF_HWPOISON));
		if (poisoned && pg->state != HV_PAGE_SOFT_OFFLINE) {
			(void)hv_ras_page_state(m->ras, pg->addr,
			                        HV_PAGE_SOFT_OFFLINE,
			                        REASON_KERNEL);
			pg->state = HV_PAGE_SOFT_OFFLINE;
			snprintf(pg->reason, sizeof(pg->reason), "%s",
			         REASON_KERNEL);
		} else if (!poisoned && pg->state != HV_PAGE_ONLINE) {
			(void)hv_ras_page_state(m->ras, pg->addr,
			                        HV_PAGE_ONLINE, "");
			pg->state = HV_PAGE_ONLINE;
			pg->reason[0] = '\0';
		}
	}
}

void plat_mce_sample(hv_plat *p, hv_snap *s)
{
	struct plat_mce *m = p->mce;
	hv_host *h = hv_snap_host_mut(s);

	if (!m) {
		h->page_why = HV_NA_UNSUPPORTED;
		return;
	}
	if (m->why != HV_OK) {
		for (uint32_t i = 0; i < h->nr_pcpu; i++) {
			h->pcpu[i].ce_count = h->pcpu[i].ue_count =
			    h->pcpu[i].last_err_ns = hv_na((hv_why)m->why);
		}
		h->page_why = m->why;
		h->mce_lost = hv_na((hv_why)m->why);
		snprintf(h->ras_note, sizeof(h->ras_note), "%s", m->note);
		/* Pages offlined through the knob are still known. */
		if (hv_ras_npages(m->ras) && !hv_ras_fill(m->ras, s, NULL)) {
			for (uint32_t i = 0; i < h->nr_pcpu; i++)
				h->pcpu[i].ce_count = h->pcpu[i].ue_count =
				    h->pcpu[i].last_err_ns =
				        hv_na((hv_why)m->why);
			h->mce_lost = hv_na((hv_why)m->why);
			page_states(p, m, s);
		}
		return;
	}
	if (m->perf) {
		int retry = ++m->retry >= RETRY_SAMPLES;
		if (retry)
			m->retry = 0;
		for (uint32_t i = 0; i < m->ncpu; i++) {
			if (m->ring[i])
				drain_ring(m, i);
			else if (retry)
				open_cpu(p, m, i); /* came online */
		}
	} else {
		drain_file(m);
	}
	if (hv_ras_fill(m->ras, s, NULL)) {
		h->page_why = HV_NA_ERROR;
		return;
	}
	if (m->perf) {
		/* A CPU whose ring is not open (offline since we started)
		 * counted nothing: its counts are unknown, not 0. */
		for (uint32_t i = 0; i < h->nr_pcpu; i++) {
			uint32_t id = h->pcpu[i].id;
			if (id < m->ncpu && !m->ring[id] &&
			    !h->pcpu[i].ce_count.v && !h->pcpu[i].ue_count.v)
				h->pcpu[i].ce_count = h->pcpu[i].ue_count =
				    h->pcpu[i].last_err_ns =
				        hv_na(HV_NA_UNAVAILABLE);
		}
	}
	if (m->bad && !h->ras_note[0])
		snprintf(h->ras_note, sizeof(h->ras_note),
		         "mce: %" PRIu64 " malformed records skipped", m->bad);
	page_states(p, m, s);
}

/* ---- mem/ADDR/offline ---- */

/* 1 poisoned, 0 not, negative errno when unreadable. */
static int page_poisoned(hv_plat *p, uint64_t addr)
{
	char path[PATH_MAX];
	uint64_t flags;
	ssize_t n;
	int fd;

	if (plat_path(p, HV_ROOT_PROC, path, sizeof(path), "kpageflags"))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, &flags, sizeof(flags),
	          (off_t)((addr >> HV_RAS_PAGE_SHIFT) * 8));
	close(fd);
	if (n != (ssize_t)sizeof(flags))
		return -ERANGE; /* past the last page frame */
	return !!(flags & (1ull << KPF_HWPOISON));
}

int plat_mem_knob_get(hv_plat *p, const char *knob, char *val, size_t len,
                      hv_err *err)
{
	uint64_t addr = 0;
	int rc;

	if ((rc = hv_ras_mem_knob(knob, &addr, err)))
		return rc;
	rc = page_poisoned(p, addr);
	if (rc == -ERANGE)
		return hv_err_set(err, ERANGE,
		                  "page 0x%" PRIx64 ": no such page frame",
		                  addr);
	if (rc < 0)
		return hv_err_set(err, -rc,
		                  "page 0x%" PRIx64
		                  ": state unreadable (kpageflags: %s)",
		                  addr, strerror(-rc));
	snprintf(val, len, "%d", rc);
	return 0;
}

int plat_mem_knob_set(hv_plat *p, const char *knob, const char *val,
                      hv_err *err)
{
	char path[PATH_MAX], hex[32];
	uint64_t addr = 0;
	int rc, was;

	if ((rc = hv_ras_mem_knob(knob, &addr, err)))
		return rc;
	if (!strcmp(val, "0"))
		return hv_err_set(err, EPERM,
		                  "page 0x%" PRIx64 ": a soft-offlined page "
		                  "cannot be brought back online",
		                  addr);
	if (strcmp(val, "1"))
		return hv_err_set(err, EINVAL,
		                  "%s: value must be 1 (offline), not \"%s\"",
		                  knob, val);
	was = page_poisoned(p, addr);
	if (was == -ERANGE)
		return hv_err_set(err, ERANGE,
		                  "page 0x%" PRIx64 ": no such page frame",
		                  addr);
	if (was == 1)
		return hv_err_set(err, EALREADY,
		                  "page 0x%" PRIx64 " is already poisoned "
		                  "(offline)",
		                  addr);
	if (plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	              "devices/system/memory/soft_offline_page"))
		return hv_err_set(err, ENAMETOOLONG, "path too long");
	if (!plat_has(path))
		return hv_err_set(err, ENOTSUP,
		                  "page 0x%" PRIx64 ": this kernel has no "
		                  "soft_offline_page (CONFIG_MEMORY_FAILURE)",
		                  addr);
	snprintf(hex, sizeof(hex), "0x%" PRIx64, addr);
	rc = plat_write(path, hex, NULL);
	if (rc == -EBUSY)
		return hv_err_set(err, EBUSY,
		                  "page 0x%" PRIx64 ": the kernel could not "
		                  "migrate its contents (EBUSY); it stays "
		                  "online",
		                  addr);
	if (rc == -EINVAL)
		return hv_err_set(err, EINVAL,
		                  "page 0x%" PRIx64 ": the kernel refused it "
		                  "(EINVAL: not a page it can offline)",
		                  addr);
	if (rc)
		return hv_err_set(err, -rc, "page 0x%" PRIx64 ": %s", addr,
		                  strerror(-rc));
	if (p->mce)
		(void)hv_ras_page_state(p->mce->ras, addr, HV_PAGE_SOFT_OFFLINE,
		                        REASON_HVKIT);
	return 0;
}
