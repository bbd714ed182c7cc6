/* libFuzzer target: the kvm backend's procfs parsers, which read files of
 * processes that can change under them or be hostile (a guest name is
 * whatever the QEMU command line says). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/kvm_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), out[64];
	struct hv_kvm_stat st;
	struct hv_kvm_cmd cmd;
	struct hv_kvm_io io;
	uint64_t a, b;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)hv_kvm_parse_stat(s, &st);
	memset(&cmd, 0, sizeof(cmd));
	(void)hv_kvm_parse_cmdline(s, size, &cmd); /* NULs separate args */
	if (strnlen(cmd.name, sizeof(cmd.name)) == sizeof(cmd.name))
		abort(); /* name must stay terminated */
	(void)hv_kvm_parse_size_kib(s, &a);
	(void)hv_kvm_is_qemu_name(s);
	(void)hv_kvm_vcpu_index(s);
	(void)hv_kvm_parse_io(s, &io);
	(void)hv_kvm_parse_schedstat(s, &a, &b);
	(void)hv_kvm_status_field(s, "Cpus_allowed_list", out, sizeof(out));
	{
		/* as read_netdev walks a line: never past the terminator */
		const char *p = s;
		while (hv_kvm_next_u64(&p, &a) == 0 && *p)
			if (p < s || p > s + size)
				abort();
	}
	free(s);
	return 0;
}
