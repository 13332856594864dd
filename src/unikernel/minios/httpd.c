/* The minios row's app (tinyx compare): Mini-OS with lwIP and this one
 * file, built in place of Mini-OS's daytime.c (src/compare/minios.c). It
 * brings the network up (the address from the vif's ip= in xenstore),
 * answers every TCP connection on port 80 with one HTTP 200, and says the
 * Tinyx init's console markers (guest/markers.h) so that the probe times it
 * like the other rows; lwIP answers ICMP echo for the round trips. Built by
 * Mini-OS's Makefile (gnu89, its own headers), not by ours. */
#include <os.h>
#include <console.h>
#include <netfront.h>
#include <lwip/api.h>

#define PORT 80

static const char answer[] = "HTTP/1.0 200 OK\r\n"
			     "Content-Type: text/plain\r\n"
			     "Content-Length: 13\r\n"
			     "Connection: close\r\n"
			     "\r\n"
			     "tinyx minios\n";

static void serve(void *arg)
{
	struct ip_addr any = {0};
	struct netconn *l;

	start_networking();
	l = netconn_new(NETCONN_TCP);
	if (!l || netconn_bind(l, &any, PORT) != ERR_OK || netconn_listen(l) != ERR_OK) {
		printk("tinyx: app failed 'httpd' cannot listen on tcp/%d\n", PORT);
		return;
	}
	printk("tinyx: ready tcp/%d\n", PORT);
	for (;;) {
		struct netconn *c = netconn_accept(l);
		struct netbuf *req;

		if (!c)
			continue;
		req = netconn_recv(c); /* the request's first segment: enough */
		if (req)
			netbuf_delete(req);
		netconn_write(c, answer, sizeof(answer) - 1, NETCONN_COPY);
		netconn_close(c);
		netconn_delete(c);
	}
}

int app_main(void *arg)
{
	printk("tinyx: init\n");
	create_thread("httpd", serve, NULL);
	return 0;
}
