/* SPDX-License-Identifier: MIT */
/* KVM's binary statistics (KVM_GET_STATS_FD, Linux >= 5.14), parsed from
 * bytes in memory: pure, fuzzed by tests/fuzz/fuzz_kvmstats.c.
 *
 * A stats fd reads as a header (six u32: flags, name_size, num_desc,
 * id_offset, desc_offset, data_offset), an id string of name_size bytes,
 * num_desc descriptors of 16 + name_size bytes each (u32 flags, s16
 * exponent, u16 size, u32 offset, u32 bucket_size, name[name_size]) and a
 * data block of u64 values; a descriptor's values are `size` u64 at
 * data_offset + offset. Only cumulative counters of size 1 are exit counts;
 * histograms (size > 1), instant and peak values are counted and skipped.
 * The layout is fixed for the life of the VM, so it is parsed once and
 * each sample reads only the part of the data block the kinds use. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kvm/kvm_int.h"

#define HDR_LEN 24u
#define DESC_LEN 16u
#define NAME_MAX_LEN 256u   /* the kernel's is 48 */
#define DATA_MAX (1u << 20) /* no VM has a MiB of counters */

/* The kvm_stat names of each kind; several names of one kind (arm64 MMIO
 * user + kernel, wfi + wfe) are summed. Shared with debugfs; kvm_qmp.c's
 * query-stats request lists the same names. */
static const char *const n_all[] = {"exits", NULL};
static const char *const n_mmio[] = {"mmio_exits", "mmio_exit_user",
                                     "mmio_exit_kernel", NULL};
static const char *const n_io[] = {"io_exits", NULL};
static const char *const n_wait[] = {"halt_exits", "wfi_exit_stat",
                                     "wfe_exit_stat", NULL};
static const char *const n_hvc[] = {"hvc_exit_stat", NULL};
static const char *const n_irq[] = {"irq_exits", NULL};
static const char *const n_sig[] = {"signal_exits", NULL};

const char *const *const hv_kvm_xk_names[HV_KVM_XK_N] = {
    n_all, n_mmio, n_io, n_wait, n_hvc, n_irq, n_sig};

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint16_t rd16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int hv_kvm_stats_head_len(const void *hdr, size_t len, size_t *need,
                          hv_err *err)
{
	const unsigned char *h = hdr;
	uint64_t nsz, nd, end, id_end;

	if (len < HDR_LEN)
		return hv_err_set(err, EINVAL,
		                  "kvm stats: header truncated (%zu bytes)",
		                  len);
	nsz = rd32(h + 4);
	nd = rd32(h + 8);
	if (nsz == 0 || nsz > NAME_MAX_LEN)
		return hv_err_set(err, EINVAL, "kvm stats: name size %u",
		                  (unsigned)nsz);
	if (nd > HV_KVM_STATS_MAX_DESC)
		return hv_err_set(err, EINVAL,
		                  "kvm stats: %u descriptors (absurd)",
		                  (unsigned)nd);
	end = rd32(h + 16) + nd * (DESC_LEN + nsz);
	id_end = (uint64_t)rd32(h + 12) + nsz;
	*need = (size_t)(end > id_end ? end : id_end);
	if (*need < HDR_LEN)
		*need = HDR_LEN;
	return 0;
}

/* Add data slot idx of a descriptor named name to its kind. */
static int add_slot(struct hv_kvm_stats *st, const char *name, uint32_t idx)
{
	for (int k = 0; k < HV_KVM_XK_N; k++)
		for (const char *const *n = hv_kvm_xk_names[k]; *n; n++) {
			if (strcmp(*n, name))
				continue;
			if (st->nslot[k] >= HV_KVM_XK_SLOTS)
				return 0; /* a name given twice: first ones */
			st->slot[k][st->nslot[k]++] = idx;
			if ((idx + 1) * 8u > st->data_len)
				st->data_len = (idx + 1) * 8u;
			return 1;
		}
	return 0;
}

/* One descriptor at p: its name must end within name_size, its values
 * within DATA_MAX bytes, on a u64 boundary. */
static int parse_desc(struct hv_kvm_stats *st, const unsigned char *p,
                      uint32_t nsz, hv_err *err)
{
	uint32_t flags = rd32(p), off = rd32(p + 8);
	uint16_t size = rd16(p + 6);
	const char *name = (const char *)p + DESC_LEN;
	uint32_t type = flags & HV_KVM_STATS_TYPE_MASK;

	if (!memchr(name, '\0', nsz))
		return hv_err_set(err, EINVAL,
		                  "kvm stats: descriptor %u: name unterminated",
		                  st->ndesc);
	if (off % 8 || (uint64_t)off + (uint64_t)size * 8 > DATA_MAX)
		return hv_err_set(err, EINVAL,
		                  "kvm stats: %.48s: offset %u size %u out of "
		                  "range",
		                  name, off, (unsigned)size);
	st->ndesc++;
	if (type == HV_KVM_STATS_LINEAR_HIST || type == HV_KVM_STATS_LOG_HIST ||
	    size != 1) {
		st->nhist++;
		return 0;
	}
	if (type != HV_KVM_STATS_CUMULATIVE) {
		st->ninstant++;
		return 0;
	}
	st->nmatched += (uint32_t)add_slot(st, name, off / 8);
	return 0;
}

int hv_kvm_stats_parse(const void *buf, size_t len, struct hv_kvm_stats *st,
                       hv_err *err)
{
	const unsigned char *b = buf;
	size_t need = 0;
	uint32_t nsz, nd, id_off, desc_off;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = hv_kvm_stats_head_len(buf, len, &need, err);
	if (rc)
		return rc;
	if (len < need)
		return hv_err_set(err, EINVAL,
		                  "kvm stats: truncated (%zu of %zu bytes)",
		                  len, need);
	nsz = rd32(b + 4);
	nd = rd32(b + 8);
	id_off = rd32(b + 12);
	desc_off = rd32(b + 16);
	st->data_off = rd32(b + 20);
	if (st->data_off < HDR_LEN)
		return hv_err_set(err, EINVAL, "kvm stats: data offset %u",
		                  (unsigned)st->data_off);
	/* "kvm-1234" or "kvm-1234/vcpu-0": kept for the vCPU number */
	snprintf(st->id, sizeof(st->id), "%.*s",
	         (int)(nsz < sizeof(st->id) ? nsz : sizeof(st->id) - 1),
	         (const char *)b + id_off);
	for (uint32_t i = 0; i < nd; i++) {
		rc = parse_desc(st, b + desc_off + (size_t)i * (DESC_LEN + nsz),
		                nsz, err);
		if (rc)
			return rc;
	}
	return 0;
}

int hv_kvm_stats_vcpu(const struct hv_kvm_stats *st)
{
	const char *p = strstr(st->id, "/vcpu-");
	long v = 0;

	if (!p || !p[6])
		return -1;
	for (p += 6; *p; p++) {
		if (*p < '0' || *p > '9' || v > 1000000)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return (int)v;
}

void hv_kvm_stats_kinds(const struct hv_kvm_stats *st, const void *data,
                        size_t len, struct hv_kvm_xsum *sum)
{
	const unsigned char *d = data;

	for (int k = 0; k < HV_KVM_XK_N; k++)
		for (uint8_t j = 0; j < st->nslot[k]; j++) {
			size_t at = (size_t)st->slot[k][j] * 8;
			uint64_t v;

			if (at + 8 > len)
				continue; /* the caller read less: not here */
			memcpy(&v, d + at, sizeof(v));
			sum->v[k] += v;
			sum->has[k] = true;
		}
}
