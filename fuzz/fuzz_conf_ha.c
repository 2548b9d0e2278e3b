/* libFuzzer target: the HA daemon's configuration parser (daemons/dconf.c,
 * ha.conf through inih and core/confkeys.c). The input is the file's text.
 * Checks beyond "no crash": an error is one line "fuzz.conf:..."; a config
 * that parses has an address, and each [mn HOME] section once, with an SPI of
 * HMAC-SHA256 and a key file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dconf.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct d_conf_ha c;
	char err[D_ERR_MAX] = "";
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (d_conf_ha_parse(text, "fuzz.conf", &c, err, sizeof(err)) != 0) {
		if (strncmp(err, "fuzz.conf:", 10) != 0 || strchr(err, '\n'))
			abort(); /* the error contract: one line naming the file */
	} else {
		if (c.ha.addr.ip.family != UM3N_AF_INET || c.n_mns > c.cap_mns)
			abort();
		for (size_t i = 0; i < c.n_mns; i++) {
			if (!c.mns[i].seen_spi || !c.mns[i].seen_key ||
			    c.mns[i].spi < UM3N_SPI_HMAC_SHA256_MIN || !c.mns[i].key_file[0])
				abort();
			for (size_t j = 0; j < i; j++)
				if (c.mns[i].home_addr == c.mns[j].home_addr)
					abort();
		}
	}
	d_conf_ha_free(&c);
	free(text);
	return 0;
}
