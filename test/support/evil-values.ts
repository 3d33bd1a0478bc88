// Values a chat user could type as a git ref or a name, built to break out of shell quoting.
// Each one that ran as code would touch or delete something under `canaryDir`; tests check
// the canaries afterwards, so "inert" is observed, not assumed. Nothing here can harm the
// machine if quoting were broken: every command aims at the canary directory only.

export function evilValues(canaryDir: string): string[] {
  const touched = `${canaryDir}/touched`;
  return [
    `'; rm -rf ${canaryDir} #`,
    `$(touch ${touched})`,
    `\`touch ${touched}\``,
    `"; touch ${touched}; echo "`,
    `'\\''; touch ${touched}; '`,
    `x' && touch ${touched} && echo 'y`,
    `line one\nline two\n; touch ${touched}\n`,
    '\n',
    'trailing newline\n',
    'carriage\rreturn\ttab',
    'héllo wörld — 日本語 🚀',
    '',
    "'",
    "''",
    '\\',
    '\\\\\'',
    '$HOME ${PATH} $((1+1)) $$ $0 $1 $@ $*',
    '* ? [a-z] ~ ~root',
    '!! !-1 ^foo^bar',
    '-n',
    '--help',
    '%s %d %%',
    'a;b|c&d>e<f(g)h{i}j',
    `\u0001\u001b[31mred\u001b[0m\u007f`,
    'x'.repeat(5_000),
  ];
}

