#!/bin/sh
# The analyzer is not nginx-specific: two other daemons and a CLI program,
# staged for real, each with its binary, libraries, config and user.
. tests/lib.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
has() { jq -e --arg p "$2" '[.entries[] | select(.path | test($p))] | length > 0' "$1" >/dev/null; }
hasnot() { jq -e --arg p "$2" '[.entries[] | select(.path | test($p))] | length == 0' "$1" >/dev/null; }
user() { jq -e --arg u "$2" '[.entries[] | select(.type == "user" and .path == $u)] | length == 1' "$1" >/dev/null; }
clean() {
	for bad in '^/usr/share/doc' 'dpkg' '/apt' '/perl' '/bash$' '^/usr/share/man'; do
		check "$2: nothing matching $bad" hasnot "$1" "$bad"
	done
}
# redis-server: a daemon with a User= in its unit and a config file
if "$TINYX" closure redis-server --json >"$tmp/redis.json"; then
	ok "closure redis-server"
	check "redis: binary" has "$tmp/redis.json" '^/usr/bin/redis-(server|check-rdb)$'
	check "redis: config" has "$tmp/redis.json" '^/etc/redis/redis.conf$'
	check "redis: libc" has "$tmp/redis.json" '/libc\.so\.6$'
	check "redis: user redis (unit User=)" user "$tmp/redis.json" redis
	check "redis: EPOLL" jq -e '[.kernel_features[] | select(.option == "EPOLL")] | length > 0' "$tmp/redis.json"
	clean "$tmp/redis.json" redis
else
	nok "closure redis-server"
fi
# lighttpd: a daemon that dlopens its modules (ELF files of its own package)
if "$TINYX" closure lighttpd --json >"$tmp/l.json"; then
	ok "closure lighttpd"
	check "lighttpd: binary" has "$tmp/l.json" '^/usr/sbin/lighttpd$'
	check "lighttpd: a dlopen'd module" has "$tmp/l.json" '^/usr/lib/lighttpd/mod_.*\.so$'
	check "lighttpd: config" has "$tmp/l.json" '^/etc/lighttpd/lighttpd.conf$'
	check "lighttpd: user www-data (named in its config)" user "$tmp/l.json" www-data
	# its default config runs perl scripts (include_shell): perl is there
	# for them and for nothing else
	check "lighttpd: perl only as the interpreter of a script its config names" jq -e \
		'[.entries[] | select(.path == "/usr/bin/perl") | .reason | test("^interpreter-of=")] | all' "$tmp/l.json"
	check "lighttpd: perl is there for them" has "$tmp/l.json" '^/usr/bin/perl$'
	for bad in '^/usr/share/doc' 'dpkg' '/apt' '/bash$' '^/usr/share/man'; do
		check "lighttpd: nothing matching $bad" hasnot "$tmp/l.json" "$bad"
	done
else
	nok "closure lighttpd"
fi
# jq: a command-line program, no unit
if "$TINYX" closure jq --json >"$tmp/jq.json"; then
	ok "closure jq"
	check "jq: binary" has "$tmp/jq.json" '^/usr/bin/jq$'
	check "jq: libjq" has "$tmp/jq.json" '/libjq\.so\.1'
	check "jq: libonig" has "$tmp/jq.json" '/libonig\.so\.5'
	clean "$tmp/jq.json" jq
else
	nok "closure jq"
fi
done_tests
