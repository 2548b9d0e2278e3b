/* Daemon datagram batches: d_net_iov_merge joins buffers that follow each other
 * in memory (full-size datagrams in the engine's ring) and nothing else. */
#include <string.h>

#include "dnet.h"
#include "testutil.h"

static uint8_t mem[8 * 100];

/* Each case: n iovecs given as (offset, length) into mem; what is left. */
static const struct {
	unsigned n;
	unsigned off[6], len[6];
	unsigned want_n;
	unsigned want_off[6], want_len[6];
} merge_cases[] = {
	{0, {0}, {0}, 0, {0}, {0}},
	{1, {0}, {100}, 1, {0}, {100}},
	{3, {0, 100, 200}, {100, 100, 40}, 1, {0}, {240}},                  /* a run, short last */
	{3, {0, 200, 300}, {100, 100, 100}, 2, {0, 200}, {100, 200}},       /* gap */
	{3, {300, 0, 100}, {100, 100, 100}, 2, {300, 0}, {100, 200}},       /* ring wrap */
	{4, {0, 100, 0, 100}, {100, 100, 100, 100}, 2, {0, 0}, {200, 200}}, /* two runs */
	{2, {100, 0}, {100, 100}, 2, {100, 0}, {100, 100}},                 /* backwards: no */
};

static void test_merge_table(void)
{
	for (size_t c = 0; c < sizeof(merge_cases) / sizeof(merge_cases[0]); c++) {
		struct iovec iov[6];
		unsigned n;

		for (unsigned i = 0; i < merge_cases[c].n; i++)
			iov[i] = (struct iovec){.iov_base = mem + merge_cases[c].off[i],
						.iov_len = merge_cases[c].len[i]};
		n = d_net_iov_merge(iov, merge_cases[c].n);
		CU_ASSERT_EQUAL(n, merge_cases[c].want_n);
		for (unsigned i = 0; i < n && i < merge_cases[c].want_n; i++) {
			CU_ASSERT_PTR_EQUAL(iov[i].iov_base, mem + merge_cases[c].want_off[i]);
			CU_ASSERT_EQUAL(iov[i].iov_len, merge_cases[c].want_len[i]);
		}
	}
}

static CU_TestInfo batch_tests[] = {
	{"iov_merge_table", test_merge_table},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	const struct test_suite suites[] = {
		{"daemon_batch", batch_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
