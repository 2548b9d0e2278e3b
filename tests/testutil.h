/* Shared test helpers: an environment backed by calloc/free that counts
 * allocations (so tests can check for leaks), log capture, and a CUnit main. */
#ifndef UM3N_TESTUTIL_H
#define UM3N_TESTUTIL_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include "um3n.h"

struct test_env_state {
	long live_allocs;
	long log_lines;
	char last_log[256];
	bool echo; /* print log lines to stderr (UM3N_TEST_VERBOSE=1) */
};

/* An env whose ctx is a static test_env_state; seed as given. */
struct um3n_env test_env(uint64_t seed);
struct test_env_state *test_env_state(void);

struct test_suite {
	const char *name;
	CU_TestInfo *tests;
};

/* Registers the NULL-terminated list of suites, runs them verbosely and returns
 * the process exit status (0 only when every test passed). */
int test_main(const struct test_suite *suites);

#endif
