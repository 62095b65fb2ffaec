# dram-run-trace.awk - turns one layer's SCALE-Sim DRAM traces (IFMAP, FILTER, OFMAP
# X_DRAM_TRACE.csv, decompressed) into requests in DRAMsim3's trace format, by the rule of
# doc/dram.md ("From a run's DRAM traces to requests"). It is the independent, awk version of
# what `mmtrace-replay --dram=INI --clock=MHZ` does in C; the DRAM golden corpus and the
# golden test of the timing report use it, so the two implementations check each other.
#
#   awk -v w0=MILLIBITS -v w1=.. -v w2=.. -v off0=OFFSET -v off1=.. -v off2=.. \
#       -v line=BYTES -v mhz=MHZ -v tck=NS -f dram-hex.awk -f dram-run-trace.awk IFMAP FILTER OFMAP
#
# w0..w2: the operand widths from [precision] in thousandths of a bit (8 bits: 8000);
# off0..off2: IfmapOffset, FilterOffset, OfmapOffset; line: the memory's request size in
# bytes; mhz: the accelerator clock; tck: the DRAM clock period in ns (the ini's tCK).
# Output: one request a line, in issue order.

# floor(p / q) for integers 0 <= p < 2^53, q > 0, without a rounded division.
function fdiv(p, q) {
    return (p - p % q) / q
}

BEGIN {
    FS = ","
    region = 1073741824
    w[0] = w0; w[1] = w1; w[2] = w2
    off[0] = off0; off[1] = off1; off[2] = off2
    nreq = 0
}

FNR == 1 {
    k = (FILENAME == ARGV[1]) ? 0 : (FILENAME == ARGV[2]) ? 1 : 2
    op = (k == 2) ? "WRITE" : "READ"
}

{
    c = $1 + 0
    if (!have_t0 || c < t0)
        t0 = c
    have_t0 = 1
    # last[k, l]: the id of the operand's latest row that touched line l; a line is a request
    # unless this row (id cur) or the operand's previous row touching any line (id cur - 1)
    # touched it.
    cur = rows[k] + 1
    touched = 0
    for (j = 2; j <= NF; j++) {
        a = $j + 0
        if (a == -1 || a < off[k])
            continue
        e = a - off[k]
        lo = fdiv(e * w[k], line * 8000)
        hi = fdiv((e + 1) * w[k] - 1, line * 8000)
        if ((hi + 1) * line > region) {
            printf "dram-run-trace.awk: %s:%d: element %d lies beyond the operand's 1 GiB region\n",
                FILENAME, FNR, e > "/dev/stderr"
            exit 1
        }
        for (l = lo; l <= hi; l++) {
            touched = 1
            if ((k, l) in last && last[k, l] >= cur - 1) {
                last[k, l] = cur
                continue
            }
            last[k, l] = cur
            rc[nreq] = c
            rk[nreq] = k
            ra[nreq] = k * region + l * line
            ro[nreq] = op
            nreq++
        }
    }
    if (touched)
        rows[k] = cur
}

END {
    # A stable merge by accelerator cycle: ifmap before filter before ofmap at one cycle,
    # rows and lines in their order within an operand (each trace's cycles never decrease).
    for (k = 0; k < 3; k++)
        p[k] = 0
    n = 0
    for (i = 0; i < nreq; i++)
        idx[rk[i], p[rk[i]]++] = i
    for (k = 0; k < 3; k++) {
        q[k] = 0
        cnt[k] = p[k]
    }
    y = mhz * tck
    for (done = 0; done < nreq; done++) {
        best = -1
        for (k = 0; k < 3; k++)
            if (q[k] < cnt[k] && (best < 0 || rc[idx[k, q[k]]] < rc[idx[best, q[best]]]))
                best = k
        i = idx[best, q[best]++]
        x = (rc[i] - t0) * 1000
        printf "%s %s %d\n", hex(ra[i]), ro[i], int(x / y)
    }
}
