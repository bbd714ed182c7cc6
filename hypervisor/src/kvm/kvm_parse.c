/* SPDX-License-Identifier: MIT */
/* Parsers for the kvm backend: procfs lines and QEMU command lines. Pure
 * functions on text in memory, so fixture tests can pin them exactly. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sysio.h"
#include "kvm/kvm_int.h"

/* UINT64_MAX in decimal: only a 20-digit number can overflow, and it does
 * when it sorts after this. */
static const char U64_MAX_DEC[] = "18446744073709551615";

/* Unsigned decimal at *p (an optional '-' makes it 0: stat's signed fields
 * we do not use). Advances *p past the token. */
static int next_field_neg(const char **p, uint64_t *v, bool *negp);

static int next_field(const char **p, uint64_t *v)
{
	bool neg;

	return next_field_neg(p, v, &neg);
}

int hv_kvm_next_u64(const char **p, uint64_t *v)
{
	bool neg;

	return next_field_neg(p, v, &neg) || neg ? -EINVAL : 0;
}

static int next_field_neg(const char **p, uint64_t *v, bool *negp)
{
	/* Hot: five stat lines per guest per sample. No ctype calls and no
	 * per-digit overflow test: only a 20-digit number can overflow. */
	const char *s = *p, *d;
	uint64_t x = 0;
	bool neg = false;

	while (*s == ' ')
		s++;
	if (*s == '-') {
		neg = true;
		s++;
	}
	for (d = s; (unsigned)((unsigned char)*s - '0') < 10u; s++)
		x = x * 10 + (uint64_t)((unsigned char)*s - '0');
	if (s == d || s - d > 20 ||
	    (s - d == 20 && memcmp(d, U64_MAX_DEC, 20) > 0))
		return -EINVAL;
	if (*s && *s != ' ' && *s != '\n')
		return -EINVAL;
	*p = s;
	*v = neg ? 0 : x;
	*negp = neg;
	return 0;
}

/* The stat fields the backend keeps, by number (1-based, as proc(5)). */
#define STAT_KEEP                                                  \
	((1ULL << 4) | (1ULL << 9) | (1ULL << 14) | (1ULL << 15) | \
	 (1ULL << 22) | (1ULL << 24) | (1ULL << 39) | (1ULL << 43))

int hv_kvm_parse_stat_to(const char *buf, struct hv_kvm_stat *st, int last)
{
	const char *open = strchr(buf, '(');
	const char *close = strrchr(buf, ')');
	const char *p;
	size_t n;
	int field;

	memset(st, 0, sizeof(*st));
	st->processor = -1;
	if (!open || !close || close < open)
		return -EINVAL;
	n = (size_t)(close - open - 1);
	if (n >= sizeof(st->comm))
		n = sizeof(st->comm) - 1;
	memcpy(st->comm, open + 1, n);
	st->comm[n] = '\0';
	if (close[1] != ' ' || !close[2] || close[3] != ' ')
		return -EINVAL;
	st->state = close[2];
	p = close + 3;
	/* Fields 4.. are [-]digits; we need up to 22 and take 39 and 43 when
	 * the kernel has them. The others are only checked to be numbers,
	 * in the tight loop below: this runs five times per guest per
	 * sample. */
	if (last > 43)
		last = 43;
	for (field = 4; field <= last; field++) {
		const char *d;
		uint64_t x;
		bool neg;

		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			break;
		if (!((STAT_KEEP >> field) & 1)) {
			p += *p == '-';
			d = p;
			while ((unsigned)((unsigned char)*p - '0') < 10u)
				p++;
			if (p == d || (*p != ' ' && *p != '\n' && *p))
				return -EINVAL;
			continue;
		}
		/* signed fields: none we keep is negative (x is 0 then) */
		if (next_field_neg(&p, &x, &neg))
			return -EINVAL;
		switch (field) {
		case 4:
			st->ppid = (uint32_t)x;
			break;
		case 9:
			st->flags = x;
			break;
		case 14:
			st->utime = x;
			break;
		case 15:
			st->stime = x;
			break;
		case 22:
			st->starttime = x;
			break;
		case 24:
			st->rss = x;
			st->rss_ok = !neg;
			break;
		case 39:
			st->processor = (int32_t)x;
			break;
		default: /* 43 */
			st->guest_time = x;
			st->has_guest = true;
			break;
		}
	}
	if (field <= 22)
		return -EINVAL; /* truncated before the identity */
	return 0;
}

