import { useAuth } from "../auth/auth-context";
import { Skeleton } from "../components/States";
import { DangerZone } from "../features/users/components/DangerZone";
import { EmailForm, EmailStatus, MailPreferences } from "../features/users/components/EmailForm";
import { PasswordForm } from "../features/users/components/PasswordForm";
import { ProfileForm } from "../features/users/components/ProfileForm";
import { LocalePicker } from "../features/users/components/LocalePicker";
import { ThemePicker } from "../features/users/components/ThemePicker";

export default function SettingsPage() {
  const { user } = useAuth();
  return (
    <div className="max-w-2xl space-y-6">
      <h1 className="text-2xl font-semibold">Settings</h1>
      {!user ? (
        <Skeleton className="h-64" />
      ) : (
        <>
          <section aria-labelledby="profile-title" className="card space-y-4">
            <h2 id="profile-title" className="text-lg font-semibold">
              Profile
            </h2>
            <ProfileForm user={user} />
          </section>
          <section aria-labelledby="email-title" className="card space-y-4">
            <h2 id="email-title" className="text-lg font-semibold">
              Email
            </h2>
            <EmailStatus user={user} />
            <EmailForm user={user} />
            <MailPreferences user={user} />
          </section>
          <section aria-labelledby="look-title" className="card space-y-4">
            <h2 id="look-title" className="text-lg font-semibold">
              Appearance
            </h2>
            <ThemePicker user={user} />
            <LocalePicker user={user} />
          </section>
          <section aria-labelledby="password-title" className="card space-y-4">
            <h2 id="password-title" className="text-lg font-semibold">
              Password
            </h2>
            <PasswordForm />
          </section>
          <section aria-labelledby="account-title" className="card space-y-4">
            <h2 id="account-title" className="text-lg font-semibold">
              Account
            </h2>
            <DangerZone />
          </section>
        </>
      )}
    </div>
  );
}
