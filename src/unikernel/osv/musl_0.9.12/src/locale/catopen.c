/* Tinyx: OSv links this file from its musl_0.9.12 submodule, which the
 * pinned tree does not carry. No message catalogs on OSv: catopen fails. */
#include <errno.h>
#include <nl_types.h>

nl_catd catopen(const char *name, int oflag)
{
	(void)name;
	(void)oflag;
	errno = ENOENT;
	return (nl_catd)-1;
}
