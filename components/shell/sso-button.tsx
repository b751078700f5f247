import { ssoSignInAction } from "@/app/(auth)/login/actions";
import { Button } from "@/components/ui/button";

/** A plain form posting the server action: the redirect to the identity provider needs no client code. */
export function SsoButton({ displayName, callbackUrl, primary }: { displayName: string; callbackUrl: string; primary: boolean }) {
  return (
    <form action={ssoSignInAction} aria-label="Single sign-on">
      <input type="hidden" name="callbackUrl" value={callbackUrl} />
      <Button type="submit" variant={primary ? "primary" : "secondary"} className="w-full">
        {`Sign in with ${displayName}`}
      </Button>
    </form>
  );
}
