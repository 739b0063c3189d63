// Where in the YAML a server validation message points: "step 'haiku': attribute '__mro__' is
// not allowed (line 1)" is line 1 of step haiku's prompt, so the editor line is found by
// locating that step and its `prompt:` key in the text.

export interface ErrorLocation {
  /** 1-based line in the editor. */
  line: number;
  stepId: string | null;
}

interface StepBlock {
  id: string | null;
  start: number; // 0-based index of the "- " line
  end: number; // exclusive
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** The items of the top-level `steps:` list, as line ranges. */
export function stepBlocks(lines: string[]): StepBlock[] {
  const stepsAt = lines.findIndex((line) => /^steps\s*:\s*(#.*)?$/.test(line));
  if (stepsAt < 0) return [];
  const blocks: StepBlock[] = [];
  let itemIndent: number | null = null;
  let index = stepsAt + 1;
  for (; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const indent = indentOf(line);
    if (indent === 0 && !line.startsWith("-")) break; // the next top-level key
    const isItem = /^\s*-(\s|$)/.test(line);
    if (isItem && (itemIndent === null || indent === itemIndent)) {
      itemIndent = indent;
      const previous = blocks[blocks.length - 1];
      if (previous) previous.end = index;
      blocks.push({ id: null, start: index, end: lines.length });
    }
  }
  const last = blocks[blocks.length - 1];
  if (last) last.end = Math.min(last.end, index);
  for (const block of blocks) {
    for (let i = block.start; i < block.end; i++) {
      const match = /^\s*(?:-\s+)?id\s*:\s*["']?([A-Za-z0-9_-]+)["']?\s*(#.*)?$/.exec(lines[i]!);
      if (match && (i === block.start || indentOf(lines[i]!) <= indentOf(lines[block.start]!) + 2)) {
        block.id = match[1]!;
        break;
      }
    }
  }
  return blocks;
}

/** The editor line a validation message refers to, or null when it names no place. */
export function locateError(message: string, yamlText: string): ErrorLocation | null {
  const lines = yamlText.split("\n");
  const stepMatch = /step '([^']+)'/.exec(message) ?? /step "([^"]+)"/.exec(message);
  const lineMatch = /\(line (\d+)\)/.exec(message) ?? /\bat line (\d+)/.exec(message);
  const indexMatch = /^steps\.(\d+)\b/.exec(message);
  const blocks = stepBlocks(lines);

  let block: StepBlock | undefined;
  if (stepMatch) block = blocks.find((candidate) => candidate.id === stepMatch[1]);
  else if (indexMatch) block = blocks[Number(indexMatch[1])];
  if (!block) return null;

  const stepId = block.id;
  if (!lineMatch) return { line: block.start + 1, stepId };
  const promptLine = Number(lineMatch[1]);
  for (let i = block.start; i < block.end; i++) {
    const match = /^(\s*(?:-\s+)?)prompt\s*:\s*(.*)$/.exec(lines[i]!);
    if (!match) continue;
    const rest = match[2]!.trim();
    // A block scalar (| or >, with optional chomping/indent indicators) starts on the next line;
    // an inline scalar's first line is this one.
    const block_scalar = /^[|>][+-]?\d*\s*(#.*)?$/.test(rest);
    const line = block_scalar ? i + 1 + promptLine : i + promptLine;
    return { line: Math.min(line, lines.length), stepId };
  }
  return { line: block.start + 1, stepId };
}