int hv_kvm_parse_stat(const char *buf, struct hv_kvm_stat *st)
{
	return hv_kvm_parse_stat_to(buf, st, 43);
}

bool hv_kvm_is_qemu_name(const char *name)
{
	/* comm is cut to 15 bytes: "qemu-system-x86" for x86_64. */
	return strncmp(name, "qemu-system-", 12) == 0 ||
	       strcmp(name, "qemu-kvm") == 0 || strcmp(name, "kvm") == 0;
}

int hv_kvm_vcpu_index(const char *comm)
{
	/* QEMU "CPU 3/KVM"; kvmtool "kvm-vcpu-3"; crosvm "crosvm_vcpu3";
	 * Firecracker "fc_vcpu 3"; Cloud Hypervisor "vcpu3". */
	static const struct {
		const char *pre;
		char end; /* what follows the number */
	} pats[] = {{"CPU ", '/'},
	            {"kvm-vcpu-", '\0'},
	            {"crosvm_vcpu", '\0'},
	            {"fc_vcpu ", '\0'},
	            {"vcpu", '\0'}};

	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		size_t pl = strlen(pats[i].pre);
		char *end;
		unsigned long v;

		if (strncmp(comm, pats[i].pre, pl) != 0 ||
		    !isdigit((unsigned char)comm[pl]))
			continue;
		v = strtoul(comm + pl, &end, 10);
		if (*end != pats[i].end || v > 65535)
			return -1;
		return (int)v;
	}
	return -1;
}

void hv_kvm_vmm_name(const char *buf, size_t len, uint32_t pid, char *out,
                     size_t olen)
{
	static const char *const keys[] = {"--name", "--id", "--vm-name"};
	const char *argv0 = buf, *base, *p = buf, *e = buf + len;

	/* "--name X" or "--name=X" (kvmtool, crosvm, Cloud Hypervisor's
	 * --api-socket has no name), Firecracker "--id X". */
	while (p < e) {
		size_t l = strnlen(p, (size_t)(e - p));
		const char *next = p + l + 1;

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t kl = strlen(keys[i]);
			const char *v = NULL;

			if (l == kl && !memcmp(p, keys[i], kl) && next < e)
				v = next;
			else if (l > kl + 1 && !memcmp(p, keys[i], kl) &&
			         p[kl] == '=')
				v = p + kl + 1;
			if (v && *v) {
				hv_sanitize_name(out, olen, v, strlen(v));
				if (out[0])
					return;
			}
		}
		p = next;
	}
	base = len ? strrchr(argv0, '/') : NULL;
	base = base ? base + 1 : argv0;
	snprintf(out, olen, "%.32s-%u", len && *base ? base : "vmm", pid);
}

