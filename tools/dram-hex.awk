# dram-hex.awk - the hex printer shared by dram-stream.awk and dram-run-trace.awk (load it
# first: awk ... -f tools/dram-hex.awk -f tools/dram-stream.awk). DRAMsim3's trace format wants
# `0x` and lower-case digits; awk's %x is not exact above 2^31 in every awk, so this prints
# integers below 2^53 digit by digit.

function hex(v,    s, d) {
    if (v == 0)
        return "0x0"
    s = ""
    while (v > 0) {
        d = v % 16
        s = substr("0123456789abcdef", d + 1, 1) s
        v = (v - d) / 16
    }
    return "0x" s
}
