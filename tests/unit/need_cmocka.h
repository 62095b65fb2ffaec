/* need_cmocka.h - forced into every unit test when configure found no cmocka, so that
 * `make check` stops with the reason instead of a missing-header cascade. */
#error "make check needs cmocka: apt-get install libcmocka-dev, then run configure again"
