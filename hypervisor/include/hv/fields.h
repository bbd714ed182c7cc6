/* SPDX-License-Identifier: MIT */
/* The field registry: every figure a consumer shows, described once.
 *
 * One table per record (host, pCPU, domain, vCPU, NIC, disk). A row says
 * what the figure is (canonical name, unit, counter/gauge/info), where it
 * lives (an hv_u64 or other member of the record, a double of the record's
 * hv_*_rate, or a getter), how to convert it to base units, and how each
 * consumer shows it: the /api/v1 key, the Prometheus family, the screen
 * header, width and format. snapjson's record tables, xentop-ng's --json,
 * --csv and screen columns, hv-webd's /api/v1 and /metrics, and hvctl's
 * domain list all walk these tables.
 *
 * Adding a counter: one row in the record's table in src/fields.c (and its
 * id in the enum below), plus the backend that fills the member. Rows with
 * a `views` bit appear in that output on their own, after the rows placed
 * by `api_pos`/`prom_pos`; a screen column is one more line in xentop-ng's
 * column list (its position among the columns is a screen decision). An
 * hv_u64 row is also recorded and replayed (hvkit.snap/1, under its
 * member name) without a change to snapjson. See
 * docs/arch/core.md, "How to add a counter". */
#ifndef HV_FIELDS_H
#define HV_FIELDS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/rates.h"
#include "hv/sample.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Records with a table. */
typedef enum hv_rec {
	HV_REC_HOST = 0, /* hv_host, hv_host_rate */
	HV_REC_PCPU,     /* hv_pcpu, hv_pcpu_rate */
	HV_REC_DOM,      /* hv_dom, hv_dom_rate */
	HV_REC_VCPU,     /* hv_vcpu, hv_vcpu_rate */
	HV_REC_NET,      /* hv_net, hv_net_rate */
	HV_REC_BLK,      /* hv_blk, hv_blk_rate */
	HV_REC__N,
} hv_rec;

typedef enum hv_fkind {
	HV_FK_GAUGE = 0,
	HV_FK_COUNTER, /* cumulative; Prometheus family gets _total */
	HV_FK_INFO,    /* identity text; Prometheus _info with a label */
} hv_fkind;

/* Where the value lives. */
typedef enum hv_ftype {
	HV_FT_U64 = 0, /* hv_u64 member at `off` */
	HV_FT_U32,     /* uint32_t member: always present */
	HV_FT_U8,      /* uint8_t member: always present */
	HV_FT_I32,     /* int32_t member: negative = missing */
	HV_FT_I8,      /* int8_t member: negative = missing */
	HV_FT_STR,     /* char[] member */
	HV_FT_RATE,  /* double member of the record's hv_*_rate; NAN missing */
	HV_FT_FLAG,  /* uint32_t member read as a boolean (true when != 0) */
	HV_FT_STATE, /* hv_dom.state: hv_dom_state_str() letters */
	HV_FT_CHILD, /* marker: the child records (`child`) go here */
	HV_FT_FN,    /* computed by `get` */
} hv_ftype;

/* Outputs a row appears in. */
enum hv_fview {
	HV_FV_EXPORT = 1u << 0,     /* xentop-ng --json/--csv, key `name` */
	HV_FV_API = 1u << 1,        /* /api/v1 list and detail, key `api` */
	HV_FV_API_DETAIL = 1u << 2, /* /api/v1 detail only, key `api` */
	HV_FV_PROM = 1u << 3,       /* /metrics family `prom` */
};

/* Flags. */
enum hv_fflag {
	HV_FF_OMIT_EMPTY = 1u << 0, /* string: left out when "" (export) */
	HV_FF_PROM_NZ = 1u << 1,    /* /metrics: 0 means unknown, omit */
	HV_FF_API_NULL0 = 1u << 2,  /* /api/v1: 0 means unknown, null */
	HV_FF_DIV = 1u << 3,        /* /api/v1: raw / 10^dec (not * 1e-dec) */
	HV_FF_BY_ID = 1u << 4,      /* child: numbered by id, not position */
};

/* Screen formats. */
typedef enum hv_ffmt {
	HV_FMT_NONE = 0, /* not a screen column */
	HV_FMT_INT,      /* raw integer */
	HV_FMT_SEC,      /* raw ns as whole seconds */
	HV_FMT_PCT,      /* %.1f */
	HV_FMT_FIX2,     /* %.2f */
	HV_FMT_HUMAN,    /* 1.2M, 340K (1024 steps) */
	HV_FMT_TEXT,     /* string */
} hv_ffmt;

