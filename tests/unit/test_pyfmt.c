/* test_pyfmt.c - mmt_fmt_pyfloat against Python's repr(float) (expected strings produced by
 * python3 3.11; the hex literals are the exact doubles). */
#include <config.h>

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_internal.h"

typedef struct fcase {
    double v;
    const char *want;
} fcase;

static const fcase cases[] = {
{0x0.0p+0, "0.0"},
{-0x0.0p+0, "-0.0"},
{0x1.0000000000000p+0, "1.0"},
{-0x1.0800000000000p+6, "-66.0"},
{0x1.9000000000000p+6, "100.0"},
{0x1.999999999999ap-4, "0.1"},
{0x1.4f8b588e368f1p-17, "1e-05"},
{0x1.a36e2eb1c432dp-14, "0.0001"},
{0x1.1c37937e08000p+53, "1e+16"},
{0x1.c6bf526340000p+49, "1000000000000000.0"},
{0x1.1c37937e07fffp+53, "9999999999999998.0"},
{0x1.b69b4ba630f35p+56, "1.2345678901234568e+17"},
{0x1.f07c1f07c1f08p-1, "0.9696969696969697"},
{0x1.6b1ebaebaebafp+6, "90.78000992063492"},
{0x1.5555555555555p-2, "0.3333333333333333"},
{0x1.5555555555555p-1, "0.6666666666666666"},
{0x0.0000000000001p-1022, "5e-324"},
{0x1.fffffffffffffp+1023, "1.7976931348623157e+308"},
{0x1.0000000000000p-1022, "2.2250738585072014e-308"},
{0x1.0000000000000p+60, "1.152921504606847e+18"},
{0x1.0000000000000p-20, "9.5367431640625e-07"},
{0x1.0f0cf064dd592p+73, "1e+22"},
{0x1.52d02c7e14af6p+76, "1e+23"},
{0x1.3333333333333p-2, "0.3"},
{0x1.a36e2eb1c432dp-16, "2.5e-05"},
{0x1.81cd6c8b43958p+13, "12345.678"},
{0x1.30c30c30c30c3p+5, "38.095238095238095"},
{INFINITY, "inf"},
{-INFINITY, "-inf"},
{0x0.0000000000001p-1022, "5e-324"},
{0x1.0000000000000p-1022, "2.2250738585072014e-308"},
{0x1.0000000000000p-500, "3.054936363499605e-151"},
{0x1.0000000000000p-20, "9.5367431640625e-07"},
{0x1.0000000000000p-5, "0.03125"},
{0x1.0000000000000p-4, "0.0625"},
{0x1.0000000000000p+10, "1024.0"},
{0x1.0000000000000p+52, "4503599627370496.0"},
{0x1.0000000000000p+53, "9007199254740992.0"},
{0x1.0000000000000p+54, "1.8014398509481984e+16"},
{0x1.0000000000000p+100, "1.2676506002282294e+30"},
{0x1.0000000000000p+1000, "1.0715086071862673e+301"},
{-0x1.b0ef331fdb5acp-103, "-1.6676025490931768e-31"},
{0x1.15b511dcfa4dbp+69, "6.403494451225773e+20"},
{-0x1.59ef20d3c7489p-25, "-4.027202896008144e-08"},
{0x1.84eac56653f12p-44, "8.635693817386232e-14"},
{0x1.8efeb198ba843p-70, "1.3201633745772256e-21"},
{-0x1.0ccc3acfc3d70p+81, "-2.5387231820424085e+24"},
{-0x1.a325f89f86004p+13, "-13412.746398016818"},
{0x1.e54922c56eac2p+27, "254429462.1697598"},
{0x1.249604e41cb3cp-30, "1.0644217113865961e-09"},
{0x1.0ebe58e8b8e95p+52, "4762970798919317.0"},
{-0x1.22672b9acfc6bp+56, "-8.174118022465298e+16"},
{-0x1.1937cb15faa70p+4, "-17.5761214121398"},
{-0x1.ec0d33289b221p-58, "-6.668542154409563e-18"},
{0x1.0282c1e442b41p-61, "4.379342806017701e-19"},
{0x1.287d7acc33b31p-34, "6.741405627363983e-11"},
{-0x1.05f26d50bdea3p-30, "-9.52957563715599e-10"},
{-0x1.7a81045740730p+6, "-94.62599312144152"},
{0x1.5434ee7426006p+56, "9.575969083713136e+16"},
{-0x1.b6dc6070cf5d3p-103, "-1.6904304916479275e-31"},
{0x1.d21ee2a77335cp+82, "8.804770061954857e+24"},
{-0x1.9a644df92648cp+22, "-6723859.493310105"},
{-0x1.8d88f75c8dc2bp-81, "-6.422524707529697e-25"},
{0x1.79abe7e0acccfp-82, "3.0508061371046998e-25"},
{0x1.78801de5b6274p+19, "771072.934290959"},
{-0x1.55d25b54d9f57p-21, "-6.36692542782691e-07"},
{-0x1.0b60ff60fa8c9p+9, "-534.7577935431847"},
{0x1.8d0a2d6522e0ep+90, "1.9199664457718168e+27"},
{0x1.19bfa01a8d651p+69, "6.496678937955613e+20"},
{-0x1.63b6ab4795919p-77, "-9.19497978205858e-24"},
{0x1.135d977992ab9p-57, "7.463799342397584e-18"},
{0x1.a55685198262bp+58, "4.743843794152025e+17"},
{0x1.a03676da4c6e7p-67, "1.1017059787675487e-20"},
{-0x1.fc11d66ff095cp-12, "-0.0004845330031423478"},
{0x1.1a3da6a3a06e1p-78, "3.647877150816736e-24"},
{-0x1.5a67362603210p-67, "-9.169215562972762e-21"},
{-0x1.a4b50526dad1ap+81, "-3.973466309414411e+24"},
{0x1.919c6eaf27976p-71, "6.644097717010459e-22"},
{0x1.3f8d76337026ap-27, "9.300204251574423e-09"},
{0x1.d9271815ac8b8p-71, "7.827654990504484e-22"},
{-0x1.27ed52dba7153p-102, "-2.2797390336154823e-31"},
{-0x1.99e44b9e69e4fp+49, "-901361553953737.9"},
{-0x1.d7781c1cf4a55p-24, "-1.0977247240300868e-07"},
{0x1.ff68a7b37dca3p+92, "9.892085015636324e+27"},
{-0x1.a00d6ebabb954p-101, "-6.41030329632329e-31"},
{0x1.d3fd60ab8851ap-25, "5.4481178093455204e-08"},
{-0x1.c77055c0423e8p+5, "-56.92985105707322"},
{0x1.0b876b0f8d78ep-1, "0.5225175339207782"},
{0x1.3c5699e52c60ap-102, "2.4369815083630453e-31"},
{0x1.bbb056dd2045ep-36, "2.5220789748118477e-11"},
{0x1.c851e7ec7d2bep-15, "5.4397576466335456e-05"},
{0x1.4a28d5a93d44fp+16, "84520.83461363729"},
{-0x1.4b4be93e45640p+62, "-5.968107675867218e+18"},
{0x1.f7fc464f7f7e9p-79, "3.2569296208861242e-24"},
{0x1.c02363f3468e5p-87, "1.1312599703162119e-26"},
{-0x1.0e5c23dac4826p+83, "-1.0213909075383888e+25"},
{0x1.aefdd65f82399p-54, "9.345639547043396e-17"},
{-0x1.c06ebbf2c29f9p-68, "-5.9349554533447276e-21"},
{-0x1.08a162830a380p+12, "-4234.086550750653"},
{-0x1.29e17bfce658cp+46, "-81880850315670.19"},
{-0x1.425b285a1a512p-100, "-9.933363773444062e-31"},
{0x1.536772cfb1396p+0, "1.3257972485600695"},
{0x1.32ba7ae53aa32p+2, "4.792631839615341"},
{0x1.5ffa88d34e8f0p+0, "1.3749166026960289"},
{0x1.2b64d4d9018cep+0, "1.169507315616602"},
{0x1.1be90d1768e6fp+3, "8.872198625299658"},
{0x1.0bda82b26d228p-1, "0.5231514780812789"},
{0x1.d8c2a0256a03fp+0, "1.8467197505324433"},
{0x1.569bd5603b4aap-4, "0.08364470815623073"},
{0x1.a16a7adfba83cp+0, "1.6305310054981552"},
{0x1.252d241fa5a74p+1, "2.2904400972868704"},
{0x1.0f14ec8a9f02cp-2, "0.2647282561881663"},
{0x1.3106010e964e5p+2, "4.765991462941405"},
{0x1.2b97e71de7695p-4, "0.07314291267399604"},
{0x1.e0c88cc7227b9p+0, "1.8780601488274284"},
{0x1.1c1e6019d4375p+1, "2.219676983463098"},
{0x1.3ed3e0f13ebc4p-2, "0.31135512802546494"},
{0x1.a6c0aa46c9087p-1, "0.8256886683852976"},
{0x1.29098f3b7cc15p-1, "0.5801510582081187"},
{0x1.346d79f36136fp-1, "0.6023977384180464"},
{0x1.7bc6f06c110a6p-1, "0.7417521602551644"},
};

