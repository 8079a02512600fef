// Reading what the API "sent": without SMTP it writes each message as an .eml file (RFC 5322)
// to the mail directory of the API started in global-setup.ts.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

function mailDir(): string {
  const dir = process.env.TASKLANE_E2E_MAIL_DIR;
  if (!dir) throw new Error("no mail directory: run through playwright.config.ts");
  return dir;
}

function decodeQuotedPrintable(text: string): string {
  const joined = text.replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i += 1) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(joined[i] ?? "", "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

/** The decoded text/plain part of a raw message (single part or multipart). */
export function plainText(raw: string): string {
  const parts = raw.split(/\r?\n--[^\r\n]+\r?\n/);
  for (const part of parts) {
    const split = part.search(/\r?\n\r?\n/);
    if (split < 0) continue;
    const headers = part.slice(0, split);
    const body = part.slice(split).replace(/^\r?\n\r?\n/, "");
    if (!/^content-type:\s*text\/plain/im.test(headers)) continue;
    const encoding = /^content-transfer-encoding:\s*(\S+)/im.exec(headers)?.[1]?.toLowerCase();
    if (encoding === "quoted-printable") return decodeQuotedPrintable(body);
    if (encoding === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
    return body;
  }
  throw new Error("no text/plain part");
}

function textOf(raw: string): string {
  try {
    return plainText(raw);
  } catch {
    return "";
  }
}

/**
 * The newest message to `to` (whose text matches `about`, when given: an account gets other
 * mail too, such as the verification sent at sign-up), waiting for the worker to write it (up
 * to `timeout` ms). Only files newer than `since` (a Date.now() taken before the action that
 * sends it) count.
 */
export async function waitForMail(to: string, since: number, timeout = 10_000, about?: RegExp): Promise<string> {
  const dir = mailDir();
  const deadline = Date.now() + timeout;
  for (;;) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith(".eml"));
    } catch {
      // not created until the first message
    }
    const found = names
      .map((name) => ({ path: join(dir, name), mtime: statSync(join(dir, name)).mtimeMs }))
      .filter((f) => f.mtime >= since - 1000)
      .sort((a, b) => b.mtime - a.mtime)
      .map((f) => readFileSync(f.path, "utf8"))
      .find(
        (raw) =>
          new RegExp(`^To:.*${to.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "im").test(raw) &&
          (about === undefined || about.test(textOf(raw))),
      );
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no mail to ${to} in ${dir} within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The password-reset link in a message's plain text. */
export function resetLink(raw: string): URL {
  const match = /https?:\/\/\S+\/reset-password#token=[\w-]+/.exec(plainText(raw));
  if (!match) throw new Error(`no reset link in:\n${plainText(raw)}`);
  return new URL(match[0]);
}

/** The link of a message that verifies an address or confirms an email change. */
export function verifyLink(raw: string): URL {
  const match = /https?:\/\/\S+\/verify-email#token=[\w-]+/.exec(plainText(raw));
  if (!match) throw new Error(`no verification link in:\n${plainText(raw)}`);
  return new URL(match[0]);
}
