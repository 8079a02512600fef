import { lazy, Suspense, type ReactNode } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router";
import { useAuth } from "./auth/auth-context";
import { PageFallback } from "./components/States";

const LoginPage = lazy(() => import("./routes/LoginPage"));
const SignupPage = lazy(() => import("./routes/SignupPage"));
const ForgotPasswordPage = lazy(() => import("./routes/ForgotPasswordPage"));
const ResetPasswordPage = lazy(() => import("./routes/ResetPasswordPage"));
const VerifyEmailPage = lazy(() => import("./routes/VerifyEmailPage"));
const EndSessionPage = lazy(() => import("./routes/EndSessionPage"));
const AppShell = lazy(() => import("./routes/AppShell"));
const DashboardPage = lazy(() => import("./routes/DashboardPage"));
const TasksPage = lazy(() => import("./routes/TasksPage"));
const TaskPage = lazy(() => import("./routes/TaskPage"));
const TodayPage = lazy(() => import("./routes/TodayPage"));
const UpcomingPage = lazy(() => import("./routes/UpcomingPage"));
const BoardPage = lazy(() => import("./routes/BoardPage"));
const SettingsPage = lazy(() => import("./routes/SettingsPage"));
const TrashPage = lazy(() => import("./routes/TrashPage"));
const NotFoundPage = lazy(() => import("./routes/NotFoundPage"));

function RequireAuth({ children }: { children: ReactNode }) {
  const { status, signedOut } = useAuth();
  const location = useLocation();
  if (status === "loading") return <PageFallback />;
  if (status === "anonymous") {
    const next = location.pathname + location.search;
    const plain = signedOut || next === "/";
    return <Navigate to={plain ? "/login" : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

export function App() {
  return (
    <Suspense fallback={<PageFallback />}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="/signup" element={<SignupPage />} />
        <Route path="/forgot-password" element={<ForgotPasswordPage />} />
        <Route path="/reset-password" element={<ResetPasswordPage />} />
        <Route path="/verify-email" element={<VerifyEmailPage />} />
        <Route path="/end-session" element={<EndSessionPage />} />
        <Route
          element={
            <RequireAuth>
              <AppShell />
            </RequireAuth>
          }
        >
          <Route index element={<DashboardPage />} />
          <Route path="today" element={<TodayPage />} />
          <Route path="upcoming" element={<UpcomingPage />} />
          <Route path="tasks" element={<TasksPage />} />
          <Route path="tasks/:id" element={<TaskPage />} />
          <Route path="board" element={<BoardPage />} />
          <Route path="trash" element={<TrashPage />} />
          <Route path="settings" element={<SettingsPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </Suspense>
  );
}
