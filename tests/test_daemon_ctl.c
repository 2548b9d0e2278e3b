/* Daemon platform layer: the control socket's request parser (dctl.c), as
 * `um3nctl link NAME down|up|signal DBM` sends it, and the names the MN logs
 * such a request by. */
#include <string.h>

#include "dctl.h"
#include "engine.h"
#include "testutil.h"

/* Numbered: request line, expected rc, event, arg. */
static const struct {
	const char *line;
	int rc, ev, arg;
	const char *name;
} link_cases[] = {
	/* 0 */ {"link wifi down", 0, UM3N_LINK_EV_DOWN, UM3N_LINK_DOWN_COMMAND, "wifi"},
	/* 1 */ {"link cell up", 0, UM3N_LINK_EV_UP, 0, "cell"},
	/* 2 */ {"link cell signal -85", 0, UM3N_LINK_EV_SIGNAL, -85, "cell"},
	/* 3 */ {"link cell signal 5", UM3N_EINVAL, 0, 0, NULL},
	/* 4 */ {"link cell signal", UM3N_EINVAL, 0, 0, NULL},
	/* 5 */ {"link cell signal -85x", UM3N_EINVAL, 0, 0, NULL},
	/* 6 */ {"link cell sideways", UM3N_EINVAL, 0, 0, NULL},
	/* 7 */ {"link cell down now", UM3N_EINVAL, 0, 0, NULL},
	/* 8 */ {"link", UM3N_EINVAL, 0, 0, NULL},
	/* 9 */ {"show", UM3N_EINVAL, 0, 0, NULL},
	/* 10 */ {"", UM3N_EINVAL, 0, 0, NULL},
	/* 11 */ {"link cell signal -60 extra", UM3N_EINVAL, 0, 0, NULL},
};

static void test_parse_link(void)
{
	for (size_t i = 0; i < sizeof(link_cases) / sizeof(link_cases[0]); i++) {
		char buf[64], *name = NULL;
		const char *why = NULL;
		int ev = 0, arg = 0, rc;

		strcpy(buf, link_cases[i].line);
		rc = d_ctl_parse_link(buf, &name, &ev, &arg, &why);
		CU_ASSERT_EQUAL(rc, link_cases[i].rc);
		if (rc == 0) {
			CU_ASSERT_EQUAL(ev, link_cases[i].ev);
			CU_ASSERT_EQUAL(arg, link_cases[i].arg);
			CU_ASSERT_STRING_EQUAL(name, link_cases[i].name);
		} else {
			CU_ASSERT_PTR_NOT_NULL(why);
		}
	}
}

/* The MN logs a control request by name: "control: link wifi down". */
static void test_link_what(void)
{
	char buf[32];

	CU_ASSERT_STRING_EQUAL(d_ctl_link_what(UM3N_LINK_EV_DOWN, UM3N_LINK_DOWN_COMMAND, buf,
					       sizeof(buf)),
			       "down");
	CU_ASSERT_STRING_EQUAL(d_ctl_link_what(UM3N_LINK_EV_UP, 0, buf, sizeof(buf)), "up");
	CU_ASSERT_STRING_EQUAL(d_ctl_link_what(UM3N_LINK_EV_SIGNAL, -85, buf, sizeof(buf)),
			       "signal -85 dBm");
	CU_ASSERT_STRING_EQUAL(d_ctl_link_what(9, 1, buf, sizeof(buf)), "event 9 (1)");
}

static CU_TestInfo ctl_tests[] = {
	{"parse_link_table", test_parse_link},
	{"link_what", test_link_what},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	const struct test_suite suites[] = {
		{"daemon_ctl", ctl_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
