/*
 * check_main.h - what every Check test program ends with: run the suite
 * (forking per test, so a crash or hang fails one test, not the program)
 * and exit non-zero if anything failed.
 */
#ifndef TAPIR_TESTS_CHECK_MAIN_H
#define TAPIR_TESTS_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

static inline int check_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* main() for a program whose tests come from `Suite *suite_fn(void)`. */
#define TEST_MAIN(suite_fn) \
	int main(void) { return check_run_suite(suite_fn()); }

#endif
