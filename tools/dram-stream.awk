# dram-stream.awk - writes a synthetic request stream in DRAMsim3's trace format
# (`0xADDR READ|WRITE CYCLE`, one request a line) for the DRAM golden corpus and the DRAM
# benchmark. Deterministic: the same variables give the same bytes with any POSIX awk (mawk,
# gawk, busybox), because it uses its own exact random generator (Park-Miller, products below
# 2^53) and its own hex printer (dram-hex.awk), never awk's rand() or %x.
#
#   awk -v kind=KIND -v n=N -v size=BYTES -v step=BYTES [-v seed=S] \
#       -f dram-hex.awk -f dram-stream.awk </dev/null
#
# KIND: random    n requests at random step-aligned addresses below size, one every `gap`
#                 cycles (default 2), a write one time in three;
#       seq       n reads of consecutive step-sized blocks, all at cycle 0 (saturation: the
#                 controller's back-pressure paces them);
#       rw        n requests alternating READ and WRITE over random blocks of a 256 KB window,
#                 one a cycle (bus turnarounds, row hits and write draining);
#       burst     bursts of 64 consecutive blocks from a random row, one burst every
#                 `gap` cycles (default 1500), a write burst one time in four;
#       stride    n requests at addresses i * (16 * step + step), wrapping at size (rotates
#                 channels, banks and columns), a write every fourth, one a cycle;
#       hot       n requests over 8 blocks, half of them writes, one every cycle or two
#                 (merged reads, merged writes, reads served from the write buffer).
# size is the memory's capacity in bytes and step its request size (bus_width / 8 * BL).

function rnd() {
    seed = (seed * 16807) % 2147483647
    return seed
}

# A random integer in [0, m), m < 2^53: two 31-bit draws combined exactly.
function rndint(m,    r) {
    r = rnd() * 2147483648 + rnd()
    return r % m
}

function emit(addr, w, cyc) {
    printf "%s %s %d\n", hex(addr), (w ? "WRITE" : "READ"), cyc
}

BEGIN {
    if (seed == "")
        seed = 12345
    blocks = size / step
    if (kind == "random") {
        if (gap == "")
            gap = 2
        for (i = 0; i < n; i++)
            emit(rndint(blocks) * step, rnd() % 3 == 0, i * gap)
    } else if (kind == "seq") {
        for (i = 0; i < n; i++)
            emit((i % blocks) * step, 0, 0)
    } else if (kind == "rw") {
        win = 262144 / step
        for (i = 0; i < n; i++)
            emit(rndint(win) * step, i % 2, i)
    } else if (kind == "burst") {
        if (gap == "")
            gap = 1500
        for (b = 0; b * 64 < n; b++) {
            base = rndint(blocks / 64) * 64
            w = rnd() % 4 == 0
            for (i = 0; i < 64 && b * 64 + i < n; i++)
                emit((base + i) * step, w, b * gap)
        }
    } else if (kind == "stride") {
        for (i = 0; i < n; i++)
            emit((i * 17 % blocks) * step, i % 4 == 3, i)
    } else if (kind == "hot") {
        for (i = c = 0; i < n; i++) {
            emit((rnd() % 8) * 4096 * step, rnd() % 2, c)
            c += 1 + rnd() % 2
        }
    } else {
        print "dram-stream.awk: unknown kind " kind > "/dev/stderr"
        exit 1
    }
}
