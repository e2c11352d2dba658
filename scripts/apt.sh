# Sourced by the test-deps scripts: apt-get that waits for the package
# lock instead of failing at once. A fresh cloud VM runs unattended-upgrades
# at boot, which holds the dpkg lock (install) or the lists lock (update) for
# minutes; dpkg's own lock timeout covers the first, a retry loop the second.

apt_get() {
	local sudo="" tries=0 out
	[ "$(id -u)" = 0 ] || sudo=sudo
	while :; do
		if out=$($sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@" 2>&1); then
			return 0
		fi
		if ! grep -qiE 'could not get lock|unable to lock|is another process using it' <<<"$out" || [ $tries -ge 60 ]; then
			echo "$out" >&2
			return 1
		fi
		[ $tries = 0 ] && echo "apt: another package manager holds the lock (unattended-upgrades?); waiting up to 10 minutes" >&2
		tries=$((tries + 1))
		sleep 10
	done
}
