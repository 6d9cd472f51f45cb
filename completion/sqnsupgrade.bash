# bash completion for sqnsupgrade                                  -*- shell-script -*-
# `make install` puts it in PREFIX/share/bash-completion/completions/sqnsupgrade, where
# bash-completion loads it (PREFIX in $XDG_DATA_DIRS, or ~/.local); or source it.

_sqnsupgrade_ports()
{
    # The serial ports the tool itself finds (list-ports), then serial servers.
    local sysfs=() i
    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        [[ ${COMP_WORDS[i]} == --sysfs-root ]] && sysfs=(--sysfs-root "${COMP_WORDS[i + 1]}")
    done
    "${COMP_WORDS[0]}" "${sysfs[@]}" list-ports 2>/dev/null | cut -f1
    printf '%s\n' socket://
}

_sqnsupgrade_files()
{
    # Directories, and the files with one of the given extensions (extglob pattern).
    local cur=$1 pattern=$2 IFS=$'\n'
    compgen -d -S / -- "$cur"
    shopt -q extglob && local had=1
    shopt -s extglob
    compgen -f -X "!*.$pattern" -- "$cur"
    [[ -n ${had-} ]] || shopt -u extglob
}

_sqnsupgrade_options()
{
    # The options as the tool's own help lists them (the one place they are declared):
    # "NAME" or "NAME VALUE" a line; without an argument the options every command
    # takes, with a command that command's own.
    "${COMP_WORDS[0]}" ${1:+"$1"} --help 2>/dev/null | awk -v cmd="${1-}" '
        cmd == "" && /^Options:/ { on = 1; next }
        cmd != "" && /^Usage:/ { on = 1; next }
        /^$/ { on = 0 }
        on && (/^  -/ || /^      -/) {
            label = $0 # up to the two spaces before the description
            sub(/^ +/, "", label)
            sub(/  .*/, "", label)
            n = split(label, w, /,? /)
            arg = (w[n] ~ /^-/) ? "" : " " w[n]
            for (i = 1; i <= n && w[i] ~ /^-/; i++)
                print w[i] arg
        }'
}

_sqnsupgrade()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local commands="run info version state imei list-ports bridge uart"
    local IFS=$' \t\n' line
    local -a global=() valued=(--sysfs-root) # --sysfs-root: a test hook, in no help
    while read -r line; do
        global+=("${line%% *}")
        [[ $line == *" "* ]] && valued+=("${line%% *}")
    done < <(_sqnsupgrade_options)
    COMPREPLY=()

    case $prev in
    -p | --port | --host)
        mapfile -t COMPREPLY < <(compgen -W "$(_sqnsupgrade_ports)" -- "$cur")
        compopt -o nospace 2>/dev/null
        return
        ;;
    -b | --baud | --baud-a | --baud-b)
        mapfile -t COMPREPLY < <(compgen -W "115200 230400 460800 921600 1000000 2000000 3000000" -- "$cur")
        return
        ;;
    --bootrom | --log | --sysfs-root | --updater) # --bootrom: the raw image, sqnsbr.py or sqnsbrz.py
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return
        ;;
    --board-updater) # a path on the board's flash, not here
        mapfile -t COMPREPLY < <(compgen -W "/flash/updater.elf" -- "$cur")
        return
        ;;
    --*-timeout)
        return
        ;;
    esac

    # The command: the first word that is neither an option nor an option's value.
    local i j command= word
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ $word != -* ]]; then
            command=$word
            break
        fi
        for j in "${valued[@]}"; do
            if [[ $word == "$j" ]]; then
                ((i += 1))
                break
            fi
        done
    done

    if [[ -z $command ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "${global[*]}" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
        fi
        return
    fi

    if [[ $cur == -* ]]; then
        local -a own=()
        while read -r line; do
            own+=("${line%% *}")
        done < <(_sqnsupgrade_options "$command")
        mapfile -t COMPREPLY < <(compgen -W "${own[*]} ${global[*]}" -- "$cur")
        return
    fi
    case $command in
    run)
        # Firmware images, updater.elf, and a release: its archive (.zip) or folder.
        mapfile -t COMPREPLY < <(_sqnsupgrade_files "$cur" '@(dup|elf|zip|ZIP)')
        compopt -o filenames -o nospace 2>/dev/null
        ;;
    bridge)
        mapfile -t COMPREPLY < <(compgen -W "$(_sqnsupgrade_ports)" -- "$cur")
        compopt -o nospace 2>/dev/null
        ;;
    esac
}

complete -F _sqnsupgrade sqnsupgrade
