/* SPDX-License-Identifier: MIT */
/* The libvirt source when hvkit was built without libvirt-dev: it exists,
 * and says why it has nothing. */
#include <stdio.h>
#include <stdlib.h>

#include "libvirt/lv_int.h"

struct hv_lv {
	int unused;
};

hv_lv *hv_lv_new(const char *uri, unsigned timeout_ms)
{
	(void)uri;
	(void)timeout_ms;
	return calloc(1, sizeof(hv_lv));
}

void hv_lv_free(hv_lv *lv)
{
	free(lv);
}

hv_lv_tab *hv_lv_poll(hv_lv *lv, enum hv_lv_status *st, char *why, size_t len)
{
	(void)lv;
	*st = HV_LV_UNAVAILABLE;
	snprintf(why, len, "libvirt: hvkit built without libvirt");
	return NULL;
}

void hv_lv_want_nic_stats(hv_lv *lv, bool on)
{
	(void)lv;
	(void)on;
}

unsigned hv_lv_calls(const hv_lv *lv)
{
	(void)lv;
	return 0;
}

unsigned hv_lv_connects(const hv_lv *lv)
{
	(void)lv;
	return 0;
}
