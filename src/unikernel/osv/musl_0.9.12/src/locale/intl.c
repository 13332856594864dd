/* Tinyx: for OSv's libc/locale/intl.c (the musl_0.9.12 submodule is not in
 * the pinned tree). No translations: every message is its own. */
#include <stddef.h>

char *gettext(const char *msgid)
{
	return (char *)msgid;
}

char *dgettext(const char *domain, const char *msgid)
{
	(void)domain;
	return (char *)msgid;
}

char *dcgettext(const char *domain, const char *msgid, int category)
{
	(void)domain;
	(void)category;
	return (char *)msgid;
}

char *ngettext(const char *msgid1, const char *msgid2, unsigned long n)
{
	return (char *)(n == 1 ? msgid1 : msgid2);
}

char *dngettext(const char *domain, const char *msgid1, const char *msgid2, unsigned long n)
{
	(void)domain;
	return ngettext(msgid1, msgid2, n);
}

char *dcngettext(const char *domain, const char *msgid1, const char *msgid2, unsigned long n,
		 int category)
{
	(void)domain;
	(void)category;
	return ngettext(msgid1, msgid2, n);
}

char *textdomain(const char *domain)
{
	(void)domain;
	return (char *)"messages";
}

char *bindtextdomain(const char *domain, const char *dir)
{
	(void)domain;
	return (char *)dir;
}

char *bind_textdomain_codeset(const char *domain, const char *codeset)
{
	(void)domain;
	(void)codeset;
	return NULL;
}