uint64_t hv_kvm_key(uint32_t pid, uint64_t starttime)
{
	/* pid < 2^22 (PID_MAX_LIMIT), starttime in ticks fits 42 bits for
	 * a millennium: the packing is injective. splitmix64's finalizer is
	 * a bijection on 64 bits. */
	uint64_t x = (starttime << 22) ^ (uint64_t)pid ^
	             ((starttime >> 42) * 0x9e3779b97f4a7c15ULL);
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

int hv_kvm_parse_size_kib(const char *s, uint64_t *kib)
{
	char *end;
	double frac = 0;
	unsigned long long whole;
	uint64_t mul = 1024; /* bytes per unit: default MiB (in KiB: 1024) */
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	whole = strtoull(p, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end == '.') {
		/* Digits only (strtod would take exponents, inf, hex). */
		double scale = 0.1;
		end++;
		if (!isdigit((unsigned char)*end))
			return -EINVAL;
		while (isdigit((unsigned char)*end)) {
			frac += (*end - '0') * scale;
			scale /= 10;
			end++;
		}
	}
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'b':
		mul = 0; /* bytes: handled below */
		end++;
		break;
	case 'k':
		mul = 1;
		end++;
		break;
	case 'm':
		mul = 1024;
		end++;
		break;
	case 'g':
		mul = 1024ULL * 1024;
		end++;
		break;
	case 't':
		mul = 1024ULL * 1024 * 1024;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	if (mul == 0) {
		if (frac != 0)
			return -EINVAL;
		*kib = whole / 1024;
		return 0;
	}
	if (whole > UINT64_MAX / mul)
		return -EINVAL;
	*kib = whole * mul + (uint64_t)(frac * (double)mul);
	return 0;
}

/* Iterate QemuOpts "k=v,k2=v2" (",," escapes a comma; a first element
 * without '=' has the implied key). Copies the unescaped key and value. */
struct opt_iter {
	const char *p;
	bool first;
};

static bool opt_next(struct opt_iter *it, const char *implied, char *key,
                     size_t klen, char *val, size_t vlen)
{
	char tmp[1024];
	size_t o = 0;
	const char *p = it->p;
	char *eq;

	if (!p || !*p)
		return false;
	while (*p) {
		if (*p == ',') {
			if (p[1] == ',') {
				if (o + 1 < sizeof(tmp))
					tmp[o++] = ',';
				p += 2;
				continue;
			}
			p++;
			break;
		}
		if (o + 1 < sizeof(tmp))
			tmp[o++] = *p;
		p++;
	}
	tmp[o] = '\0';
	it->p = p;
	eq = strchr(tmp, '=');
	if (!eq) {
		if (it->first && implied) {
			snprintf(key, klen, "%s", implied);
			snprintf(val, vlen, "%s", tmp);
		} else { /* a bare flag ("server", "nowait") */
			snprintf(key, klen, "%s", tmp);
			snprintf(val, vlen, "on");
		}
	} else {
		*eq = '\0';
		snprintf(key, klen, "%s", tmp);
		snprintf(val, vlen, "%s", eq + 1);
	}
	it->first = false;
	return true;
}

static void opt_begin(struct opt_iter *it, const char *s)
{
	it->p = s;
	it->first = true;
}

struct chardev {
	char id[64];
	char path[HV_KVM_PATH_LEN];
	bool fd; /* passed as fd= (libvirt) */
};

#define MAX_CHARDEV 16

static bool valid_uuid(const char *u)
{
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)u[i])) {
			return false;
		}
	}
	return u[36] == '\0';
}

static bool is_libvirt_path(const char *p)
{
	return strstr(p, "/libvirt/") != NULL;
}

/* What the option handlers share while one command line is parsed. */
struct cmd_ctx {
	struct hv_kvm_cmd *c;
	struct chardev cdev[MAX_CHARDEV];
	size_t ncdev;
	char monitor_cdev[8][64];
	size_t nmon;
	char key[64], val[1024];
	struct opt_iter it;
};

static bool ctx_next(struct cmd_ctx *x, const char *implied)
{
	return opt_next(&x->it, implied, x->key, sizeof(x->key), x->val,
	                sizeof(x->val));
}

static void opt_name(struct cmd_ctx *x, const char *o, const char *v)
{
	(void)o;
	opt_begin(&x->it, v);
	while (ctx_next(x, "guest"))
		if (strcmp(x->key, "guest") == 0)
			hv_sanitize_name(x->c->name, sizeof(x->c->name), x->val,
			                 strlen(x->val));
}

static void opt_uuid(struct cmd_ctx *x, const char *o, const char *v)
{
	(void)o;
	if (strlen(v) != 36 || !valid_uuid(v))
		return;
	for (int k = 0; k < 36; k++)
		x->c->uuid[k] = (char)tolower((unsigned char)v[k]);
	x->c->uuid[36] = '\0';
}

static void opt_m(struct cmd_ctx *x, const char *o, const char *v)
{
	uint64_t kib;

	(void)o;
	opt_begin(&x->it, v);
	while (ctx_next(x, "size")) {
		if (strcmp(x->key, "size") == 0 &&
		    !hv_kvm_parse_size_kib(x->val, &kib))
			x->c->mem_kib = kib;
		else if (strcmp(x->key, "maxmem") == 0 &&
		         !hv_kvm_parse_size_kib(x->val, &kib))
			x->c->maxmem_kib = kib;
	}
}

static void opt_smp(struct cmd_ctx *x, const char *o, const char *v)
{
	uint64_t cpus = 0, prod = 1, n;
	bool topo = false;

	(void)o;
	opt_begin(&x->it, v);
	while (ctx_next(x, "cpus")) {
		if (hv_parse_u64(x->val, &n) || n == 0 || n > 65536)
			continue;
		if (strcmp(x->key, "cpus") == 0) {
			cpus = n;
		} else if (strcmp(x->key, "sockets") == 0 ||
		           strcmp(x->key, "dies") == 0 ||
		           strcmp(x->key, "clusters") == 0 ||
		           strcmp(x->key, "cores") == 0 ||
		           strcmp(x->key, "threads") == 0) {
			prod *= n;
			topo = true;
		}
	}
	if (cpus)
		x->c->smp = (uint32_t)cpus;
	else if (topo && prod <= 65536)
		x->c->smp = (uint32_t)prod;
}

