/* kconfig: fragment parsing, merge order, the survival check and reports.
 * Fixtures: tests/fixtures/kconfig/ (proj/ is a project dir with fragments,
 * kexplain.out what the kexplain helper answers about dropped options; the
 * helper itself runs against the real kernel tree in tests/t200-kconfig.sh). */
#include "kernel/kconfig.h"
#include "kernel/kernel.h"
#include "t.h"

#include <errno.h>
#include <stdlib.h>

#define FIX "tests/fixtures/kconfig"

static int parse_str(struct tx_ctx *ctx, const char *name, const char *text,
		     struct kconfig_set *set)
{
	return kconfig_parse_fragment(ctx, name, text, strlen(text), set);
}

static const char *val(const struct kconfig_set *set, const char *opt)
{
	const struct kconfig_req *r = kconfig_set_find(set, opt);

	return r ? r->value : NULL;
}

static const char *why(const struct kconfig_set *set, const char *opt)
{
	const struct kconfig_req *r = kconfig_set_find(set, opt);

	return r ? r->why : NULL;
}

static int load(const char *path, char **text, size_t *len)
{
	return read_file(path, text, len, 1 << 20);
}

static void test_parse(void)
{
	struct tx_ctx ctx = {0};
	struct kconfig_set set = {0};
	const char *frag = "# a comment\n"
			   "\n"
			   "CONFIG_A=y\n"
			   "CONFIG_B=m\r\n"
			   "# CONFIG_C is not set\n"
			   "CONFIG_D=\"hello \\\"world\\\"\"\n"
			   "CONFIG_E=-12\n"
			   "CONFIG_F=0x1f\n"
			   "#CONFIG_G is not set is just a comment\n"
			   "   CONFIG_H=y   \n"
			   "CONFIG_I=n";

	CHECK(parse_str(&ctx, "frag", frag, &set) == 0);
	CHECK(set.n == 8);
	CHECK_STR(val(&set, "A"), "y");
	CHECK_STR(val(&set, "B"), "m");
	CHECK_STR(val(&set, "C"), "n");
	CHECK_STR(val(&set, "D"), "\"hello \\\"world\\\"\"");
	CHECK_STR(val(&set, "E"), "-12");
	CHECK_STR(val(&set, "F"), "0x1f");
	CHECK(val(&set, "G") == NULL);
	CHECK_STR(val(&set, "H"), "y");
	CHECK_STR(val(&set, "I"), "n");
	CHECK_STR(why(&set, "A"), "frag:3");
	CHECK_STR(why(&set, "C"), "frag:5");
	CHECK(set.notes.n == 0);
	kconfig_set_free(&set);
}

