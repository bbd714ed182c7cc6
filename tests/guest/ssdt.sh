#!/usr/bin/env bash
# Print ASL for an SSDT giving QEMU's processor objects \_SB.CPUS.Cnnn
# (pc/q35 machines) P-states (_PCT/_PSS/_PPC/_PSD) and one C1 state (_CST),
# so a guest's acpi-cpufreq and acpi_idle have real tables to work with.
# usage: ssdt.sh VCPUS > ssdt.asl ; iasl ssdt.asl ; qemu ... -acpitable file=ssdt.aml
# The _PCT registers are an unused I/O port: QEMU ignores the writes.
set -euo pipefail
n=${1:?VCPUS}
cpu() { printf 'C%03X' "$1"; }
echo 'DefinitionBlock ("", "SSDT", 2, "HVKIT", "PSTATES", 1)'
echo '{'
for ((i = 0; i < n; i++)); do
  echo "    External (\\_SB.CPUS.$(cpu "$i"), ProcessorObj)"
done
for ((i = 0; i < n; i++)); do
  cat <<ASL
    Scope (\\_SB.CPUS.$(cpu "$i"))
    {
        Method (_PCT, 0, NotSerialized)
        {
            Return (Package (0x02)
            {
                ResourceTemplate () { Register (SystemIO, 0x10, 0x00, 0x0000000000000A80, ,) },
                ResourceTemplate () { Register (SystemIO, 0x10, 0x00, 0x0000000000000A82, ,) }
            })
        }
        Method (_PSS, 0, NotSerialized)
        {
            Return (Package (0x03)
            {
                Package (0x06) { 2600, 15000, 10, 10, 0x00, 0x00 },
                Package (0x06) { 2000, 10000, 10, 10, 0x01, 0x01 },
                Package (0x06) { 1200, 5000, 10, 10, 0x02, 0x02 }
            })
        }
        Method (_PPC, 0, NotSerialized) { Return (Zero) }
        Method (_PSD, 0, NotSerialized)
        {
            Return (Package (0x01) { Package (0x05) { 0x05, 0x00, $i, 0xFC, 0x01 } })
        }
        Method (_CST, 0, NotSerialized)
        {
            Return (Package (0x02)
            {
                One,
                Package (0x04)
                {
                    ResourceTemplate () { Register (FFixedHW, 0x01, 0x02, 0x0000000000000000, 0x01,) },
                    One, One, 1000
                }
            })
        }
    }
ASL
done
echo '}'