typedef struct hv_field {
	const char *name; /* canonical, libvirt domstats words: "cpu.time" */
	const char *unit; /* of the raw value: "ns", "KiB", "B", "B/s", "%" */
	const char *mem;  /* the record's member ("cpu_ns"): recordings */
	const char *help;
	/* /api/v1: key (values in base units); api_pos orders the list
	 * (0: after the placed rows, in table order). */
	const char *api;
	/* /metrics: family base name (no _total/_info), OpenMetrics unit,
	 * prom_pos as api_pos. Rows with the same family in a row of the
	 * table form one family (prom_label tells them apart); an info row's
	 * value becomes the label prom_label. */
	const char *prom;
	const char *prom_unit;
	const char *prom_label;
	/* Screen: column id (config, --sort), header, width, format
	 * (HV_FMT_NONE: no column), one-line help. */
	const char *col;
	const char *header;
	const char *tip;
	hv_u64 (*get)(const void *rec); /* HV_FT_FN */
	/* Base units (seconds, bytes, hertz, joules, watts):
	 * raw * mul / 10^dec. */
	uint32_t mul;
	uint16_t off;  /* offset in the record or in its rate struct */
	uint8_t type;  /* hv_ftype */
	uint8_t kind;  /* hv_fkind */
	uint8_t flags; /* hv_fflag */
	uint8_t views; /* hv_fview */
	uint8_t dec;
	uint8_t api_pos;
	uint8_t prom_pos;
	uint8_t width;
	uint8_t fmt;   /* hv_ffmt */
	uint8_t child; /* HV_FT_CHILD: hv_rec */
} hv_field;

/* Row ids of the domain table (others are walked, not named). */
enum hv_dom_fid {
	HV_D_NAME = 0,
	HV_D_ID,
	HV_D_UUID,
	HV_D_STATE,
	HV_D_STALE,
	HV_D_NOTE,
	HV_D_CPU_TIME,
	HV_D_CPU_PCT,
	HV_D_CPU_HOST_PCT,
	HV_D_GUEST_PCT,
	HV_D_STEAL_PCT,
	HV_D_MEM,
	HV_D_MAXMEM,
	HV_D_TARGET,
	HV_D_RSS,
	HV_D_VCPUS,
	HV_D_VCPU,
	HV_D_NETS,
	HV_D_NET_RX_RATE,
	HV_D_NET_TX_RATE,
	HV_D_NET,
	HV_D_BLKS,
	HV_D_BLK_RD_RATE,
	HV_D_BLK_WR_RATE,
	HV_D_BLK_RD_IOPS,
	HV_D_BLK_WR_IOPS,
	HV_D_BLK,
	HV_D_IPC,
	HV_D_LLC,
	HV_D_MBM_TOTAL,
	HV_D_MBM_LOCAL,
	HV_D_MBM_TOTAL_RATE,
	HV_D_ENERGY,
	HV_D_WATTS,
	HV_D_SSID,
	HV_D_START,
	HV_D_KEY,
	HV_D_VMID,
	HV_D_STATE_WHY,
	HV_D_IO_RD,
	HV_D_IO_WR,
	HV_D_MEM_AVAIL,
	HV_D_MEM_UNUSED,
	HV_D_MEM_USABLE,
	HV_D_MEM_CACHE,
	HV_D_KVM_EXITS,
	HV_D_KVM_MMIO,
	HV_D_KVM_IO,
	HV_D_KVM_WAIT,
	HV_D_KVM_HVC,
	HV_D_KVM_IRQ,
	HV_D_KVM_SIGNAL,
	HV_D_KVM_EXITS_RATE,
	HV_D_KVM_MMIO_RATE,
	HV_D_KVM_IO_RATE,
	HV_D_KVM_WAIT_RATE,
	HV_D_KVM_HVC_RATE,
	HV_D_KVM_IRQ_RATE,
	HV_D_KVM_SIGNAL_RATE,
	HV_D__N
};

/* The table of a record and its length. */
const hv_field *hv_fields(hv_rec rec, size_t *n);
extern const hv_field hv_dom_fields[HV_D__N];

/* Rows of `rec` with any of `views`, in that output's order (placed rows
 * by pos, then the others in table order). Writes at most cap pointers;
 * returns how many rows there are. prom selects prom_pos, else api_pos;
 * HV_FV_EXPORT is table order. */
size_t hv_fields_view(hv_rec rec, unsigned views, const hv_field **out,
                      size_t cap);

/* Children of an HV_FT_CHILD row of a domain: how many, and record i with
 * its rate (*crate NULL when the parent has no rate). Number is what the
 * outputs call it: the id with HV_FF_BY_ID, else i. */
