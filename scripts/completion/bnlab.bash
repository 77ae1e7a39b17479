# Bash completion for bnlab: subcommands, their options and config paths (README, "Shell
# integration"). Subcommands and options are read from `bnlab --help` and `bnlab COMMAND --help`
# when completing, so they never drift from the binary. Install:
#   mkdir -p ~/.local/share/bash-completion/completions
#   cp scripts/completion/bnlab.bash ~/.local/share/bash-completion/completions/bnlab
# or source it from ~/.bashrc.

_bnlab_subcommands() {
  "$1" --help 2>/dev/null | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1}'
}

_bnlab_options() {
  "$1" "$2" --help 2>/dev/null | grep -oE '^ +(-[a-zA-Z], ?)?--[a-z][a-z-]*' | grep -oE -- '--[a-z][a-z-]*'
}

_bnlab() {
  local bnlab=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} sub="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --color) ((i++)) ;;
      -*) ;;
      *) sub=${COMP_WORDS[i]}; break ;;
    esac
  done
  if [[ $prev == --color ]]; then
    mapfile -t COMPREPLY < <(compgen -W "auto always never" -- "$cur")
    return
  fi
  if [[ -z $sub ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_bnlab_subcommands "$bnlab") --help --version --color" -- "$cur")
    return
  fi
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_bnlab_options "$bnlab" "$sub") --help" -- "$cur")
    return
  fi
  case $prev in
    --out) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
    --set|--note|--tag|--jobs|--threads|--shard|--by|--metric|--between|--where|--batches|--run) return ;;
    --format) mapfile -t COMPREPLY < <(compgen -W "text csv" -- "$cur"); return ;;
  esac
  # Positional arguments: config files (*.json) and folders (results folders, or the way to a config).
  compopt -o filenames 2>/dev/null || true
  mapfile -t COMPREPLY < <(compgen -d -- "$cur"; compgen -f -X '!*.json' -- "$cur")
}

complete -F _bnlab bnlab