static void opt_qmp(struct cmd_ctx *x, const char *o, const char *v)
{
	struct hv_kvm_cmd *c = x->c;

	if (strncmp(v, "unix:", 5) != 0 || c->qmp_path[0])
		return;
	opt_begin(&x->it, v + 5);
	if (ctx_next(x, "path") && strlen(x->val) < sizeof(c->qmp_path)) {
		snprintf(c->qmp_path, sizeof(c->qmp_path), "%s", x->val);
		c->qmp_pretty = strcmp(o, "qmp-pretty") == 0;
	}
}

static void opt_chardev(struct cmd_ctx *x, const char *o, const char *v)
{
	struct chardev cd = {0};
	bool sock = false;

	(void)o;
	opt_begin(&x->it, v);
	while (ctx_next(x, "backend")) {
		if (strcmp(x->key, "backend") == 0)
			sock = strcmp(x->val, "socket") == 0;
		else if (strcmp(x->key, "id") == 0)
			snprintf(cd.id, sizeof(cd.id), "%s", x->val);
		else if (strcmp(x->key, "path") == 0 &&
		         strlen(x->val) < sizeof(cd.path))
			snprintf(cd.path, sizeof(cd.path), "%s", x->val);
		else if (strcmp(x->key, "fd") == 0)
			cd.fd = true;
	}
	if (sock && cd.id[0] && x->ncdev < MAX_CHARDEV)
		x->cdev[x->ncdev++] = cd;
}

static void opt_mon(struct cmd_ctx *x, const char *o, const char *v)
{
	char chr[64] = "";
	bool control = false;

	(void)o;
	opt_begin(&x->it, v);
	while (ctx_next(x, "chardev")) {
		if (strcmp(x->key, "chardev") == 0)
			snprintf(chr, sizeof(chr), "%s", x->val);
		else if (strcmp(x->key, "mode") == 0)
			control = strcmp(x->val, "control") == 0;
	}
	if (control && chr[0] && x->nmon < 8)
		snprintf(x->monitor_cdev[x->nmon++], sizeof(x->monitor_cdev[0]),
		         "%s", chr);
}

/* Proxmox VE: -id VMID. */
static void opt_id(struct cmd_ctx *x, const char *o, const char *v)
{
	uint64_t id;

	(void)o;
	if (hv_parse_u64(v, &id) == 0 && id > 0 && id <= UINT32_MAX)
		x->c->vmid = (uint32_t)id;
}

/* A virtio balloon (-device virtio-balloon-pci,... or libvirt's JSON
 * {"driver":"virtio-balloon-pci",...}): without QMP or libvirt its
 * current size is unknown; without one it is the -m size. */
static void opt_device(struct cmd_ctx *x, const char *o, const char *v)
{
	(void)o;
	if (strstr(v, "virtio-balloon"))
		x->c->balloon = true;
}

static const struct {
	const char *opt;
	void (*fn)(struct cmd_ctx *x, const char *o, const char *v);
} cmd_opts[] = {
    {"name", opt_name},       {"uuid", opt_uuid}, {"m", opt_m},
    {"smp", opt_smp},         {"qmp", opt_qmp},   {"qmp-pretty", opt_qmp},
    {"chardev", opt_chardev}, {"mon", opt_mon},   {"id", opt_id},
    {"device", opt_device},
};

/* A -mon in control mode on a socket chardev is QMP too; one passed as fd
 * or under .../libvirt/... is libvirtd's. */
static void resolve_monitor(struct cmd_ctx *x)
{
	struct hv_kvm_cmd *c = x->c;

	for (size_t m = 0; m < x->nmon; m++) {
		for (size_t d = 0; d < x->ncdev; d++) {
			const struct chardev *cd = &x->cdev[d];
			if (strcmp(cd->id, x->monitor_cdev[m]) != 0)
				continue;
			if (cd->fd || is_libvirt_path(cd->path))
				c->libvirt = true;
			else if (cd->path[0] && !c->qmp_path[0])
				snprintf(c->qmp_path, sizeof(c->qmp_path), "%s",
				         cd->path);
		}
	}
	if (c->qmp_path[0] && is_libvirt_path(c->qmp_path)) {
		c->libvirt = true;
		c->qmp_path[0] = '\0';
	}
}

