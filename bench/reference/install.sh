#!/bin/sh
# bench/reference/install.sh - install Postfix, Dovecot (IMAP + LMTP) and openssl from
# Debian packages when missing, without letting the packages start their
# system services (the benchmark runs private instances, see setup.sh).
# Does not touch /etc/postfix or /etc/dovecot beyond what installing does.
set -eu

need=""
for pkg in postfix dovecot-imapd dovecot-lmtpd openssl; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
		need="$need $pkg"
done
[ -z "$need" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install.sh: need root to install:$need" >&2
	exit 1
fi
echo "installing:$need" >&2

# policy-rc.d exit 101 = "action forbidden": the maintainer scripts must not
# start the system-wide postfix/dovecot services. Only ours, only for this run.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=1
fi
cleanup() { [ "$own_policy" -eq 1 ] && rm -f "$policy"; }
trap cleanup EXIT

# "No configuration": the package writes no /etc/postfix/main.cf of its own.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends $need >/dev/null || {
	apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $need >/dev/null
}

# Belt and braces: if the package started a system instance anyway, stop it
# and keep it from starting at boot (this only flips the rc links).
if [ -e /var/spool/postfix/pid/master.pid ] && [ -x /etc/init.d/postfix ]; then
	/etc/init.d/postfix stop >/dev/null 2>&1 || true
fi
if [ -e /run/dovecot/master.pid ] && [ -x /etc/init.d/dovecot ]; then
	/etc/init.d/dovecot stop >/dev/null 2>&1 || true
fi
for svc in postfix dovecot; do
	command -v systemctl >/dev/null 2>&1 && systemctl disable --now "$svc" >/dev/null 2>&1
	update-rc.d "$svc" disable >/dev/null 2>&1 || true
done
exit 0
