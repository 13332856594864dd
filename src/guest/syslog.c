/* /dev/log: the syslog socket of the image. Many daemons say why they stop
 * only through syslog(3); with no syslog daemon in the image that would go
 * nowhere. The init binds /dev/log itself and writes each message to the
 * console as one line "TAG[PID]: message" (the priority and the time stamp
 * taken off), where the probe and the build's error line see it. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "guest/init.h"
#include "guest/util.h"

#define LOG_PATH "/dev/log"

static int log_fd = -1;

int syslog_open(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX, .sun_path = LOG_PATH};
	struct stat s;
	int fd;

	if (lstat(LOG_PATH, &s) == 0 && !S_ISSOCK(s.st_mode))
		return -1; /* the image has its own /dev/log: leave it */
	unlink(LOG_PATH);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || chmod(LOG_PATH, 0666) < 0 ||
	    fcntl(fd, F_SETOWN, getpid()) < 0 || fcntl(fd, F_SETFL, O_ASYNC | O_NONBLOCK) < 0) {
		say("cannot make the syslog socket %s: %s", LOG_PATH, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	log_fd = fd;
	return 0;
}

/* "<PRI>" then, from syslog(3), "Mmm dd hh:mm:ss ": both are taken off. */
static const char *syslog_body(const char *m)
{
	static const char *const mon = "JanFebMarAprMayJunJulAugSepOctNovDec";
	size_t n = 0;

	if (m[0] == '<') {
		n = 1 + strspn(m + 1, "0123456789");
		m = m[n] == '>' && n > 1 ? m + n + 1 : m;
	}
	if (strlen(m) >= 16 && m[3] == ' ' && m[6] == ' ' && m[9] == ':' && m[12] == ':' &&
	    m[15] == ' ')
		for (int i = 0; i < 12; i++)
			if (!strncmp(m, mon + 3 * i, 3))
				return m + 16;
	return m;
}

void syslog_read(void)
{
	char buf[2048], line[2100];
	ssize_t n;

	while (log_fd >= 0 && (n = recv(log_fd, buf, sizeof(buf) - 1, 0)) >= 0) {
		const char *m;
		size_t len;

		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
			n--;
		buf[n] = 0;
		m = syslog_body(buf);
		/* one message, one line: the console lines are what the probe reads */
		len = 0;
		for (; *m && len + 2 < sizeof(line); m++)
			line[len++] = *m == '\n' || *m == '\r' ? ' ' : *m;
		line[len++] = '\n';
		if (write(2, line, len) < 0)
			break;
	}
}
