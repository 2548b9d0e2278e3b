/* Time series rows appended as their seconds close. */
#include "series.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "um3n.h"

int sim_series_init(struct sim_series *s, size_t n_cols, size_t n_secs, const char *header)
{
	memset(s, 0, sizeof(*s));
	s->n_cols = n_cols;
	s->n_secs = n_secs;
	s->bytes = calloc(SIM_SERIES_WINDOW * (n_cols ? n_cols : 1), sizeof(uint64_t));
	if (!s->bytes)
		return UM3N_ENOMEM;
	s->tmp = tmpfile();
	if (!s->tmp)
		return UM3N_ENOENT;
	if (fprintf(s->tmp, "%s\n", header) < 0)
		s->err = UM3N_ENOENT;
	return 0;
}

void sim_series_free(struct sim_series *s)
{
	if (s->tmp)
		fclose(s->tmp);
	free(s->bytes);
	memset(s, 0, sizeof(*s));
}

/* Appends the row of the oldest open second and opens the next one. */
static void close_first(struct sim_series *s)
{
	uint64_t *row = &s->bytes[(s->first % SIM_SERIES_WINDOW) * s->n_cols];

	assert(s->first < s->n_secs);
	if (fprintf(s->tmp, "%llu", (unsigned long long)s->first) < 0)
		s->err = UM3N_ENOENT;
	for (size_t c = 0; c < s->n_cols; c++)
		if (fprintf(s->tmp, ",%.3f", row[c] * 8 / 1e6) < 0)
			s->err = UM3N_ENOENT;
	if (fputc('\n', s->tmp) == EOF)
		s->err = UM3N_ENOENT;
	memset(row, 0, s->n_cols * sizeof(*row));
	s->first++;
}

void sim_series_add(struct sim_series *s, uint64_t sec, size_t col, uint64_t bytes)
{
	assert(col < s->n_cols);
	assert(sec >= s->first && "no sample older than the window");
	if (sec >= s->n_secs)
		return;
	while (sec >= s->first + SIM_SERIES_WINDOW)
		close_first(s);
	s->bytes[(sec % SIM_SERIES_WINDOW) * s->n_cols + col] += bytes;
}

int sim_series_write(struct sim_series *s, const char *path)
{
	char buf[65536];
	size_t n;
	FILE *out;

	while (s->first < s->n_secs)
		close_first(s);
	if (s->err || fflush(s->tmp) || fseek(s->tmp, 0, SEEK_SET))
		return UM3N_ENOENT;
	out = fopen(path, "w");
	if (!out)
		return UM3N_ENOENT;
	while ((n = fread(buf, 1, sizeof(buf), s->tmp)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			break;
	if (ferror(s->tmp) || ferror(out)) {
		fclose(out);
		return UM3N_ENOENT;
	}
	fseek(s->tmp, 0, SEEK_END); /* a second write copies the same rows */
	return fclose(out) == 0 ? 0 : UM3N_ENOENT;
}
