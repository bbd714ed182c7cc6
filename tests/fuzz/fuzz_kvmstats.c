/* libFuzzer target: the KVM binary stats parser, which reads another
 * process's stats fd (a VMM's, shared through pidfd_getfd): any header,
 * descriptor count, name or offset must give an error or a layout whose
 * slots stay within the data it says it reads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/kvm_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_kvm_stats st;
	struct hv_kvm_xsum x = {0};
	hv_err err = {0};
	size_t need;

	(void)hv_kvm_stats_head_len(data, size, &need, &err);
	if (hv_kvm_stats_parse(data, size, &st, &err))
		return 0;
	if (strnlen(st.id, sizeof(st.id)) == sizeof(st.id))
		abort(); /* id must stay terminated */
	for (int k = 0; k < HV_KVM_XK_N; k++)
		for (uint8_t j = 0; j < st.nslot[k]; j++)
			if ((size_t)st.slot[k][j] * 8 + 8 > st.data_len)
				abort();
	(void)hv_kvm_stats_vcpu(&st);
	/* the data block as the file would give it, possibly short */
	if (st.data_off < size)
		hv_kvm_stats_kinds(&st, data + st.data_off,
		                   size - (size_t)st.data_off, &x);
	return 0;
}
