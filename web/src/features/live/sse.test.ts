import { describe, expect, it } from "vitest";
import { SseParser } from "./sse";

describe("SseParser", () => {
  it("parses events split across chunks and skips comments", () => {
    const parser = new SseParser();
    const text =
      ': keep-alive\n\nid: 1\nevent: task.updated\ndata: {"a":1}\n\n: keep-alive\n\nid: 2\r\nevent: task.deleted\r\ndata: x\r\ndata: y\r\n\r\n';
    const out = [];
    for (const ch of text) out.push(...parser.push(ch));
    expect(out).toEqual([
      { id: "1", event: "task.updated", data: '{"a":1}' },
      { id: "2", event: "task.deleted", data: "x\ny" },
    ]);
  });

  it("holds an event until its blank line, and defaults the event name", () => {
    const parser = new SseParser();
    expect(parser.push("data:no space\n")).toEqual([]);
    expect(parser.push("\n")).toEqual([{ id: undefined, event: "message", data: "no space" }]);
    expect(parser.push("event: x\n\n")).toEqual([]);
  });
});
