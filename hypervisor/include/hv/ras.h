/* SPDX-License-Identifier: MIT */
/* Hardware errors (RAS): machine-check records and what libhv keeps of them.
 *
 * - hv_mce_fmt: the layout of the kernel's mce:mce_record tracepoint, read
 *   from tracefs' `format` file (never fixed offsets: fields move between
 *   kernels).
 * - hv_mce_decode: one raw tracepoint record (PERF_SAMPLE_RAW bytes) into an
 *   hv_mce.
 * - hv_mce_ring_drain: the records of one perf mmap ring between tail and
 *   head (sample_type TIME|CPU|RAW, records may wrap the ring's end).
 * - hv_ras: the accumulator every source feeds (Linux tracepoint, Xen
 *   records, tests): per-CPU corrected/uncorrected counts with the last
 *   error's time and bank, per-page counts and state. It fills a sample's
 *   hv_pcpu and hv_page records.
 * All pure: no I/O, so fixtures and the fuzzer drive them directly. */
#ifndef HV_RAS_H
#define HV_RAS_H

#include <stddef.h>
#include <stdint.h>

#include "hv/err.h"
#include "hv/sample.h"

#ifdef __cplusplus
extern "C" {
#endif

/* IA32_MCi_STATUS bits (Intel SDM vol. 3B 16.3.2.2; AMD uses the same). */
#define HV_MCI_VAL (1ull << 63)
#define HV_MCI_OVER (1ull << 62)
#define HV_MCI_UC (1ull << 61)
#define HV_MCI_EN (1ull << 60)
#define HV_MCI_MISCV (1ull << 59)
#define HV_MCI_ADDRV (1ull << 58)
#define HV_MCI_PCC (1ull << 57)

#define HV_RAS_PAGE_SHIFT 12
#define HV_RAS_PAGE_MAX 4096 /* pages tracked; more are counted as dropped */
#define HV_RAS_CPU_MAX 8192

/* One field of a tracepoint record: offset and size in bytes (size 0 =
 * absent from this kernel's format). */
typedef struct hv_tp_field {
	uint16_t off, size;
} hv_tp_field;

typedef struct hv_mce_fmt {
	uint32_t id; /* tracepoint id from the format's "ID:" line */
	hv_tp_field mcgstatus, status, addr, misc, walltime, cpu, bank;
	uint32_t min_len; /* a record must hold every present field */
} hv_mce_fmt;

typedef struct hv_mce {
	uint32_t cpu;
	uint8_t bank;
	uint64_t status, addr, misc, mcgstatus;
	uint64_t walltime; /* seconds since the epoch, 0 unknown */
	uint64_t time_ns;  /* CLOCK_MONOTONIC when the kernel logged it */
} hv_mce;

/* Parse the text of events/mce/mce_record/format. status, cpu and bank are
 * required (-EPROTO without them); every field must be 1, 2, 4 or 8 bytes
 * and lie inside 64 KiB. */
int hv_mce_fmt_parse(const char *text, hv_mce_fmt *f, hv_err *err);

/* Decode one raw record; -EPROTO when it is shorter than the format says. */
int hv_mce_decode(const hv_mce_fmt *f, const void *raw, size_t len, hv_mce *out,
                  hv_err *err);

/* A perf ring's records from tail to head. data is the ring (size a power
 * of two); records of type PERF_RECORD_SAMPLE with sample_type
 * PERF_SAMPLE_TIME|PERF_SAMPLE_CPU|PERF_SAMPLE_RAW are decoded and passed
 * to cb; PERF_RECORD_LOST adds to *lost. A malformed record stops the
 * drain (-EPROTO) after counting it in *bad: the caller skips to head.
 * Returns the number of records handed to cb, or negative errno. */
typedef void (*hv_mce_cb)(void *ctx, const hv_mce *m);
long hv_mce_ring_drain(const hv_mce_fmt *f, const uint8_t *data, uint64_t size,
                       uint64_t tail, uint64_t head, hv_mce_cb cb, void *ctx,
                       uint64_t *lost, uint64_t *bad);

/* Xen dom0's /dev/mcelog (the xen-mcelog driver, fed by VIRQ_MCA): a read
 * returns whole `struct xen_mce` records of reclen bytes (the driver's
 * MCE_GET_RECORD_LEN, >= HV_XEN_MCE_MINLEN). Records with `finished` set
 * are passed to cb with cpu = extcpu (the physical CPU), time_ns = now_ns
 * (the record carries wall-clock seconds only). Returns the number of
 * records decoded, or -EPROTO when reclen is too short. */
#define HV_XEN_MCE_MINLEN 88
long hv_xen_mce_decode(const void *buf, size_t len, size_t reclen,
                       uint64_t now_ns, hv_mce_cb cb, void *ctx);

/* "mem/ADDR/offline" -> the 4 KiB page address holding ADDR (0x... or
 * decimal). -ENOTSUP for another knob, -EINVAL (message in err) for an
 * address that is not a number. hvctl's ADDR arguments use it too (pass
 * the bare address as "mem/ADDR/offline"). */
int hv_ras_mem_knob(const char *knob, uint64_t *page, hv_err *err);

/* ---- The accumulator ---- */
typedef struct hv_ras hv_ras;

hv_ras *hv_ras_new(void); /* NULL on ENOMEM */
void hv_ras_free(hv_ras *r);
/* Count one record: UC set -> uncorrected, else corrected, on m->cpu; an
 * address (ADDRV) counts against its 4 KiB page. */
void hv_ras_add(hv_ras *r, const hv_mce *m);
/* Records the source lost (ring overflow): exported as hv_host.mce_lost,
 * never guessed into the per-CPU counts. */
void hv_ras_lost(hv_ras *r, uint64_t n);
/* Set a page's state (and reason, e.g. "soft-offline by hvkit"); adds the
 * page with zero counts if it had no error. */
int hv_ras_page_state(hv_ras *r, uint64_t addr, enum hv_page_state st,
                      const char *reason);
size_t hv_ras_npages(const hv_ras *r);
/* i-th tracked page's address, for a source that refreshes states. */
uint64_t hv_ras_page_addr(const hv_ras *r, size_t i);
uint64_t hv_ras_total(const hv_ras *r); /* records added so far */

/* Fill the sample: each hv_pcpu's ce/ue counts, last error time and bank
 * (by pcpu id), and hv_host.page[] (arena copies) with page_why HV_OK. */
int hv_ras_fill(const hv_ras *r, hv_snap *s, hv_err *err);

const char *hv_page_state_str(enum hv_page_state st); /* "online", ... */

#ifdef __cplusplus
}
#endif
#endif
