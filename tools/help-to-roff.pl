#!/usr/bin/perl
# A command's --help (stdin) as roff for a man page's subsection (stdout):
# the usage (filled), each option line a tagged paragraph
# (options bold, values italic), the rest text; options named in text bold.
# Headings ("Options:") and the "Exit status" line are left out: the page
# has its own. tools/man-page.sh runs it for every command.
use strict;
use warnings;

sub esc {    # a backslash is roff's escape; a line must not start a request
    my $t = shift;
    $t =~ s/\\/\\e/g;
    $t =~ s{^([.'\[/])}{\\&$1};    # nor, for help2man's --include, a [section] or /pattern/
    $t =~ s/(\d) %/$1\\ %/g;    # "95 %" stays on one line
    return $t;
}

sub dashes { (my $t = shift) =~ s/-/\\-/g; return $t }

sub whole {    # \% at its start: a word with an option in it is never hyphenated
    (my $t = shift) =~ s/(^|\s)(?=\S*\\-)/$1\\%/g;
    return $t;
}

sub opts {    # -x and --long in running text, bold
    my $t = shift;
    $t =~ s{(^|[ (\[|'])(--?[A-Za-z][\w-]*)}{$1\\fB@{[dashes($2)]}\\fR}g;
    return whole($t);
}

sub tag {     # "-o, --output FILE": the options bold, the value italic
    return whole join " ", map { /^(-[^,]*)(,?)$/ ? "\\fB" . dashes($1) . "\\fR$2" : "\\fI$_\\fR" } split / /, shift;
}

my ($usage, $col, $tagged) = (0, 0, 0);
while (<STDIN>) {
    chomp;
    if (/^Usage: (\S+ \S+) *(.*)/) {    # filled: the lines are wider than a terminal's page
        print ".PP\n.B $1\n", opts(esc($2)), "\n";
        $usage = 1;
        next;
    }
    if ($usage && s/^ {8,}//) {    # the usage line's continuation
        print opts(esc($_)), "\n";
        next;
    }
    print ".PP\n" if $usage;
    $usage = 0;
    next if /^Exit status:/ || /^[A-Z][a-z ]*:$/;
    if (/^$/) {
        print ".PP\n";
        $tagged = 0;
        next;
    }
    # An option and its text, two spaces apart; or, where the option fills
    # its column, one space at the column the options before used.
    my ($t, $d);
    if (/^ {1,10}(-\S.*?) {2,}(\S.*)$/) {
        ($t, $d, $col) = ($1, $2, $-[2]);
    } elsif (/^ {1,10}-/ && $col && length > $col && substr($_, $col - 1, 1) eq " ") {
        ($t, $d) = (substr($_, 0, $col - 1), substr($_, $col));
        $t =~ s/^ +| +$//g;
    }
    if (defined $t) {
        print ".TP\n", tag(esc($t)), "\n", opts(esc($d)), "\n";
        $tagged = 1;
        next;
    }
    if ($tagged && !/^ {20}/) {    # not the text of the option above
        print ".PP\n";
        $tagged = 0;
    }
    s/^ +//;
    print opts(esc($_)), "\n";
}
