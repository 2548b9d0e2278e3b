/* The daemons' event loop: d_loop_wait() with and without its busy-poll
 * phase returns what is ready at once, finds what becomes ready while it
 * spins, and falls through to a blocking wait (here ended by the timerfd)
 * when nothing comes within the spin; it spins only after a round that
 * returned traffic (a TUN or UDP event). */
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "dcommon.h"
#include "dloop.h"
#include "testutil.h"

static struct d_loop loop;
static int pipe_fds[2];

static void setup(void)
{
	CU_ASSERT_EQUAL_FATAL(d_loop_init(&loop), 0);
	CU_ASSERT_EQUAL_FATAL(pipe(pipe_fds), 0);
	CU_ASSERT_EQUAL_FATAL(d_loop_watch(&loop, pipe_fds[0], EPOLLIN, D_EV_DATA(D_TAG_UDP, 7)),
			      0);
}

/* One round with a UDP-tagged event, so that the next wait may spin. */
static void prime(void)
{
	struct epoll_event ev[4];
	char c;

	CU_ASSERT_EQUAL(write(pipe_fds[1], "p", 1), 1);
	CU_ASSERT_EQUAL(d_loop_wait(&loop, ev, 4, 0), 1);
	CU_ASSERT_EQUAL(read(pipe_fds[0], &c, 1), 1);
	CU_ASSERT_TRUE(loop.data_seen);
}

static void teardown(void)
{
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	d_loop_close(&loop);
}

static void test_ready_at_once(void)
{
	struct epoll_event ev[4];

	setup();
	CU_ASSERT_EQUAL(write(pipe_fds[1], "x", 1), 1);
	for (unsigned spin = 0; spin <= 200; spin += 200) {
		uint64_t t0 = d_now_us();

		CU_ASSERT_EQUAL(d_loop_wait(&loop, ev, 4, spin), 1);
		CU_ASSERT_EQUAL(D_EV_TAG(ev[0].data.u64), D_TAG_UDP);
		CU_ASSERT_EQUAL(D_EV_IDX(ev[0].data.u64), 7);
		/* level-triggered: still readable, found without spinning it out */
		CU_ASSERT(d_now_us() - t0 < 100000);
	}
	teardown();
}

static void *write_later(void *arg)
{
	struct timespec ts = {0, 2 * 1000 * 1000}; /* 2 ms */

	(void)arg;
	nanosleep(&ts, NULL);
	if (write(pipe_fds[1], "y", 1) != 1)
		return (void *)1;
	return NULL;
}

/* Something arriving during the spin (which is longer than the writer's
 * delay) is returned by the spin. */
static void test_arrives_while_spinning(void)
{
	struct epoll_event ev[4];
	pthread_t t;
	void *rc;

	setup();
	prime();
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, write_later, NULL), 0);
	CU_ASSERT_EQUAL(d_loop_wait(&loop, ev, 4, 500000), 1);
	CU_ASSERT_EQUAL(D_EV_TAG(ev[0].data.u64), D_TAG_UDP);
	pthread_join(t, &rc);
	CU_ASSERT_PTR_NULL(rc);
	teardown();
}

/* Nothing within the 100 us spin: the wait blocks until the timer fires
 * (armed 20 ms out), and returns that, not an empty round. A round with
 * only the timer is not traffic: the next wait would not spin. */
static void test_spin_then_block(void)
{
	struct epoll_event ev[4];
	uint64_t t0;
	int n;

	setup();
	prime();
	t0 = d_now_us();
	d_loop_arm(&loop, t0 + 20000);
	n = d_loop_wait(&loop, ev, 4, 100);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(D_EV_TAG(ev[0].data.u64), D_TAG_TIMER);
	CU_ASSERT(d_now_us() - t0 >= 20000);
	CU_ASSERT_FALSE(loop.data_seen);
	teardown();
}

static CU_TestInfo loop_tests[] = {
	{"ready_at_once", test_ready_at_once},
	{"arrives_while_spinning", test_arrives_while_spinning},
	{"spin_then_block", test_spin_then_block},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	const struct test_suite suites[] = {
		{"daemon_loop", loop_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
