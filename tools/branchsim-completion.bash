# bash completion for branchsim; make install puts it in
# PREFIX/share/bash-completion/completions/branchsim, where bash-completion
# finds it (or: source tools/branchsim-completion.bash).
#
# What it offers comes from the binary being completed, at completion
# time, so it never goes stale: the commands from `branchsim --help`
# ("Commands:"), a command's options from `branchsim CMD --help` (option
# lines; an option followed by a value name takes a value), a value from
# its choices where the help gives them (--search grid|monotone), files
# for a FILE or OUT.h5 value, and for a command's argument the files its
# usage line names (SCENARIO.yaml: *.yaml, OUT.h5: *.h5), with folders.
# Needs nothing but bash (not the bash-completion package's helpers).

# _branchsim_help BIN [CMD]: the help text, cached per binary and command
# for the shell's life (the binary's help does not change under it).
declare -gA _branchsim_cache
_branchsim_help() {
    local key="$1|${2-}"
    if [[ -z ${_branchsim_cache[$key]+set} ]]; then
        _branchsim_cache[$key]=$("$1" ${2:+"$2"} --help 2>/dev/null)
    fi
    printf '%s\n' "${_branchsim_cache[$key]}"
}

# _branchsim_options TEXT: "NAME VALUE" per option of a command's help,
# VALUE the value's name ("-" for none), for -x and --long alike.
_branchsim_options() {
    local line tag word value
    local -a names
    while IFS= read -r line; do
        [[ $line =~ ^\ {1,10}(-[^ ].*)$ ]] || continue
        tag=${BASH_REMATCH[1]}
        tag=${tag%%  *} # the description starts two spaces on
        names=() value=-
        for word in $tag; do
            case $word in
            -*) names+=("${word%,}") ;;
            *) value=$word; break ;;
            esac
        done
        for word in "${names[@]}"; do
            printf '%s %s\n' "$word" "$value"
        done
    done <<<"$1"
}

# _branchsim_files PATTERN: COMPREPLY gets the files matching PATTERN
# (a glob such as *.yaml; * for any) that start with $cur, and folders.
_branchsim_files() {
    local f
    COMPREPLY=()
    while IFS= read -r f; do
        [[ -n $f ]] && COMPREPLY+=("$f")
    done < <(compgen -d -- "$cur"; compgen -f -X "!$1" -- "$cur" | while IFS= read -r f; do
        [[ -d $f ]] || printf '%s\n' "$f"
    done)
    compopt -o filenames 2>/dev/null # outside a completion (a test): no matter
}

_branchsim() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local bin=${COMP_WORDS[0]} cmd='' i help
    COMPREPLY=()
    bin=${bin/#\~/$HOME}
    if ! type -P -- "$bin" >/dev/null; then
        return 0
    fi
    # --opt=value: bash splits it at "=" (COMP_WORDBREAKS).
    if [[ $cur == = && $prev == -* ]]; then
        cur=
    elif [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
        prev=${COMP_WORDS[COMP_CWORD-2]}
    fi
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} != -* ]]; then
            cmd=${COMP_WORDS[i]}
            break
        fi
    done
    if [[ -z $cmd ]]; then
        local commands
        commands=$(_branchsim_help "$bin" | awk '/^Commands:$/ { on = 1; next } /^$/ { on = 0 }
                                                 on && /^  [a-z]/ { print $1 }')
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "--help --version" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
        fi
        return 0
    fi
    help=$(_branchsim_help "$bin" "$cmd")
    [[ -n $help ]] || return 0
    local options name value takes=
    options=$(_branchsim_options "$help")
    # The word before is an option that takes a value: complete the value.
    while read -r name value; do
        if [[ $name == "$prev" && $value != - ]]; then
            takes=$value
            break
        fi
    done <<<"$options"
    if [[ -n $takes ]]; then
        case $takes in
        *\|*) mapfile -t COMPREPLY < <(compgen -W "${takes//|/ }" -- "$cur") ;;
        FILE | *.h5) _branchsim_files '*.h5' ;;
        *.yaml) _branchsim_files '*.yaml' ;;
        esac
        return 0
    fi
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(cut -d' ' -f1 <<<"$options")" -- "$cur")
        return 0
    fi
    # The command's argument: the files its usage line names.
    local usage=${help%%$'\n'*}
    local arg
    read -r _ _ _ arg _ <<<"$usage"
    case $arg in
    *.*) _branchsim_files "*.${arg##*.}" ;;
    *) _branchsim_files '*' ;;
    esac
}
complete -F _branchsim branchsim
