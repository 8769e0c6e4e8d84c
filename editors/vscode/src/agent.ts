// "Start agent in terminal": which program `agentls.agentCommand` runs, to say it and
// check it is on PATH before typing it into a terminal. No `vscode` import.

/** The program of a shell command line (its first word, quotes removed); undefined when empty. */
export function agentProgram(command: string): string | undefined {
  const text = command.trim();
  if (!text) {
    return undefined;
  }
  const m = /^(?:"([^"]*)"|'([^']*)'|(\S+))/.exec(text);
  const word = m ? (m[1] ?? m[2] ?? m[3]) : undefined;
  // `VAR=value cmd`: the program is the first word that is not an assignment.
  if (word && /^[A-Za-z_][A-Za-z0-9_]*=/.test(word) && m) {
    return agentProgram(text.slice(m[0].length));
  }
  return word || undefined;
}

/** The button that starts the agent, naming the command: "Start claude in Terminal". */
export function agentButton(command: string): string {
  const program = agentProgram(command);
  return program ? `Start ${program.split('/').pop()} in Terminal` : 'Open Terminal There';
}
