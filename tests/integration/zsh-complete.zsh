#!/bin/zsh -f
# zsh-complete.zsh FPATH-DIR PATH-DIR LINE: type LINE and a TAB into an
# interactive zsh (in a pseudo-terminal) whose completions come from FPATH-DIR
# and whose PATH starts with PATH-DIR; prints what the terminal showed, where
# the completed line is.
zmodload zsh/zpty || exit 2
zpty z zsh -f -i || exit 2
zpty -w z "PS1='%% '; fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -d ${(q)1}/.zcompdump; path=(${(q)2} \$path); print COMPINIT-READY"
zpty -r z line '*COMPINIT-READY*' || exit 3
out=
while zpty -r -t z chunk; do out+=$chunk; done
zpty -w -n z "$3"$'\t'
sleep 2
out=
while zpty -r -t z chunk; do out+=$chunk; done
zpty -w -n z $'\x15'
zpty -d z
print -r -- "$out"
