import { Link } from "react-router";

export default function NotFoundPage() {
  return (
    // Inside the app shell's <main>: one landmark per page.
    <div className="flex min-h-[60vh] flex-col items-center justify-center gap-3 px-4 text-center">
      <p className="text-5xl font-bold text-indigo-700 dark:text-indigo-300">404</p>
      <h1 className="text-xl font-semibold">This page does not exist</h1>
      <p className="text-slate-600 dark:text-slate-400">The link may be old, or mistyped.</p>
      <Link to="/" className="btn-primary">
        Go to the dashboard
      </Link>
    </div>
  );
}
