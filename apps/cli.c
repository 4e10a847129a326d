/* cli.c - option tables, strict value parsing, usage text; see cli.h. */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

static const struct cli_option *find_long(const struct cli_command *cmd, const char *name,
					  size_t len, void **target)
{
	for (size_t g = 0; g < cmd->n_groups; g++)
		for (const struct cli_option *o = cmd->groups[g].options; o->name; o++)
			if (strlen(o->name) == len && !strncmp(o->name, name, len)) {
				*target = cmd->groups[g].target;
				return o;
			}
	return NULL;
}

static const struct cli_option *find_short(const struct cli_command *cmd, char c, void **target)
{
	for (size_t g = 0; g < cmd->n_groups; g++)
		for (const struct cli_option *o = cmd->groups[g].options; o->name; o++)
			if (o->short_name && o->short_name == c) {
				*target = cmd->groups[g].target;
				return o;
			}
	return NULL;
}

void cli_fail(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry '%s --help'\n", cmd->name);
}

static enum cli_result apply(const struct cli_command *cmd, const struct cli_option *o, void *target,
			     const char *spelled, const char *value)
{
	char why[160] = "";
	if (!o->set) {
		*(int *)(void *)((char *)target + o->flag) = 1;
		return CLI_OK;
	}
	if (o->set(target, value, why, sizeof(why)) == 0)
		return CLI_OK;
	if (value)
		cli_fail(cmd, "%s '%.64s': %s", spelled, value, why);
	else
		cli_fail(cmd, "%s: %s", spelled, why);
	return CLI_ERROR;
}

enum cli_result cli_parse(const struct cli_command *cmd, int argc, char **argv,
			  char **operands, int *n_operands)
{
	int only_operands = 0;
	*n_operands = 0;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		void *target = NULL;
		const struct cli_option *o;
		const char *value = NULL;
		char spelled[64];

		if (only_operands || a[0] != '-' || a[1] == '\0') {
			if (*n_operands == cmd->max_operands) {
				cli_fail(cmd, "unexpected argument '%.64s'", a);
				return CLI_ERROR;
			}
			operands[(*n_operands)++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_operands = 1;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			cli_usage(cmd, stdout);
			return CLI_HELP;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			o = find_long(cmd, name, len, &target);
			snprintf(spelled, sizeof(spelled), "--%.*s", (int)(len < 40 ? len : 40), name);
			if (!o) {
				cli_fail(cmd, "unknown option %s", spelled);
				return CLI_ERROR;
			}
			if (eq && !o->arg) {
				cli_fail(cmd, "%s takes no value", spelled);
				return CLI_ERROR;
			}
			value = eq ? eq + 1 : NULL;
		} else {
			o = find_short(cmd, a[1], &target);
			snprintf(spelled, sizeof(spelled), "-%c", a[1]);
			if (!o) {
				cli_fail(cmd, "unknown option %s", spelled);
				return CLI_ERROR;
			}
			if (a[2] != '\0') {
				if (!o->arg) {
					cli_fail(cmd, "%s takes no value (write switches apart)", spelled);
					return CLI_ERROR;
				}
				value = a + 2;
			}
		}
		if (o->arg && !value) {
			if (i + 1 == argc) {
				cli_fail(cmd, "%s needs a value (%s)", spelled, o->arg);
				return CLI_ERROR;
			}
			value = argv[++i];
		}
		if (apply(cmd, o, target, spelled, value) != CLI_OK)
			return CLI_ERROR;
	}
	if (*n_operands < cmd->min_operands) {
		cli_fail(cmd, "missing argument (usage: %s %s)", cmd->name, cmd->synopsis);
		return CLI_ERROR;
	}
	return CLI_OK;
}

void cli_usage(const struct cli_command *cmd, FILE *out)
{
	fprintf(out, "usage: %s %s\n%s\n", cmd->name, cmd->synopsis, cmd->about);
	for (size_t g = 0; g < cmd->n_groups; g++) {
		fprintf(out, "\n%s:\n", cmd->groups[g].title);
		for (const struct cli_option *o = cmd->groups[g].options; o->name; o++) {
			char left[48];
			if (o->short_name)
				snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name,
					 o->arg ? " " : "", o->arg ? o->arg : "");
			else
				snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
					 o->arg ? o->arg : "");
			fprintf(out, "  %-24s %s\n", left, o->help);
		}
	}
	fprintf(out, "  %-24s %s\n", "-h, --help", "show this help");
	if (cmd->details)
		fprintf(out, "\n%s", cmd->details);
}

int cli_host(const struct cli_command *cmd, const char *s, tp_ip4 *out)
{
	if (tp_ip4_parse(s, out) == 0)
		return 0;
	cli_fail(cmd, "'%.64s' is not an IPv4 address (names need a resolver tapir lacks yet)", s);
	return -1;
}

int cli_port(const struct cli_command *cmd, const char *s, uint16_t *out)
{
	uint64_t v;
	char why[96];
	if (cli_uint(s, 1, 65535, &v, why, sizeof(why)) < 0) {
		cli_fail(cmd, "port '%.64s': %s", s, why);
		return -1;
	}
	*out = (uint16_t)v;
	return 0;
}

int cli_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	uint64_t v = 0;
	const char *p = s;
	int base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && p[2]) {
		base = 16;
		p += 2;
	}
	if (!*p)
		goto bad;
	for (; *p; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			goto bad;
		if (v > (UINT64_MAX - d) / (uint64_t)base)
			goto bad;
		v = v * (uint64_t)base + d;
	}
	if (v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	snprintf(err, errlen, "wants a whole number from %llu to %llu", (unsigned long long)min,
		 (unsigned long long)max);
	return -1;
}

int cli_seconds(const char *s, tp_time min, tp_time max, tp_time *out, char *err, size_t errlen)
{
	tp_time whole = 0, frac = 0, scale = 1000000;
	const char *p = s;
	int digits = 0;
	for (; *p >= '0' && *p <= '9' && whole <= max; p++, digits++)
		whole = whole * 10 + (tp_time)(*p - '0');
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (scale == 1)
				goto bad;       /* finer than a microsecond */
			scale /= 10;
			frac += (tp_time)(*p - '0') * scale;
		}
	}
	if (*p || !digits || whole > max / 1000000u)
		goto bad;
	tp_time v = whole * 1000000u + frac;
	if (v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	snprintf(err, errlen, "wants seconds from %g to %g (e.g. 0.5)", (double)min / 1e6,
		 (double)max / 1e6);
	return -1;
}
