/* probex: the iperf3 report parser and the percentile; util's median_of. */
#include "probe/probex.h"
#include "t.h"

#include <string.h>

int main(void)
{
	double v = -1;
	const char *ok = "{\"end\":{\"sum_sent\":{\"bits_per_second\":9e9},"
			 "\"sum_received\":{\"bytes\":1,\"bits_per_second\" : 630000000.0}}}";
	const double sorted[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

	TCASE("iperf3 parse");
	CHECK(probex_iperf3_parse(ok, strlen(ok), &v) == 0);
	CHECK(v > 629.99 && v < 630.01);
	/* sum_sent alone is not what the server received */
	CHECK(probex_iperf3_parse("{\"sum_sent\":{\"bits_per_second\":5}}", 34, &v) < 0);
	CHECK(probex_iperf3_parse("{\"sum_received\":{\"bits_per_second\":0}}", 38, &v) < 0);
	CHECK(probex_iperf3_parse("{\"sum_received\":{\"bits_per_second\":-1}}", 39, &v) < 0);
	CHECK(probex_iperf3_parse("{\"sum_received\":{\"bits_per_second\":}", 36, &v) < 0);
	CHECK(probex_iperf3_parse("", 0, &v) < 0);
	/* not NUL-terminated: only len bytes count */
	CHECK(probex_iperf3_parse("{\"sum_received\":{\"bits_per_second\":12345678}}", 40, &v) ==
	      0);
	CHECK(v > 0.0123 && v < 0.0124); /* "12345" */
	TCASE("percentile");
	CHECK(probex_percentile(sorted, 10, 0.5) == 5);
	CHECK(probex_percentile(sorted, 10, 0.99) == 10);
	CHECK(probex_percentile(sorted, 1, 0.99) == 1);
	CHECK(probex_percentile(sorted, 0, 0.5) == -1);
	TCASE("median_of");
	/* median_of: the unmeasured (negative) ones dropped, the rest sorted in front */
	{
		double a[] = {30, -1, 10, 20}, b[] = {4, 1, -1, 3, 2}, c[] = {-1, -5};
		size_t k = 99;

		CHECK(median_of(a, 4, &k) == 20 && k == 3 && a[0] == 10 && a[2] == 30);
		CHECK(median_of(b, 5, &k) == 2.5 && k == 4 && b[0] == 1 && b[3] == 4);
		CHECK(median_of(c, 2, &k) == -1 && k == 0);
		CHECK(median_of(c, 0, NULL) == -1);
	}
	return t_done("probex");
}