/* Every value formats exactly as Python's repr. */
static void test_repr_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[40];
        size_t n = mmt_fmt_pyfloat(buf, cases[i].v);
        buf[n] = '\0';
        assert_string_equal(buf, cases[i].want);
    }
}

/* NaN prints as Python's "nan". */
static void test_nan(void **state)
{
    (void)state;
    char buf[40];
    buf[mmt_fmt_pyfloat(buf, NAN)] = '\0';
    assert_string_equal(buf, "nan");
}

/* The integer fast path agrees with the general path, including the switch to exponent form. */
static void test_i64_path(void **state)
{
    (void)state;
    static const struct {
        int64_t v;
        const char *want;
    } t[] = {{0, "0.0"},
             {-1, "-1.0"},
             {20000056, "20000056.0"},
             {-2098, "-2098.0"},
             {9007199254740991, "9007199254740991.0"},
             {10000000000000000, "1e+16"},
             {INT64_MAX, "9.223372036854776e+18"}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char buf[40];
        buf[mmt__fmt_pyfloat_i64(buf, t[i].v)] = '\0';
        assert_string_equal(buf, t[i].want);
    }
}

/* Steps the xorshift64 state x and returns its bits as a double (any double: NaN, inf, ...). */
static double next_double(uint64_t *x)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    double v;
    memcpy(&v, x, sizeof v);
    return v;
}