/* Split on NULs; a last argument without its NUL is ignored (the buffer
 * is ours, the tail was cut). */
static size_t split_args(const char *buf, size_t len, const char **args,
                         size_t max)
{
	size_t n = 0, i = 0;

	while (i < len && n < max) {
		const char *a = buf + i;
		size_t l = strnlen(a, len - i);
		if (i + l >= len)
			break;
		args[n++] = a;
		i += l + 1;
	}
	return n;
}

int hv_kvm_parse_cmdline(const char *buf, size_t len, struct hv_kvm_cmd *c)
{
	const char *args[4096];
	struct cmd_ctx *x;
	size_t nargs;

	memset(c, 0, sizeof(*c));
	c->smp = 1;
	c->mem_kib = 128 * 1024; /* QEMU's default machine RAM */
	if (len == 0)
		return -EINVAL;
	nargs = split_args(buf, len, args, sizeof(args) / sizeof(args[0]));
	if (nargs == 0)
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->c = c;
	for (size_t i = 1; i + 1 < nargs; i++) {
		const char *o = args[i];
		if (o[0] != '-')
			continue;
		o += (o[1] == '-') ? 2 : 1; /* QEMU accepts -opt and --opt */
		for (size_t k = 0; k < sizeof(cmd_opts) / sizeof(cmd_opts[0]);
		     k++) {
			if (strcmp(o, cmd_opts[k].opt) == 0) {
				cmd_opts[k].fn(x, o, args[i + 1]);
				i++; /* the value was consumed */
				break;
			}
		}
	}
	if (!c->maxmem_kib || c->maxmem_kib < c->mem_kib)
		c->maxmem_kib = c->mem_kib;
	resolve_monitor(x);
	free(x);
	return 0;
}

int hv_kvm_parse_io(const char *buf, struct hv_kvm_io *io)
{
	static const struct {
		const char *k;
		size_t kl;
		size_t off;
	} keys[] = {
	    {"rchar", 5, offsetof(struct hv_kvm_io, rchar)},
	    {"wchar", 5, offsetof(struct hv_kvm_io, wchar)},
	    {"syscr", 5, offsetof(struct hv_kvm_io, syscr)},
	    {"syscw", 5, offsetof(struct hv_kvm_io, syscw)},
	    {"read_bytes", 10, offsetof(struct hv_kvm_io, read_bytes)},
	    {"write_bytes", 11, offsetof(struct hv_kvm_io, write_bytes)},
	};
	unsigned found = 0;
	const char *p = buf;

	memset(io, 0, sizeof(*io));
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t kl = keys[k].kl;
			const char *q;
			uint64_t v;
			bool neg;
			/* "key: value" */
			if (l <= kl + 2 || p[kl] != ':' || p[kl + 1] != ' ' ||
			    memcmp(p, keys[k].k, kl) != 0)
				continue;
			q = p + kl + 2;
			if (next_field_neg(&q, &v, &neg) || neg)
				return -EINVAL;
			while (q < p + l && *q == ' ')
				q++;
			if (q != p + l)
				return -EINVAL;
			memcpy((char *)io + keys[k].off, &v, sizeof(v));
			found |= 1u << k;
			break;
		}
		p += l;
		if (*p == '\n')
			p++;
	}
	return found == 0x3f ? 0 : -EINVAL;
}

int hv_kvm_parse_schedstat(const char *buf, uint64_t *run_ns, uint64_t *wait_ns)
{
	const char *p = buf;

	if (next_field(&p, run_ns) || next_field(&p, wait_ns))
		return -EINVAL;
	return 0;
}

int hv_kvm_status_field(const char *buf, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ':') {
			const char *v = p + kl + 1;
			const char *e = strchr(v, '\n');
			size_t l;
			while (*v == ' ' || *v == '\t')
				v++;
			if (!e)
				e = v + strlen(v);
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			l = (size_t)(e - v);
			if (l >= len)
				return -EOVERFLOW;
			memcpy(out, v, l);
			out[l] = '\0';
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}
