#!/bin/sh
# make-gpg-fixtures.sh - generate real OpenPGP messages for the gate tests.
#
# Writes gpg-*.asc into this directory (checked in; rerun to regenerate):
#   gpg-pkesk.asc          encrypted to a public key: PKESK (old format) + SEIPD
#   gpg-skesk.asc          encrypted with a passphrase: SKESK + SEIPD
#   gpg-pkesk2.asc         encrypted to two keys: PKESK + PKESK + SEIPD
#   gpg-version.asc        like gpg-pkesk.asc with a "Version:" armor header
#   gpg-comment.asc        like gpg-pkesk.asc with a "Comment:" armor header
#   gpg-literal.asc        an armored literal-data packet (gpg --store): not encrypted
#   gpg-compressed.asc     a compressed packet holding literal data: not encrypted
#   gpg-partial.asc        PKESK + SEIPD whose body uses partial lengths
#   gpg-signed.asc         an armored signed message (gpg --sign): not encrypted
# Needs gnupg (Debian package gnupg, listed in scripts/install-deps).
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
GNUPGHOME=$(mktemp -d)
export GNUPGHOME
trap 'gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$GNUPGHOME"' EXIT
gpg() { command gpg --batch --quiet --no-tty --pinentry-mode loopback --passphrase '' "$@"; }
gpg --quick-gen-key alice@example.org ed25519 default never
gpg --quick-add-key "$(gpg --list-keys --with-colons alice@example.org | awk -F: '/^fpr/{print $10; exit}')" cv25519 encr never
gpg --quick-gen-key bob@example.org ed25519 default never
gpg --quick-add-key "$(gpg --list-keys --with-colons bob@example.org | awk -F: '/^fpr/{print $10; exit}')" cv25519 encr never
msg='Content-Type: text/plain; charset=utf-8

Hello from the gate fixture generator.
'
enc() { printf '%s' "$msg" | gpg --trust-model always --armor "$@"; }
enc --encrypt -r alice@example.org >"$dir/gpg-pkesk.asc"
enc --encrypt -r alice@example.org -r bob@example.org >"$dir/gpg-pkesk2.asc"
printf '%s' "$msg" | command gpg --batch --quiet --no-tty --pinentry-mode loopback \
	--passphrase secret --armor --symmetric >"$dir/gpg-skesk.asc"
enc --emit-version --encrypt -r alice@example.org >"$dir/gpg-version.asc"
enc --comment 'made by chatrelay tests' --encrypt -r alice@example.org >"$dir/gpg-comment.asc"
enc --store --compress-algo none >"$dir/gpg-literal.asc"
enc --store >"$dir/gpg-compressed.asc"
# from a pipe, gpg frames the SEIPD body with partial lengths
head -c 3000 /dev/zero | gpg --trust-model always --armor --compress-algo none \
	--encrypt -r alice@example.org >"$dir/gpg-partial.asc"
enc --sign -u alice@example.org >"$dir/gpg-signed.asc"
echo "make-gpg-fixtures: wrote $(ls "$dir"/gpg-*.asc | wc -l) files"