static void test_parse_errors(void)
{
	static const struct {
		const char *text, *err;
	} bad[] = {
	    {"CONFIG_A=y\nNET=y\n", "kconfig: cannot parse 'NET=y' at f:2"},
	    {"CONFIG_A=yes\n", "kconfig: invalid value 'yes' for 'A' at f:1"},
	    {"CONFIG_A=\n", "kconfig: invalid value '' for 'A' at f:1"},
	    {"CONFIG_A=\"open\n", "kconfig: invalid value '\"open' for 'A' at f:1"},
	    {"CONFIG_A=\"x\\\"\n", "kconfig: invalid value '\"x\\\"' for 'A' at f:1"},
	    {"CONFIG_A-B=y\n", "kconfig: invalid option name 'CONFIG_A-B' at f:1"},
	    {"CONFIG_=y\n", "kconfig: invalid option name 'CONFIG_' at f:1"},
	    {"CONFIG_A=0xg\n", "kconfig: invalid value '0xg' for 'A' at f:1"},
	    {"CONFIG_A=y # trailing\n", "kconfig: invalid value 'y # trailing' for 'A' at f:1"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tx_ctx ctx = {0};
		struct kconfig_set set = {0};

		CHECK(parse_str(&ctx, "f", bad[i].text, &set) == -EINVAL);
		CHECK_STR(ctx.err, bad[i].err);
		kconfig_set_free(&set);
	}
	/* a NUL byte inside the text */
	{
		struct tx_ctx ctx = {0};
		struct kconfig_set set = {0};

		CHECK(kconfig_parse_fragment(&ctx, "f", "CONFIG_A=y\0\n", 12, &set) == -EINVAL);
		CHECK_STR(ctx.err, "kconfig: NUL byte at f:1");
		kconfig_set_free(&set);
	}
	/* the fixture file with a stray line names file:line */
	{
		struct tx_ctx ctx = {0};
		struct kconfig_set set = {0};
		char *text = NULL;
		size_t len = 0;

		CHECK(load(FIX "/bad-line.config", &text, &len) == 0);
		CHECK(kconfig_parse_fragment(&ctx, "bad-line.config", text, len, &set) == -EINVAL);
		CHECK_STR(ctx.err, "kconfig: cannot parse 'NET=y' at bad-line.config:2");
		free(text);
		kconfig_set_free(&set);
	}
}

static void test_merge_order(void)
{
	struct tx_ctx ctx = {0};
	struct kconfig_set set = {0};

	CHECK(parse_str(&ctx, "base.config", "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=y\n",
			&set) == 0);
	CHECK(parse_str(&ctx, "kvm.config", "CONFIG_B=y\nCONFIG_C=y\n\nCONFIG_A=n\n", &set) == 0);
	/* the later wins */
	CHECK_STR(val(&set, "A"), "n");
	CHECK_STR(val(&set, "B"), "y");
	CHECK_STR(why(&set, "A"), "kvm.config:4");
	CHECK_STR(why(&set, "B"), "kvm.config:1");
	/* the same value again keeps the first reason and makes no note */
	CHECK_STR(why(&set, "C"), "base.config:3");
	/* and the notes say so, in order */
	CHECK(set.notes.n == 2);
	CHECK_STR(set.notes.v[0], "B: kvm.config:1 overrides base.config:2 (n -> y)");
	CHECK_STR(set.notes.v[1], "A: kvm.config:4 overrides base.config:1 (y -> n)");
	/* the order of first appearance is kept */
	CHECK(set.n == 3);
	CHECK_STR(set.r[0].option, "A");
	CHECK_STR(set.r[2].option, "C");
	kconfig_set_free(&set);
}

static void test_collect(void)
{
	struct tx_ctx ctx = {0};
	struct kconfig_set set = {0};
	struct feature f[] = {
	    {"EPOLL", "epoll_create1", "/usr/sbin/demo"},
	    {"EPOLL", "epoll_wait", "/usr/sbin/demo"},
	    {"MULTIUSER", "setgid", "/usr/sbin/demo"},
	};

	CHECK(kconfig_collect(&ctx, FIX "/proj", "demo", "kvm", f, 3, KCOLLECT_NO_MIN, &set) == 0);
	/* base then vm: vm wins on SWAP */
	CHECK_STR(val(&set, "SWAP"), "y");
	CHECK_STR(why(&set, "SWAP"), "kconfig-fragments/vm.config:2");
	CHECK_STR(why(&set, "LOG_BUF_SHIFT"), "kconfig-fragments/base.config:4");
	/* features name the symbol and binary that implied them */
	CHECK_STR(why(&set, "MULTIUSER"), "demo: setgid (/usr/sbin/demo)");
	/* the feature fragment follows its feature */
	CHECK_STR(val(&set, "EVENTFD"), "y");
	CHECK_STR(why(&set, "EVENTFD"), "kconfig-fragments/features/epoll.config:2");
	/* the app fragment comes last and can switch a feature off */
	CHECK_STR(val(&set, "IPV6"), "y");
	CHECK_STR(why(&set, "IPV6"), "kconfig-fragments/apps/demo.config:2");
	CHECK_STR(val(&set, "EPOLL"), "n");
	/* the service baseline fills in, and overrides nothing */
	CHECK_STR(why(&set, "FHANDLE"), "kconfig-fragments/services.config:2");
	CHECK(set.notes.n == 2);
	CHECK_STR(set.notes.v[0], "SWAP: kconfig-fragments/vm.config:2 overrides "
				  "kconfig-fragments/base.config:5 (n -> y)");
	CHECK_STR(set.notes.v[1], "EPOLL: kconfig-fragments/apps/demo.config:4 overrides demo: "
				  "epoll_create1 (/usr/sbin/demo) (y -> n)");
	kconfig_set_free(&set);

	/* no app fragment: fine; the xen target shares the kvm one's fragment */
	CHECK(kconfig_collect(&ctx, FIX "/proj", "other", "xen", NULL, 0, 0, &set) == 0);
	CHECK_STR(why(&set, "VIRTIO_NET"), "kconfig-fragments/vm.config:3");
	CHECK(val(&set, "IPV6") == NULL);
	/* the service baseline is in every app's set, unless KCOLLECT_OWN */
	CHECK_STR(why(&set, "FHANDLE"), "kconfig-fragments/services.config:2");
	kconfig_set_free(&set);
	CHECK(kconfig_collect(&ctx, FIX "/proj", "other", "xen", NULL, 0, KCOLLECT_OWN, &set) == 0);
	CHECK(val(&set, "FHANDLE") == NULL);
	CHECK_STR(why(&set, "VIRTIO_NET"), "kconfig-fragments/vm.config:3");
	kconfig_set_free(&set);

	CHECK(kconfig_collect(&ctx, FIX "/proj", "demo", "hvm", NULL, 0, 0, &set) == -EINVAL);
	CHECK_STR(ctx.err, "kconfig: unknown target 'hvm' (expected kvm or xen)");
	kconfig_set_free(&set);
	CHECK(kconfig_collect(&ctx, FIX "/proj", "../demo", "kvm", NULL, 0, 0, &set) == -EINVAL);
	kconfig_set_free(&set);
	CHECK(kconfig_collect(&ctx, FIX "/nonexistent", "demo", "kvm", NULL, 0, 0, &set) ==
	      -ENOENT);
	CHECK(strstr(ctx.err, "cannot read '" FIX "/nonexistent/kconfig-fragments/base.config'"));
	kconfig_set_free(&set);
	{
		struct feature bad = {"EPOLL; rm", "x", "/bin/x"};

		CHECK(kconfig_collect(&ctx, FIX "/proj", "demo", "kvm", &bad, 1, 0, &set) ==
		      -EINVAL);
		CHECK_STR(ctx.err, "kconfig: invalid feature option 'EPOLL; rm' from '/bin/x'");
		kconfig_set_free(&set);
	}
}

/* Check one fragment text against the final.config fixture, with the
 * kexplain.out fixture as the helper's answer (NULL: no answer). */
static int check_frag(struct tx_ctx *ctx, const char *frag, const char *kexplain)
{
	struct kconfig_set set = {0};
	char *cfg = NULL, *kx = NULL;
	size_t len = 0, klen = 0;
	int err;

	if (load(FIX "/final.config", &cfg, &len) || (kexplain && load(kexplain, &kx, &klen)))
		return -999;
	err = parse_str(ctx, "f.config", frag, &set);
	if (!err)
		err = kconfig_check_explained(ctx, cfg, len, &set, kx);
	kconfig_set_free(&set);
	free(cfg);
	free(kx);
	return err;
}

static void test_check(void)
{
	struct tx_ctx ctx = {0};
	const char *kx = FIX "/kexplain.out";

	/* everything survived: y, n (absent and 'is not set'), numbers, hex, strings */
	CHECK(check_frag(&ctx,
			 "CONFIG_64BIT=y\nCONFIG_LOG_BUF_SHIFT=14\n# CONFIG_NET_CORE is not set\n"
			 "# CONFIG_SWAP is not set\nCONFIG_PHYS_START=0x1000000\n"
			 "CONFIG_CMDLINE=\"console=ttyS0 \\\"q\\\"\"\n",
			 kx) == 0);
	CHECK(check_frag(&ctx, "CONFIG_PHYS_START=16777216\n", kx) == 0);
	/* m asked, y given (no modules): fine */
	CHECK(check_frag(&ctx, "CONFIG_VIRTIO_BLK=m\n", kx) == 0);
	/* and nothing to check runs no helper */
	CHECK(kconfig_check(&ctx, "", 0, &(struct kconfig_set){0}, "/nonexistent", "/x") == 0);

	/* a typo: the option does not exist; the closest name the helper knows */
	{
		struct kconfig_set set = {0};
		char *text = NULL, *cfg = NULL, *out = NULL;
		size_t len = 0, clen = 0, olen = 0;

		CHECK(load(FIX "/typo.config", &text, &len) == 0);
		CHECK(load(FIX "/final.config", &cfg, &clen) == 0);
		CHECK(load(kx, &out, &olen) == 0);
		CHECK(kconfig_parse_fragment(&ctx, "kconfig-fragments/apps/typo.config", text, len,
					     &set) == 0);
		CHECK(kconfig_check_explained(&ctx, cfg, clen, &set, out) == -EINVAL);
		CHECK_STR(ctx.err, "kconfig: option 'VIRTIO_NETT' does not exist in this kernel "
				   "(requested at kconfig-fragments/apps/typo.config:3; "
				   "maybe you meant 'VIRTIO_NET')");
		/* without the helper the message still names file:line */
		CHECK(kconfig_check(&ctx, cfg, clen, &set, NULL, NULL) == -EINVAL);
		CHECK_STR(ctx.err, "kconfig: option 'VIRTIO_NETT' dropped by kconfig "
				   "(requested at kconfig-fragments/apps/typo.config:3)");
		kconfig_set_free(&set);
		free(text);
		free(cfg);
		free(out);
	}
	/* or the closest name in the .config */
	CHECK(check_frag(&ctx, "CONFIG_VIRTIO_BLKK=y\n", kx) == -EINVAL);
	CHECK_STR(ctx.err, "kconfig: option 'VIRTIO_BLKK' does not exist in this kernel "
			   "(requested at f.config:1; maybe you meant 'VIRTIO_BLK')");
	/* dropped: an enclosing 'if INET' block, which the parser folds in */
	CHECK(check_frag(&ctx, "CONFIG_NET=y\nCONFIG_IPV6=y\n", kx) == -EINVAL);
	CHECK_STR(ctx.err, "kconfig: option 'IPV6' dropped by kconfig (requested at "
			   "f.config:2; depends on NET && INET; unmet: INET)");
	/* an unmet term that is an expression, not one symbol */
	CHECK(check_frag(&ctx, "CONFIG_VIRTIO_NET=y\n", kx) == -EINVAL);
	CHECK_STR(ctx.err, "kconfig: option 'VIRTIO_NET' dropped by kconfig (requested at "
			   "f.config:1; depends on NETDEVICES && NET_CORE && (VIRTIO || "
			   "COMPILE_TEST); unmet: NET_CORE, VIRTIO || COMPILE_TEST)");
	/* no prompt: what selects it, the first few */
	CHECK(check_frag(&ctx, "CONFIG_NO_PROMPT=y\n", kx) == -EINVAL);
	CHECK_STR(ctx.err, "kconfig: option 'NO_PROMPT' dropped by kconfig (requested at "
			   "f.config:1; it has no prompt: only 'select' or its default can set "
			   "it; selected by: A, B && C, D (and 1 more))");
	/* the helper said nothing about the option: no explanation */
	CHECK(check_frag(&ctx, "CONFIG_OTHER=y\n", kx) == -EINVAL);
	CHECK_STR(ctx.err, "kconfig: option 'OTHER' dropped by kconfig (requested at "
			   "f.config:1)");
	/* asked off, but on: what selects it */
	CHECK(check_frag(&ctx, "# CONFIG_SELECTED is not set\n", kx) == -EINVAL);
	CHECK_STR(ctx.err, "kconfig: option 'SELECTED' is 'y', not 'n' (requested at f.config:1; "
			   "selected by: EFI_PARTITION && BLOCK)");
	CHECK(check_frag(&ctx, "# CONFIG_SELECTED is not set\n", NULL) == -EINVAL);
	CHECK_STR(ctx.err, "kconfig: option 'SELECTED' is 'y', not 'n' (requested at f.config:1; "
			   "something selects it)");
	/* a different value */
	CHECK(check_frag(&ctx, "CONFIG_LOG_BUF_SHIFT=17\n", kx) == -EINVAL);
	CHECK_STR(ctx.err, "kconfig: option 'LOG_BUF_SHIFT' is '14', not '17' (requested at "
			   "f.config:1)");
	/* several failures: the first is the message, the count follows */
	CHECK(check_frag(&ctx, "CONFIG_SWAP=y\nCONFIG_XEN=y\nCONFIG_NET=y\nCONFIG_FOO=y\n", kx) ==
	      -EINVAL);
	CHECK_STR(ctx.err, "kconfig: option 'SWAP' dropped by kconfig (requested at "
			   "f.config:1; depends on MMU && BLOCK && !ARCH_NO_SWAP; unmet: BLOCK) "
			   "(and 2 more)");
}

static void test_reports(void)
{
	struct tx_ctx ctx = {0};
	struct kconfig_set set = {0};
	struct sbuf out = {0};
	char *cfg = NULL;
	size_t len = 0;

	CHECK(parse_str(&ctx, "base.config", "CONFIG_NET=y\n# CONFIG_SWAP is not set\n", &set) ==
	      0);
	CHECK(parse_str(&ctx, "kvm.config", "CONFIG_NET=n\n", &set) == 0);
	kconfig_report_text(&set, &out);
	CHECK(strstr(out.s, "# CONFIG_NET is not set") != NULL);
	CHECK(strstr(out.s, "# kvm.config:1\n") != NULL);
	CHECK(strstr(out.s, "note: NET: kvm.config:1 overrides base.config:1 (y -> n)\n") != NULL);
	sbuf_free(&out);

	kconfig_report_json(&set, NULL, &out);
	CHECK_STR(out.s, "{\"options\":{\"NET\":\"n\",\"SWAP\":\"n\"},"
			 "\"reasons\":{\"NET\":\"kvm.config:1\",\"SWAP\":\"base.config:2\"},"
			 "\"notes\":[\"NET: kvm.config:1 overrides base.config:1 (y -> n)\"]}\n");
	sbuf_free(&out);

	CHECK(load(FIX "/final.config", &cfg, &len) == 0);
	kconfig_report_json(&set, cfg, &out);
	CHECK_STR(out.s, "{\"options\":{\"64BIT\":\"y\",\"NET\":\"y\",\"LOG_BUF_SHIFT\":\"14\","
			 "\"PHYS_START\":\"0x1000000\",\"CMDLINE\":\"console=ttyS0 \\\"q\\\"\","
			 "\"VIRTIO_BLK\":\"y\",\"SELECTED\":\"y\"},"
			 "\"reasons\":{\"NET\":\"kvm.config:1\",\"SWAP\":\"base.config:2\"},"
			 "\"notes\":[\"NET: kvm.config:1 overrides base.config:1 (y -> n)\"]}\n");
	CHECK(strstr(out.s, "\"NET_CORE\"") == NULL); /* 'is not set' is not an option */
	sbuf_free(&out);
	free(cfg);

	/* the KCONFIG_ALLCONFIG text without a kernel tree: the requests only */
	CHECK(kconfig_allconfig_text(&ctx, NULL, &set, &out) == 0);
	CHECK_STR(out.s, "# tinyx requests\n# CONFIG_NET is not set\n# CONFIG_SWAP is not set\n");
	sbuf_free(&out);
	/* with a tree that lacks tinyconfig's fragments: an error naming the file */
	CHECK(kconfig_allconfig_text(&ctx, FIX "/proj", &set, &out) == -ENOENT);
	CHECK(strstr(ctx.err, "kernel/configs/tiny-base.config") != NULL);
	sbuf_free(&out);
	kconfig_set_free(&set);
}

static void test_env(void)
{
	CHECK(kbuild_env_ignored("KCONFIG_CONFIG=/tmp/other"));
	CHECK(kbuild_env_ignored("KBUILD_OUTPUT=/tmp/o"));
	CHECK(kbuild_env_ignored("MAKEFLAGS= -j8 --jobserver-auth=3,4"));
	CHECK(kbuild_env_ignored("ARCH=arm64"));
	CHECK(kbuild_env_ignored("O=/x"));
	CHECK(kbuild_env_ignored("CCACHE_DEPEND=0"));
	CHECK(!kbuild_env_ignored("PATH=/usr/bin"));
	CHECK(!kbuild_env_ignored("OLDPWD=/"));
	CHECK(!kbuild_env_ignored("HOME=/root"));
}

/* "# tinyx: required" marks the rest of its paragraph; features are required;
 * KREQ_SOFT requests are not checked; the app's min fragment comes last. */
static void test_required(void)
{
	struct tx_ctx ctx = {0};
	struct kconfig_set set = {0}, copy;
	const char *frag = "# why A\n"
			   "# tinyx: required\n"
			   "CONFIG_A=y\n"
			   "# CONFIG_B is not set\n"
			   "CONFIG_C=y\n"
			   "# next paragraph\n"
			   "CONFIG_D=y\n"
			   "# tinyx: required\n"
			   "CONFIG_E=y\n"
			   "\n"
			   "CONFIG_F=y\n";

	CHECK(parse_str(&ctx, "f", frag, &set) == 0);
	CHECK(kconfig_set_find(&set, "A")->flags == KREQ_REQUIRED);
	CHECK(kconfig_set_find(&set, "B")->flags == KREQ_REQUIRED);
	CHECK(kconfig_set_find(&set, "C")->flags == KREQ_REQUIRED);
	CHECK(kconfig_set_find(&set, "D")->flags == 0);
	CHECK(kconfig_set_find(&set, "E")->flags == KREQ_REQUIRED);
	CHECK(kconfig_set_find(&set, "F")->flags == 0);
	/* a deep copy */
	kconfig_set_copy(&copy, &set);
	CHECK(copy.n == set.n && copy.r[0].option != set.r[0].option);
	CHECK_STR(copy.r[4].option, "E");
	CHECK(copy.r[4].flags == KREQ_REQUIRED);
	/* soft: D asked for but off in the config, and not an error */
	{
		const char *cfg = "CONFIG_A=y\nCONFIG_C=y\nCONFIG_E=y\nCONFIG_F=y\n";

		CHECK(kconfig_check(&ctx, cfg, strlen(cfg), &copy, NULL, NULL) == -EINVAL);
		((struct kconfig_req *)kconfig_set_find(&copy, "D"))->flags |= KREQ_SOFT;
		CHECK(kconfig_check(&ctx, cfg, strlen(cfg), &copy, NULL, NULL) == 0);
	}
	/* reading a .config: y, m, strings and numbers are on; n and absent are off */
	{
		const char *cfg = "CONFIG_A=y\nCONFIG_AB=m\n# CONFIG_B is not set\nCONFIG_S=\"x\"\n"
				  "CONFIG_N=12\nCONFIG_O=n\n";

		CHECK(kconfig_is_on(cfg, strlen(cfg), "A") &&
		      kconfig_is_on(cfg, strlen(cfg), "AB"));
		CHECK(kconfig_is_on(cfg, strlen(cfg), "S") && kconfig_is_on(cfg, strlen(cfg), "N"));
		CHECK(!kconfig_is_on(cfg, strlen(cfg), "B") &&
		      !kconfig_is_on(cfg, strlen(cfg), "O"));
		CHECK(!kconfig_is_on(cfg, strlen(cfg), "C") && !kconfig_is_on(cfg, 0, "A"));
	}
	kconfig_set_free(&copy);
	kconfig_set_free(&set);
	/* features are required; apps/APP.TARGET.min.config applies unless NO_MIN */
	{
		struct feature f[1] = {
		    {.option = (char *)"EPOLL", .symbol = (char *)"e", .binary = (char *)"/x"}};

		CHECK(kconfig_collect(&ctx, FIX "/proj", "demo", "kvm", f, 1, 0, &set) == 0);
		CHECK(kconfig_set_find(&set, "EPOLL")->flags & KREQ_REQUIRED);
		CHECK_STR(val(&set, "SWAP"), "n");
		CHECK_STR(why(&set, "SWAP"), "kconfig-fragments/apps/demo.kvm.min.config:2");
		kconfig_set_free(&set);
		CHECK(kconfig_collect(&ctx, FIX "/proj", "demo", "kvm", f, 1, KCOLLECT_NO_MIN,
				      &set) == 0);
		CHECK(strncmp(why(&set, "SWAP"), "kconfig-fragments/apps/demo.kvm.min", 35) != 0);
		kconfig_set_free(&set);
	}
}

/* The kbuild progress's estimate: obj/lib lines whose symbol is y, composite
 * objects by their parts, dirs walked once, a symbol that only starts like
 * one that is on stays off. */
static void test_estimate(void)
{
	const char *config =
	    "# CONFIG_X is not set\nCONFIG_FOO=y\nCONFIG_BAR=m\nCONFIG_FOOBARX=y\n";

	/* init: a, x (p q r), b, sub/ (d e f); net: m; sub/ again: not counted */
	CHECK(kernel_estimate_files(FIX "/ksrc", config) == 9);
	CHECK(kernel_estimate_files(FIX "/ksrc", "") == 5);
	CHECK(kernel_estimate_files(FIX "/no-such-dir", config) == 0);
}

int main(void)
{
	RUN(test_parse);
	RUN(test_required);
	RUN(test_parse_errors);
	RUN(test_merge_order);
	RUN(test_collect);
	RUN(test_check);
	RUN(test_reports);
	RUN(test_env);
	RUN(test_estimate);
	return t_done("test-kconfig");
}
