/* libFuzzer target: the one /proc/net/dev parser (linux/netdev.c) and
 * Xen's vif reading on top of it. A QEMU's net/dev view lives in a
 * namespace its guest's operator controls, so device names are hostile. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux/netdev.h"
#include "xen/xen_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	const char *p, *prev;
	hv_netdev_row r;
	hv_xen_vif v[4];
	ssize_t n, m;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	p = s;
	prev = s;
	while (hv_netdev_next(&p, &r)) {
		/* the name lies in the text, before the cursor, in one line,
		 * and is followed by its ':' */
		if (r.name < prev || r.name_len == 0 ||
		    r.name + r.name_len >= p || r.name[r.name_len] != ':' ||
		    memchr(r.name, '\n', r.name_len) || p > s + size)
			abort();
		prev = p;
	}
	if (p != s + strlen(s)) /* the end is the terminator */
		abort();
	n = hv_xen_parse_netdev(s, NULL, 0);
	m = hv_xen_parse_netdev(s, v, 4);
	if (n != m) /* counting and filling agree */
		abort();
	free(s);
	return 0;
}
