// The template editor: CodeMirror 6 with YAML highlighting; a validation error from the server
// is marked on its line as a lint diagnostic (gutter marker, underline, tooltip).
import { yaml } from "@codemirror/lang-yaml";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import CodeMirror, { EditorView, type ReactCodeMirrorRef } from "@uiw/react-codemirror";
import { useEffect, useMemo, useRef } from "react";

export interface EditorMark {
  /** 1-based line. */
  line: number;
  message: string;
}

export interface TemplateCodeEditorProps {
  value: string;
  onChange(value: string): void;
  readOnly?: boolean;
  mark?: EditorMark | null;
}

/** The diagnostic for a mark, clamped to the document. */
export function markDiagnostics(doc: { lines: number; line(n: number): { from: number; to: number } }, mark: EditorMark | null | undefined): Diagnostic[] {
  if (!mark) return [];
  const number = Math.max(1, Math.min(mark.line, doc.lines));
  const line = doc.line(number);
  return [{ from: line.from, to: Math.max(line.to, line.from), severity: "error", message: mark.message, source: "server" }];
}

function showMark(view: EditorView, mark: EditorMark | null) {
  const diagnostics = markDiagnostics(view.state.doc, mark);
  view.dispatch(setDiagnostics(view.state, diagnostics));
  const first = diagnostics[0];
  if (first) view.dispatch({ effects: EditorView.scrollIntoView(first.from, { y: "center" }) });
}

export default function TemplateCodeEditor({ value, onChange, readOnly = false, mark = null }: TemplateCodeEditorProps) {
  const ref = useRef<ReactCodeMirrorRef>(null);
  const extensions = useMemo(() => [
      yaml(),
      lintGutter(),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": "Template YAML editor" }),
    ], []);

  const markRef = useRef(mark);
  markRef.current = mark;

  // Only when the mark changes (or the view is created): later edits move the diagnostic along
  // with the text.
  useEffect(() => {
    const view = ref.current?.view;
    if (view) showMark(view, mark);
  }, [mark]);

  return (
    <CodeMirror
      ref={ref}
      value={value}
      onChange={onChange}
      readOnly={readOnly}
      editable={!readOnly}
      extensions={extensions}
      onCreateEditor={(view) => showMark(view, markRef.current)}
      minHeight="360px"
      maxHeight="640px"
      // No auto-closed brackets: "{{" stays what was typed (and scripted typing stays exact).
      basicSetup={{ foldGutter: true, highlightActiveLine: !readOnly, autocompletion: false, closeBrackets: false }}
    />
  );
}
