#!/bin/sh
# Writes the man page branchsim.1 to stdout, made by help2man from the
# binary's own help: `BRANCHSIM --help` gives NAME's line, SYNOPSIS,
# DESCRIPTION and OPTIONS, and each command it lists (its "Commands:"
# paragraph) gets a subsection of COMMANDS from `BRANCHSIM CMD --help`, so
# a new command is in the page without an edit here. docs/branchsim.h2m
# gives NAME, EXIT STATUS, ENVIRONMENT, FILES, EXAMPLES and SEE ALSO.
# make install runs it. tools/help-to-roff.pl turns a command's help into roff
# (perl: help2man is perl too).
# Usage: tools/man-page.sh BRANCHSIM [PREFIX]   (PREFIX: where FILES says things are)
set -eu
case $# in 1 | 2) ;; *) echo "usage: tools/man-page.sh BRANCHSIM [PREFIX]" >&2; exit 2 ;; esac
bin=$1 prefix=${2:-/usr/local}
HELP2MAN=${HELP2MAN:-help2man}
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# help2man runs its program through the shell, unquoted: a link with a plain
# name stands for a BUILD path with spaces, and names the program.
case "$bin" in /*) ;; *) bin=$(pwd)/$bin ;; esac
ln -s "$bin" "$tmp/branchsim"

commands=$("$bin" --help | awk '/^Commands:$/ { on = 1; next } /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }')
[ -n "$commands" ] || { echo "tools/man-page.sh: $bin --help lists no commands" >&2; exit 1; }

{
    echo "[COMMANDS]"
    printf '%s\n' "Each command's usage and options, as \\fBbranchsim\\fR \\fICMD\\fR \\fB\\-\\-help\\fR prints them."
    for c in $commands; do
        printf '.SS "%s"\n' "$c"
        "$bin" "$c" --help | perl "$src/tools/help-to-roff.pl"
    done
} >"$tmp/commands.h2m"
# help2man orders the sections it does not know as they come: COMMANDS first.
prefix_text=$(printf '%s\n' "$prefix" | sed 's/[|&\\]/\\&/g')
sed "s|@PREFIX@|$prefix_text|g" "$src/docs/branchsim.h2m" >"$tmp/branchsim.h2m"

# The page's date: the source's last commit, so that a rebuild of the same
# source makes the same page (help2man reads SOURCE_DATE_EPOCH).
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -C "$src" log -1 --format=%ct 2>/dev/null || date +%s)
    export SOURCE_DATE_EPOCH
fi
# The footer says "branchsim 0.1.0": with the revision it would run into the date.
version=$("$bin" --version | awk 'NR == 1 { print $2 }')
"$HELP2MAN" --no-info --section=1 --source="branchsim $version" --include="$tmp/commands.h2m" --include="$tmp/branchsim.h2m" "$tmp/branchsim"
