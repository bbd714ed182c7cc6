/* libFuzzer target: the strict kernel-text parsers and name sanitising. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sysio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), out[HV_ERR_MSG];
	uint64_t v, bits[4];

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)hv_parse_u64(s, &v);
	(void)hv_parse_hex64(s, &v);
	(void)hv_parse_cpulist(s, bits, 256);
	hv_sanitize_name(out, sizeof(out), s, size);
	/* invariant: the result is NUL-terminated and has no control bytes */
	for (size_t i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			abort();
	free(s);
	return 0;
}