/* Shortest digits always read back to the same double (round trip). */
static void test_round_trip(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; i++) {
        double v = next_double(&x);
        if (!isfinite(v))
            continue;
        char buf[40];
        buf[mmt_fmt_pyfloat(buf, v)] = '\0';
        assert_true(strtod(buf, NULL) == v);
        assert_true(strlen(buf) <= 24);
    }
}

/* Checks that the exact integer path and the general snprintf/strtod path agree on v. */
static void same_both_ways(double v)
{
    char fast[40], slow[40];
    fast[mmt_fmt_pyfloat(fast, v)] = '\0';
    slow[mmt__fmt_pyfloat_general(slow, v)] = '\0';
    if (strcmp(fast, slow) != 0)
        fail_msg("%a: exact path '%s', general path '%s'", v, fast, slow);
}

/* The exact path (issue 8 item 10: the reports' floats without snprintf/strtod) gives the
 * general path's digits: random doubles, the ratios of small integers the reports print, and
 * the powers of two and ten (lopsided rounding intervals, exact ties) with their neighbours. */
static void test_exact_path_agrees(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 100000; i++) {
        double v = next_double(&x);
        if (isfinite(v))
            same_both_ways(v);
        same_both_ways((double)(x >> 11) * ldexp(1.0, -(int)(x % 70)));
    }
    for (int64_t a = 1; a < 200; a++)
        for (int64_t b = 1; b < 200; b++) {
            same_both_ways((double)a / (double)b);
            same_both_ways(100.0 * (double)a / (double)b);
        }
    for (int k = -40; k <= 40; k++) {
        double vs[2] = {ldexp(1.0, k * 3), pow(10.0, k / 2)};
        for (int j = 0; j < 2; j++) {
            same_both_ways(vs[j]);
            same_both_ways(nextafter(vs[j], 0));
            same_both_ways(nextafter(vs[j], INFINITY));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repr_table),
        cmocka_unit_test(test_nan),
        cmocka_unit_test(test_i64_path),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_exact_path_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
