// Failures of the sign-in and directory calls as sentences: the provider core's ARM and Entra ID
// mapping (errors.ts), so the dialogs and the jobs say the same thing about the same refusal. `action`
// is the RBAC action of the call, which a missing role assignment then names.

import { ProviderFailure } from '../provider-failure';
import { mapArmError } from './errors';

export function directoryFailure(err: unknown, action: string): ProviderFailure {
  if (err instanceof ProviderFailure) return err;
  return mapArmError(err, action);
}
