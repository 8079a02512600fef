import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// Asset URLs inside JS and CSS are emitted relative to the file that references them, so the
// built app works unchanged from the API origin or from a CDN origin that index.html points at.
export default defineConfig({
  plugins: [react(), tailwindcss()],
  base: "/",
  build: {
    manifest: true,
    target: "es2022",
    sourcemap: false,
  },
  experimental: {
    renderBuiltUrl(_filename, { hostType }) {
      if (hostType === "js" || hostType === "css") {
        return { relative: true };
      }
      return undefined;
    },
  },
  server: {
    proxy: {
      "/api": { target: "http://127.0.0.1:8000", changeOrigin: false },
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    css: false,
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
