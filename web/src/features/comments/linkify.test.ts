import { describe, expect, it } from "vitest";
import { linkify } from "./linkify";

describe("linkify", () => {
  it("keeps plain text as it is", () => {
    expect(linkify("Call Ana <b>today</b>")).toEqual([{ kind: "text", text: "Call Ana <b>today</b>" }]);
  });

  it("makes http, https and www addresses links, without the sentence's punctuation", () => {
    expect(linkify("See https://example.com/a?b=1. Or www.example.org, then http://x.test/!")).toEqual([
      { kind: "text", text: "See " },
      { kind: "link", text: "https://example.com/a?b=1", href: "https://example.com/a?b=1" },
      { kind: "text", text: ". Or " },
      { kind: "link", text: "www.example.org", href: "https://www.example.org/" },
      { kind: "text", text: ", then " },
      { kind: "link", text: "http://x.test/", href: "http://x.test/" },
      { kind: "text", text: "!" },
    ]);
  });

  it("keeps a parenthesis the address opened", () => {
    const parts = linkify("(https://en.wikipedia.org/wiki/Foo_(bar))");
    expect(parts[1]).toEqual({ kind: "link", text: "https://en.wikipedia.org/wiki/Foo_(bar)", href: "https://en.wikipedia.org/wiki/Foo_(bar)" });
    expect(parts[2]).toEqual({ kind: "text", text: ")" });
  });

  it("never links another scheme", () => {
    for (const text of ["javascript:alert(1)", "data:text/html,<script>x</script>", "mailto:a@b.c"]) {
      expect(linkify(text)).toEqual([{ kind: "text", text }]);
    }
  });
});
