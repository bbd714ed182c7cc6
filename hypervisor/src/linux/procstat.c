/* SPDX-License-Identifier: MIT */
/* /proc/stat per-CPU times, /proc/meminfo, /proc/uptime, hostname. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/sysio.h"
#include "plat_int.h"

/* Read all of /proc/stat through a kept-open fd, growing the buffer: the
 * intr line alone can be tens of kB on big hosts. */
static ssize_t read_stat(hv_plat *p, hv_err *err)
{
	char path[PATH_MAX];
	ssize_t n;

	if (p->stat_fd < 0) {
		if (plat_path(p, HV_ROOT_PROC, path, sizeof(path), "stat"))
			return hv_err_set(err, ENAMETOOLONG, "stat path");
		p->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (p->stat_fd < 0)
			return hv_err_set(err, errno, "%s: %s", path,
			                  strerror(errno));
	}
	if (!p->statbuf) {
		p->statcap = 16384;
		p->statbuf = malloc(p->statcap);
		if (!p->statbuf)
			return hv_err_set(err, ENOMEM, "out of memory");
	}
	for (;;) {
		n = hv_pread_all(p->stat_fd, p->statbuf, p->statcap,
		                 "/proc/stat", err);
		if (n < 0)
			return n;
		if ((size_t)n < p->statcap - 1)
			return n;
		char *nb = realloc(p->statbuf, p->statcap * 2);
		if (!nb)
			return hv_err_set(err, ENOMEM, "out of memory");
		p->statbuf = nb;
		p->statcap *= 2;
	}
}

static hv_pcpu *find_pcpu(hv_host *h, unsigned id)
{
	size_t lo = 0, hi = h->nr_pcpu;

	while (lo < hi) { /* pcpu[] is sorted by id */
		size_t mid = (lo + hi) / 2;
		if (h->pcpu[mid].id == id)
			return &h->pcpu[mid];
		if (h->pcpu[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Parse the fields after "cpuN": user nice system idle iowait irq softirq
 * steal guest guest_nice. Older kernels have fewer; at least 4 needed. */
static int parse_times(const char *s, const char *eol, uint64_t f[10])
{
	int nf = 0;

	memset(f, 0, 10 * sizeof(uint64_t));
	while (s < eol) {
		char num[32];
		size_t l = 0;

		while (s < eol && *s == ' ')
			s++;
		if (s >= eol)
			break;
		while (s < eol && *s != ' ' && l < sizeof(num) - 1)
			num[l++] = *s++;
		num[l] = '\0';
		if ((s < eol && *s != ' ') || nf >= 10 ||
		    hv_parse_u64(num, &f[nf]))
			return -EINVAL;
		nf++;
	}
	return nf >= 4 ? 0 : -EINVAL;
}

int plat_procstat_sample(hv_plat *p, hv_host *h, hv_err *err)
{
	ssize_t n = read_stat(p, err);
	const char *s, *end;

	if (n < 0) {
		for (uint32_t i = 0; i < h->nr_pcpu; i++) {
			h->pcpu[i].busy_ns = hv_na(HV_NA_UNAVAILABLE);
			h->pcpu[i].idle_ns = hv_na(HV_NA_UNAVAILABLE);
		}
		return (int)n;
	}
	s = p->statbuf;
	end = s + n;
	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		uint64_t f[10];
		char *idend;
		unsigned long id;
		hv_pcpu *pc;

		if (!eol)
			eol = end; /* truncated last line */
		if (strncmp(s, "cpu", 3) || !isdigit((unsigned char)s[3]))
			goto next;
		id = strtoul(s + 3, &idend, 10);
		if (idend >= eol || *idend != ' ' || id > UINT32_MAX)
			goto next;
		pc = find_pcpu(h, (unsigned)id);
		if (!pc)
			goto next;
		if (parse_times(idend, eol, f)) {
			pc->busy_ns = hv_na(HV_NA_ERROR);
			pc->idle_ns = hv_na(HV_NA_ERROR);
			goto next;
		}
		/* guest and guest_nice are already inside user and nice. */
		pc->busy_ns = hv_val(
		    plat_ticks_ns(p, f[0] + f[1] + f[2] + f[5] + f[6] + f[7]));
		pc->idle_ns = hv_val(plat_ticks_ns(p, f[3] + f[4]));
	next:
		s = eol + 1;
	}
	return 0;
}

static hv_u64 meminfo_field(const char *buf, const char *key)
{
	size_t kl = strlen(key);
	const char *s = buf;

	while (s && *s) {
		if (!strncmp(s, key, kl) && s[kl] == ':') {
			char *e;
			unsigned long long v;
			const char *q = s + kl + 1;
			while (*q == ' ')
				q++;
			if (!isdigit((unsigned char)*q))
				return hv_na(HV_NA_ERROR);
			errno = 0;
			v = strtoull(q, &e, 10);
			if (errno || strncmp(e, " kB", 3))
				return hv_na(HV_NA_ERROR);
			return hv_val(v);
		}
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return hv_na(HV_NA_UNSUPPORTED);
}

void plat_procmisc_sample(hv_plat *p, hv_host *h)
{
	char path[PATH_MAX], buf[8192];

	if (!plat_path(p, HV_ROOT_PROC, path, sizeof(path),
	               "sys/kernel/hostname") &&
	    !hv_read_str(path, buf, sizeof(buf), NULL))
		hv_sanitize_name(h->hostname, sizeof(h->hostname), buf,
		                 strlen(buf));
	h->uptime_ns = hv_na(HV_NA_UNAVAILABLE);
	if (!plat_path(p, HV_ROOT_PROC, path, sizeof(path), "uptime") &&
	    hv_read_file(path, buf, sizeof(buf), NULL) >= 0) {
		/* "12345.67 23456.78": seconds with centiseconds. */
		unsigned long long sec, frac = 0;
		int fl = 0;
		char *e;
		errno = 0;
		sec = strtoull(buf, &e, 10);
		if (!errno && e != buf && *e == '.') {
			const char *q = e + 1;
			while (isdigit((unsigned char)*q) && fl < 9) {
				frac = frac * 10 + (unsigned)(*q - '0');
				fl++;
				q++;
			}
			for (int i = fl; i < 9; i++)
				frac *= 10;
			if (fl > 0 && (*q == ' ' || *q == '\n'))
				h->uptime_ns =
				    hv_val(sec * 1000000000ull + frac);
			else
				h->uptime_ns = hv_na(HV_NA_ERROR);
		} else {
			h->uptime_ns = hv_na(HV_NA_ERROR);
		}
	}
	h->mem_total_kib = hv_na(HV_NA_UNAVAILABLE);
	h->mem_free_kib = hv_na(HV_NA_UNAVAILABLE);
	if (!plat_path(p, HV_ROOT_PROC, path, sizeof(path), "meminfo") &&
	    hv_read_file(path, buf, sizeof(buf), NULL) >= 0) {
		h->mem_total_kib = meminfo_field(buf, "MemTotal");
		/* "free" for a hypervisor host means what a new guest could
		 * get: MemAvailable (reclaimable cache included). */
		h->mem_free_kib = meminfo_field(buf, "MemAvailable");
		if (h->mem_free_kib.why == HV_NA_UNSUPPORTED)
			h->mem_free_kib = meminfo_field(buf, "MemFree");
	}
}
