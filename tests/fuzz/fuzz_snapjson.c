/* libFuzzer target: recorded snapshots (xentop-ng --replay, hv-webd) are
 * files an operator may be handed. Parsing must never crash, and what
 * parses must round-trip exactly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv/snapjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hv_snap *s = NULL, *s2 = NULL;
	char *a = NULL, *b = NULL;
	hv_err e;

	if (hv_snapjson_parse((const char *)data, size, &s, &e))
		return 0;
	if (hv_snapjson_write(s, &a, &e))
		goto out;
	if (hv_snapjson_parse(a, strlen(a), &s2, &e))
		abort(); /* what we wrote we must read */
	if (hv_snapjson_write(s2, &b, &e) || strcmp(a, b))
		abort(); /* and it must come back the same */
out:
	free(a);
	free(b);
	hv_snap_unref(s);
	hv_snap_unref(s2);
	return 0;
}
