/* Shared test helpers: an environment backed by calloc/free that counts
 * allocations (so tests can check for leaks), log capture, and a CUnit main. */
#ifndef UM3N_TESTUTIL_H
#define UM3N_TESTUTIL_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include "policy.h"
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

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A failed check names its table case, so one assertion serves many rows. */
void test_check(bool ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define CHECK(cond, ...) test_check((cond), __FILE__, __LINE__, __VA_ARGS__)

/* A whole text file (at most 128 KiB) in a calloc'ed, NUL-terminated buffer;
 * fails the test at once when it cannot be read whole. */
char *test_slurp(const char *path);

/* A policy table on a test_env; test_policy_free also checks for leaks. */
struct um3n_policy *test_policy_new(size_t max_rules);
void test_policy_free(struct um3n_policy *p);
/* "prefix/len" -> rule; fails the test at once when the text itself is bad. */
struct um3n_policy_rule test_rule(const char *text, uint8_t link_class, uint8_t mode);

#endif
