# bash completion for cnisim.  Subcommands, options, --set keys and shipped
# scenario names come from the cnisim being completed (its --help, help keys,
# help costs and help scenarios), so they never fall behind the binary.

_cnisim_ask()
{
    "$_cnisim_bin" "$@" 2>/dev/null
}

# group.key= for every scenario key, and costs.NAME= for every calibration
# entry (the [costs] group takes any of them).
_cnisim_keys()
{
    _cnisim_ask help keys | awk '
        /^\[/ { group = /^\[[a-z_]+\]$/ ? substr($0, 2, length($0) - 2) : ""; next }
        group != "" && group != "costs" && /^  [a-z]/ { print group "." $1 "=" }'
    _cnisim_ask help costs | awk 'NR > 1 && NF == 0 { exit }
        NR > 1 && $1 ~ /^[a-z][a-z0-9_]*$/ { print "costs." $1 "=" }'
}

_cnisim_scenarios()
{
    _cnisim_ask help scenarios | awk 'NR > 1 && /^  [^ ]/ { print $1 }'
}

_cnisim()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local _cnisim_bin=${COMP_WORDS[0]}
    COMPREPLY=()
    # '=' breaks words by default: "--set=a.b" arrives as "--set" "=" "a.b".
    if [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    fi
    [[ $cur == = ]] && cur=

    if [[ $COMP_CWORD -eq 1 ]]; then
        local cmds
        cmds=$(_cnisim_ask --help | awk '$1 == "cnisim" && $2 ~ /^[a-z]+$/ { print $2 }' | sort -u)
        COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
        return
    fi
    local cmd=${COMP_WORDS[1]}

    case $prev in
    --set)
        local IFS=$'\n'
        COMPREPLY=($(compgen -W "$(_cnisim_keys)" -- "$cur"))
        [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
        return
        ;;
    -o | --output)
        COMPREPLY=($(compgen -d -- "$cur"))
        return
        ;;
    -j | --threads | --shard)
        return
        ;;
    esac

    if [[ $cur == -* ]]; then
        local opts
        # GOption's help: "  -o, --output=DIR   Output directory".
        opts=$(_cnisim_ask "$cmd" --help | awk '/^ +-/ {
            for (i = 1; i <= NF && $i ~ /^-/; i++) { sub(/[,=].*/, "", $i); print $i } }')
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi

    case $cmd in
    run | plan | validate)
        local IFS=$'\n'
        COMPREPLY=($(compgen -W "$(_cnisim_scenarios)" -- "$cur")
            $(compgen -f -X '!*.ini' -- "$cur") $(compgen -d -S / -- "$cur"))
        [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == */ ]] && compopt -o nospace 2>/dev/null
        ;;
    merge | report)
        COMPREPLY=($(compgen -d -- "$cur"))
        ;;
    help)
        [[ $COMP_CWORD -eq 2 ]] && COMPREPLY=($(compgen -W "costs keys scenarios system-pods" -- "$cur"))
        ;;
    esac
}
complete -F _cnisim cnisim
