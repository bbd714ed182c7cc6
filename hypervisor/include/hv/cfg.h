/* SPDX-License-Identifier: MIT */
/* One reader for hvkit's config files (hv-powerd, hv-webd, xentop-ng),
 * driven by tables of keys: (section, key, type, range, default, help).
 *
 * Syntax: "key = value" lines, optionally under "[section]" headers;
 * '#' or ';' first on a line, or '#' after a blank, starts a comment (so
 * crypt hashes and paths keep their '#'); blanks around keys and values
 * are dropped; lines up to 1023 characters, files up to 1 MiB.
 *
 * Errors are "FILE:LINE: what". A strict reader stops at the first one and
 * leaves the caller's struct untouched (the whole file or nothing); a
 * lenient one skips bad lines and says how many. (Debian's libinih was
 * considered: its handler gets no line number, it reads indented lines as
 * continuations and ':' as '=', and it cuts lines at 200 characters.) */
#ifndef HV_CFG_H
#define HV_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "hv/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hv_cfg_type {
	HV_CFG_BOOL, /* bool: yes/no, true/false, on/off, 1/0 */
	HV_CFG_NUM,  /* double in [min, max] */
	HV_CFG_SECS, /* double seconds in [min, max]; suffix s, ms, m, h, d */
	HV_CFG_UINT, /* unsigned, a whole number in [min, max] */
	HV_CFG_WORD, /* char[max]: letters, digits, '_' and '-' */
	HV_CFG_TEXT, /* char[max]: anything */
	HV_CFG_ENUM, /* int: index of the value in names */
	HV_CFG_FUNC, /* parse() does it */
} hv_cfg_type;

struct hv_cfg_key;
/* Parse v (writable, trimmed) into obj; on error write why (without the
 * key name) and return -EINVAL. */
typedef int (*hv_cfg_parse_fn)(const struct hv_cfg_key *k, void *obj, char *v,
                               char *why, size_t wlen);

typedef struct hv_cfg_key {
	const char *sect; /* "" in files without sections */
	const char *key;  /* NULL ends a table */
	hv_cfg_type type;
	size_t off;       /* of the field in the caller's struct */
	double min, max;  /* numbers: range; WORD/TEXT: buffer size (max) */
	const char *def;  /* default, written as in the file; NULL = zero */
	const char *help; /* one line, for docs and --help */
	const char *const *names; /* ENUM: NULL-terminated values */
	hv_cfg_parse_fn parse;    /* FUNC */
} hv_cfg_key;

enum {
	HV_CFG_SECTIONS = 1, /* [section] headers; every key under one */
	HV_CFG_LENIENT = 2,  /* skip bad lines instead of stopping */
	HV_CFG_ONCE = 4,     /* a key set twice is an error */
};

typedef struct hv_cfg_spec {
	const hv_cfg_key *const *tables; /* NULL-terminated list of tables */
	unsigned flags;
} hv_cfg_spec;

/* Where each key was set (for checks across keys) and what was skipped. */
typedef struct hv_cfg_lines hv_cfg_lines;

/* Fill obj's fields from every key's def (obj is not cleared first).
 * Returns 0, or -EINVAL naming a key whose default does not parse. */
int hv_cfg_defaults(const hv_cfg_spec *s, void *obj, hv_err *err);

/* Parse text (name is used in messages) into obj. Strict: 0 or -EINVAL
 * with "NAME:LINE: what", obj written only on success. Lenient: the
 * number of lines skipped (>= 0), err holding the last one's message.
 * -ENOMEM either way. *lines (may be NULL) is set on success; free it
 * with hv_cfg_lines_free. */
int hv_cfg_parse(const hv_cfg_spec *s, const char *name, const char *text,
                 void *obj, size_t objsize, hv_cfg_lines **lines, hv_err *err);
/* The same from a file (missing -> -ENOENT with "PATH: reason"). */
int hv_cfg_load(const hv_cfg_spec *s, const char *path, void *obj,
                size_t objsize, hv_cfg_lines **lines, hv_err *err);

/* Set one key (command-line options): "KEY: what" on error. */
int hv_cfg_set(const hv_cfg_spec *s, void *obj, const char *sect,
               const char *key, const char *val, hv_err *err);

/* The line key was set on, 0 when it kept its default. */
unsigned hv_cfg_line(const hv_cfg_lines *l, const char *sect, const char *key);
/* The last line a lenient reader skipped, 0 when none. */
unsigned hv_cfg_last_bad(const hv_cfg_lines *l);
void hv_cfg_lines_free(hv_cfg_lines *l);

/* Every key of the spec, in order, for documentation (i counts up from
 * 0; NULL after the last). */
const hv_cfg_key *hv_cfg_key_at(const hv_cfg_spec *s, size_t i);

#ifdef __cplusplus
}
#endif
#endif
