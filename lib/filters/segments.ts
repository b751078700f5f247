import "server-only";

// Splits released (already masked) text into segments at code fences and
// thematic breaks, for the opt-in `event: segment` SSE events. A segment is
// complete when the line that ends it is complete, so splitting adds no
// holding back: the text itself is released unchanged and at once.

export type Segment = { index: number; kind: "text" | "code"; content: string };

const FENCE = /^\s{0,3}(`{3,}|~{3,})/;
const BREAK = /^\s{0,3}(?:-{3,}|\*{3,}|_{3,})\s*$/;

export class SegmentSplitter {
  private line = "";
  private current = "";
  private fence: string | null = null;
  private index = 0;

  push(text: string): Segment[] {
    const out: Segment[] = [];
    let from = 0;
    for (;;) {
      const nl = text.indexOf("\n", from);
      if (nl < 0) break;
      this.line += text.slice(from, nl + 1);
      from = nl + 1;
      this.completeLine(out);
    }
    this.line += text.slice(from);
    return out;
  }

  end(): Segment[] {
    const out: Segment[] = [];
    this.current += this.line;
    this.line = "";
    this.emit(out, this.fence ? "code" : "text");
    return out;
  }

  private completeLine(out: Segment[]) {
    const line = this.line;
    this.line = "";
    const fence = FENCE.exec(line)?.[1];
    if (this.fence) {
      this.current += line;
      if (fence && fence[0] === this.fence[0] && fence.length >= this.fence.length && line.trim() === fence) {
        this.fence = null;
        this.emit(out, "code");
      }
      return;
    }
    if (fence) {
      this.emit(out, "text");
      this.fence = fence;
      this.current = line;
      return;
    }
    this.current += line;
    if (BREAK.test(line)) this.emit(out, "text");
  }

  private emit(out: Segment[], kind: Segment["kind"]) {
    if (this.current.trim()) out.push({ index: this.index++, kind, content: this.current });
    this.current = "";
  }
}
