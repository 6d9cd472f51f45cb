# bash completion for sqnsupgrade                                  -*- shell-script -*-
# Install: copy to /usr/share/bash-completion/completions/sqnsupgrade, or source it.

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

_sqnsupgrade()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local commands="run info version state imei list-ports bridge uart"
    local global="-p --port -b --baud --rtscts -v --verbose -q --quiet --debug --pkgdebug --log
        --json --at-timeout --wake-timeout --boot-timeout --stp-timeout --stall-timeout
        --apply-timeout
        -h --help --version"
    local IFS=$' \t\n'
    COMPREPLY=()

    case $prev in
    -p | --port)
        mapfile -t COMPREPLY < <(compgen -W "$(_sqnsupgrade_ports)" -- "$cur")
        compopt -o nospace 2>/dev/null
        return
        ;;
    -b | --baud | --baud-a | --baud-b)
        mapfile -t COMPREPLY < <(compgen -W "115200 230400 460800 921600 1000000 2000000 3000000" -- "$cur")
        return
        ;;
    --bootrom | --log | --sysfs-root) # --bootrom: the raw image, sqnsbr.py or sqnsbrz.py
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return
        ;;
    --*-timeout)
        return
        ;;
    esac

    # The command: the first word that is not an option or an option's value.
    local i command=
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        -p | --port | -b | --baud | --baud-a | --baud-b | --bootrom | --log | --sysfs-root | --*-timeout | --host | --updater)
            ((i++))
            ;;
        -*) ;;
        *)
            command=${COMP_WORDS[i]}
            break
            ;;
        esac
    done

    if [[ -z $command ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$global" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
        fi
        return
    fi

    case $command in
    run)
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "--fff --force-fff --resume --bootrom --force
                --dry-run --help $global" -- "$cur")
        else
            mapfile -t COMPREPLY < <(_sqnsupgrade_files "$cur" '@(dup|elf)')
            compopt -o filenames -o nospace 2>/dev/null
        fi
        ;;
    bridge)
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "--baud-a --baud-b --help $global" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$(_sqnsupgrade_ports)" -- "$cur")
            compopt -o nospace 2>/dev/null
        fi
        ;;
    uart)
        [[ $cur == -* ]] && mapfile -t COMPREPLY < <(compgen -W "--host --recovery --updater
            --bootrom --help $global" -- "$cur")
        ;;
    *)
        [[ $cur == -* ]] && mapfile -t COMPREPLY < <(compgen -W "--help $global" -- "$cur")
        ;;
    esac
}

complete -F _sqnsupgrade sqnsupgrade
