/* libFuzzer target: the libvirt source's pure parsers. A domain's XML and
 * its stats keys come from libvirtd, but the XML holds what its operator
 * wrote (names, aliases, metadata). Input: XML; its lines of "key=value"
 * are also fed as stats keys (numbers as unsigned, else strings). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt/lv_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *save = NULL;
	hv_lv_net nic[8];
	hv_lv_param p[64];
	size_t n = 0;
	int r;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	r = hv_lv_parse_ifaces(s, nic, 8);
	if (r > 8)
		abort();
	for (int i = 0; i < r; i++)
		if (strnlen(nic[i].name, sizeof(nic[i].name)) ==
		        sizeof(nic[i].name) ||
		    strnlen(nic[i].type, sizeof(nic[i].type)) ==
		        sizeof(nic[i].type))
			abort(); /* terminated */
	for (char *l = strtok_r(s, "\n", &save); l && n < 64;
	     l = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(l, '=');
		if (!eq)
			continue;
		*eq = '\0';
		p[n].field = l;
		if (eq[1] >= '0' && eq[1] <= '9') {
			p[n].type = 4;
			p[n].v.ul = strtoull(eq + 1, NULL, 10);
		} else {
			p[n].type = 7;
			p[n].v.s = eq + 1;
		}
		n++;
	}
	{
		hv_lv_tab *t = hv_lv_tab_new();
		hv_lv_dom *d = t ? hv_lv_tab_add(t) : NULL;
		if (d && hv_lv_dom_fill(d, p, n) == 0) {
			for (uint32_t i = 0; i < d->nblk; i++)
				if (strnlen(d->blk[i].name,
				            sizeof(d->blk[i].name)) ==
				    sizeof(d->blk[i].name))
					abort();
			/* the XML's NICs onto the stats' (or as the list) */
			if (hv_lv_dom_set_nics(d, nic, r, d->nnet > 0) == 0)
				for (uint32_t i = 0; i < d->nnet; i++)
					if (strnlen(d->net[i].name,
					            sizeof(d->net[i].name)) ==
					    sizeof(d->net[i].name))
						abort();
		}
		hv_lv_tab_unref(t);
	}
	free(s);
	return 0;
}
