"use client";
import { diffWords } from "diff";

/** The output against the expected output, word by word: removed (expected only) struck, added underlined. */
export function WordDiff({ expected, output }: { expected: string; output: string }) {
  return (
    <span className="whitespace-pre-wrap break-words">
      {diffWords(expected, output).map((p, i) =>
        p.added ? (
          <ins key={i} className="bg-green-100 text-green-900 no-underline dark:bg-green-900/40 dark:text-green-200">{p.value}</ins>
        ) : p.removed ? (
          <del key={i} className="bg-red-100 text-red-900 dark:bg-red-900/40 dark:text-red-200">{p.value}</del>
        ) : (
          <span key={i}>{p.value}</span>
        ),
      )}
    </span>
  );
}
