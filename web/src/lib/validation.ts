// Mirrors the server's rules so most mistakes are caught before a round trip.
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const NAME_MAX = 100;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type Errors<K extends string> = Partial<Record<K, string>>;

export function validateEmail(email: string): string | undefined {
  if (!email.trim()) return "Enter your email address.";
  if (email.length > 320 || !EMAIL.test(email.trim())) return "Enter a valid email address.";
  return undefined;
}

export function validateNewPassword(password: string): string | undefined {
  if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (password.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  return undefined;
}

/** The second entry of a new password. */
export function validateConfirmation(password: string, confirmation: string): string | undefined {
  if (!confirmation) return "Enter the new password again.";
  if (confirmation !== password) return "The two passwords are not the same.";
  return undefined;
}

export function validateName(name: string): string | undefined {
  if (!name.trim()) return "Enter your name.";
  if (name.trim().length > NAME_MAX) return `Use at most ${NAME_MAX} characters.`;
  return undefined;
}

/** Only same-site paths are followed after logging in. */
export function safeNext(next: string | null): string {
  return next?.startsWith("/") && !next.startsWith("//") ? next : "/";
}

/** Comma-separated tags, lower case, each without a leading "#" ("#Home" is "home"). */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(",").map((t) => t.trim().replace(/^#+/, "").trim().toLowerCase()).filter(Boolean))];
}

export function compact<K extends string>(errors: Errors<K>): Errors<K> {
  return Object.fromEntries(Object.entries(errors).filter(([, v]) => v)) as Errors<K>;
}
