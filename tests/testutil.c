#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct test_env_state state;

static void *test_alloc(void *ctx, size_t size)
{
	struct test_env_state *s = ctx;
	void *p = calloc(1, size);

	if (p)
		s->live_allocs++;
	return p;
}

static void test_free(void *ctx, void *ptr)
{
	struct test_env_state *s = ctx;

	if (ptr)
		s->live_allocs--;
	free(ptr);
}

static void test_log(void *ctx, int level, const char *msg)
{
	struct test_env_state *s = ctx;

	s->log_lines++;
	snprintf(s->last_log, sizeof(s->last_log), "%s", msg);
	if (s->echo)
		fprintf(stderr, "[%d] %s\n", level, msg);
}

struct um3n_env test_env(uint64_t seed)
{
	struct um3n_env env = {
		.ctx = &state,
		.log = test_log,
		.log_level = UM3N_LOG_DEBUG,
		.alloc = test_alloc,
		.free = test_free,
		.seed = seed,
	};
	const char *v = getenv("UM3N_TEST_VERBOSE");

	state.echo = v && *v == '1';
	return env;
}

struct test_env_state *test_env_state(void) { return &state; }

int test_main(const struct test_suite *suites)
{
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (const struct test_suite *s = suites; s->name; s++) {
		CU_pSuite suite = CU_add_suite(s->name, NULL, NULL);

		for (CU_TestInfo *t = s->tests; t->pName; t++)
			CU_add_test(suite, t->pName, t->pTestFunc);
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

void test_check(bool ok, const char *file, int line, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	CU_assertImplementation(ok, (unsigned)line, msg, file, "", CU_FALSE);
}

#define SLURP_MAX (1 << 17)

char *test_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, SLURP_MAX);
	size_t n;

	CU_ASSERT_FATAL(f != NULL && buf != NULL);
	n = fread(buf, 1, SLURP_MAX - 1, f);
	fclose(f);
	CU_ASSERT_FATAL(n > 0 && n < SLURP_MAX - 1);
	return buf;
}

struct um3n_policy *test_policy_new(size_t max_rules)
{
	struct um3n_env env = test_env(1);

	return um3n_policy_new(&env, max_rules); /* the table copies env */
}

void test_policy_free(struct um3n_policy *p)
{
	um3n_policy_free(p);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

struct um3n_policy_rule test_rule(const char *text, uint8_t link_class, uint8_t mode)
{
	struct um3n_policy_rule r = {.link_class = link_class, .mode = mode};

	CU_ASSERT_EQUAL_FATAL(um3n_policy_prefix_parse(text, &r.prefix, &r.plen), UM3N_OK);
	return r;
}
