# bash completion for distkernel(8)
# Kernel versions and package names come from the distkernel being completed
# ("distkernel [--root DIR] complete kernels|packages"), for the root named on
# the command line.

_distkernel_words() {
        local dk=$1 what=$2
        shift 2
        command "$dk" "$@" complete "$what" 2>/dev/null
}

_distkernel() {
        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
        local dk=${COMP_WORDS[0]} cmd="" sub="" i w nargs=0
        local -a root=() args=()
        local commands="status sync plan kernel module initramfs uki gc verify graph doctor"
        local global="--root --jobs -j --json --no-wait --verbose -v --quiet -q --help --version"

        COMPREPLY=()
        for ((i = 1; i < COMP_CWORD; i++)); do
                w=${COMP_WORDS[i]}
                case $w in
                --root)
                        # "--root=DIR" arrives as three words when '=' breaks words
                        if [[ ${COMP_WORDS[i + 1]} == = ]]; then
                                root=(--root "${COMP_WORDS[i + 2]}")
                                ((i += 2))
                        else
                                root=(--root "${COMP_WORDS[i + 1]}")
                                ((i++))
                        fi
                        ;;
                --root=*) root=(--root "${w#--root=}") ;;
                -j | --jobs | --kernel | --svg | --config | --localversion) ((i++)) ;;
                -*) ;;
                *)
                        if [[ -z $cmd ]]; then
                                cmd=$w
                        elif [[ -z $sub && ($cmd == kernel || $cmd == module) ]]; then
                                sub=$w
                        else
                                args+=("$w")
                        fi
                        ;;
                esac
        done
        nargs=${#args[@]}
        # the value of an option
        [[ $prev == = && ${COMP_WORDS[COMP_CWORD - 2]} == --* ]] && prev=${COMP_WORDS[COMP_CWORD - 2]}
        case $prev in
        --root | --config)
                mapfile -t COMPREPLY < <(compgen -d -- "$cur")
                return 0
                ;;
        --svg)
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                return 0
                ;;
        -j | --jobs | --localversion) return 0 ;;
        --kernel)
                mapfile -t COMPREPLY < <(compgen -W "$(_distkernel_words "$dk" kernels "${root[@]}")" -- "$cur")
                return 0
                ;;
        esac
        if [[ -z $cmd ]]; then
                if [[ $cur == -* ]]; then
                        mapfile -t COMPREPLY < <(compgen -W "$global" -- "$cur")
                else
                        mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
                fi
                return 0
        fi
        local words="" opts="--json"
        case $cmd in
        sync) opts+=" --kernel --rebuild --force --dry-run --no-wait" ;;
        plan) opts+=" --kernel --rebuild" ;;
        gc) opts+=" --dry-run" ;;
        graph)
                opts+=" --svg"
                ((nargs == 0)) && words=$(_distkernel_words "$dk" kernels "${root[@]}")
                ;;
        initramfs | uki)
                ((nargs == 0)) && words=$(_distkernel_words "$dk" kernels "${root[@]}")
                ;;
        kernel)
                if [[ -z $sub ]]; then
                        words="list add remove pin unpin build"
                else
                        case $sub in
                        add | remove | pin | unpin)
                                ((nargs == 0)) && words=$(_distkernel_words "$dk" kernels "${root[@]}")
                                ;;
                        build)
                                opts+=" --config --strict-config --localversion"
                                [[ $cur == -* ]] || mapfile -t COMPREPLY < <(compgen -d -- "$cur")
                                ;;
                        esac
                fi
                ;;
        module)
                if [[ -z $sub ]]; then
                        words="list add remove log scan"
                else
                        case $sub in
                        add) [[ $cur == -* ]] || mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
                        remove)
                                ((nargs == 0)) && words=$(_distkernel_words "$dk" packages "${root[@]}")
                                ;;
                        log)
                                if ((nargs == 0)); then
                                        words=$(_distkernel_words "$dk" packages "${root[@]}" | grep -v /)
                                elif ((nargs == 1)); then
                                        words=$(_distkernel_words "$dk" kernels "${root[@]}")
                                fi
                                ;;
                        esac
                fi
                ;;
        esac
        if [[ $cur == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
        elif [[ -n $words ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
        fi
        return 0
}
complete -F _distkernel distkernel