size_t hv_field_nchild(const hv_field *f, const void *rec);
const void *hv_field_child(const hv_field *f, const void *rec, const void *rate,
                           size_t i, const void **crate, uint32_t *number);

/* The array of those children and its element size, for hot loops. */
const void *hv_field_children(const hv_field *f, const void *rec, size_t *n,
                              size_t *size);

/* Values. rec is the record (hv_dom *, ...), rate its hv_*_rate or NULL. */
static inline hv_u64 hv_field_u64(const hv_field *f, const void *rec)
{
	const char *p = (const char *)rec + f->off;
	switch (f->type) {
	case HV_FT_U64:
		return *(const hv_u64 *)p;
	case HV_FT_U32:
		return hv_val(*(const uint32_t *)p);
	case HV_FT_FLAG:
		return hv_val(*(const uint32_t *)p != 0);
	case HV_FT_U8:
		return hv_val(*(const uint8_t *)p);
	case HV_FT_I32:
		return *(const int32_t *)p >= 0
		           ? hv_val((uint64_t) * (const int32_t *)p)
		           : hv_na(HV_NA_UNSUPPORTED);
	case HV_FT_I8:
		return *(const int8_t *)p >= 0
		           ? hv_val((uint64_t) * (const int8_t *)p)
		           : hv_na(HV_NA_UNSUPPORTED);
	case HV_FT_FN:
		return f->get(rec);
	default:
		return hv_na(HV_NA_UNSUPPORTED);
	}
}
static inline double hv_field_rate(const hv_field *f, const void *rate)
{
	return rate ? *(const double *)((const char *)rate + f->off) : NAN;
}
/* The value as a double in base units (NAN when missing). Inline: the
 * JSON writers call it per value. */
static inline double hv_field_base(const hv_field *f, const void *rec,
                                   const void *rate)
{
	static const double neg10[] = {1,    1e-1, 1e-2, 1e-3, 1e-4,
	                               1e-5, 1e-6, 1e-7, 1e-8, 1e-9};
	static const double pos10[] = {1,   1e1, 1e2, 1e3, 1e4,
	                               1e5, 1e6, 1e7, 1e8, 1e9};
	double mul = f->mul ? f->mul : 1;
	unsigned dec = f->dec < 10 ? f->dec : 9;
	if (f->type == HV_FT_RATE) {
		double v = hv_field_rate(f, rate);
		return f->mul > 1 ? v * mul : v;
	}
	if (f->type == HV_FT_STR || f->type == HV_FT_STATE ||
	    f->type == HV_FT_CHILD)
		return NAN;
	hv_u64 x = hv_field_u64(f, rec);
	if (!hv_ok(x) || (f->flags & HV_FF_API_NULL0 && !x.v))
		return NAN;
	if (f->flags & HV_FF_DIV)
		return (double)x.v / pos10[dec] * mul;
	if (!dec)
		return (double)x.v * mul;
	return (double)x.v * (mul * neg10[dec]);
}
/* Text of an HV_FT_STR or HV_FT_STATE row; NULL for other types. */
const char *hv_field_str(const hv_field *f, const void *rec, char *buf,
                         size_t len);
/* Screen text by the row's format; returns 0 when missing ("-"). */
int hv_field_fmt(const hv_field *f, const void *rec, const void *rate,
                 char *buf, size_t len);
/* Sort key for a screen column: NAN when missing. Inline: sorts call it
 * per comparison. */
static inline double hv_field_num(const hv_field *f, const void *rec,
                                  const void *rate)
{
	if (f->type == HV_FT_RATE)
		return hv_field_rate(f, rate);
	if (f->type == HV_FT_STATE)
		return (double)*(const uint32_t *)((const char *)rec + f->off);
	if (f->type == HV_FT_STR || f->type == HV_FT_CHILD)
		return 0;
	hv_u64 x = hv_field_u64(f, rec);
	return hv_ok(x) ? (double)x.v : NAN;
}

/* Domain state as six letters "dsbcpr" ('-' when the flag is clear), as
 * Xen's xentop prints them. A KVM guest that is powered off while its QEMU
 * lives (HV_DS_SHUTOFF) is 's', as a Xen domain that has shut down. */
#define HV_STATE_LEN 7
const char *hv_dom_state_str(uint32_t state, char out[HV_STATE_LEN]);
/* Flag names for labels: "running", "blocked", ... ; n set to the count. */
typedef struct hv_state_name {
	uint32_t bit;
	const char *name;
} hv_state_name;
const hv_state_name *hv_dom_state_names(size_t *n);

/* 1234567 -> "1.2M"; NAN -> "-". */
void hv_fmt_human(double v, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
