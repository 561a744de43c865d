// The create / edit policy flow: a five-step form whose state and async actions live here, so the
// dialog only renders. Client checks catch the obvious; the server's ValidationFailed details are
// mapped back to the fields (and the step) they belong to.

import { create } from 'zustand';
import type { DiscoveredResource, PolicyDetails, PolicyInput, ProtectedResourceInput } from '../../../shared/domain';
import type { DrErrorData } from '../../../shared/errors';
import { call, toErrorData, ApiError } from '../../api';
import { SCHEDULE_PRESETS, schedulePresetOf, type SchedulePresetId } from '../../components/format';

export const STEPS = ['Account', 'Environments', 'Resources', 'Schedule', 'Review'] as const;
export type FormField =
  | 'name'
  | 'accountId'
  | 'sourceEnvironmentId'
  | 'targetEnvironmentId'
  | 'resources'
  | 'schedule'
  | 'webhookUrl'
  | 'webhookSecret';

const FIELD_STEP: Record<FormField, number> = {
  name: 0,
  accountId: 0,
  sourceEnvironmentId: 1,
  targetEnvironmentId: 1,
  resources: 2,
  schedule: 3,
  webhookUrl: 3,
  webhookSecret: 3,
};
const FIELDS = Object.keys(FIELD_STEP) as FormField[];

export const resourceKey = (r: { type: string; nativeId: string }) => `${r.type}\u0000${r.nativeId}`;

interface FormValues {
  name: string;
  accountId: string;
  sourceEnvironmentId: string;
  targetEnvironmentId: string;
  schedulePreset: SchedulePresetId;
  customCron: string;
  webhookUrl: string;
  /** Typed only to set a new secret; the stored one never comes back from main. */
  webhookSecret: string;
  /** Edit only: drop the stored secret (sends null). */
  removeWebhookSecret: boolean;
  webhookOnTestFailover: boolean;
  /** Allow a link-local / cloud metadata webhook target (refused by default in main). */
  webhookAllowPrivateTargets: boolean;
}

interface PolicyFormState extends FormValues {
  open: boolean;
  mode: 'create' | 'edit';
  policyId: string | null;
  expectedUpdatedAt: string | null;
  /** Edit only: main holds a signing secret for this policy. */
  hasStoredSecret: boolean;
  step: number;
  inventory: DiscoveredResource[] | null;
  inventoryFor: string | null;
  inventoryLoading: boolean;
  inventoryError: DrErrorData | null;
  selected: Record<string, ProtectedResourceInput>;
  filter: string;
  fieldErrors: Partial<Record<FormField, string>>;
  error: DrErrorData | null;
  submitting: boolean;

  openCreate: () => void;
  openEdit: (policy: PolicyDetails, accountId: string) => void;
  close: () => void;
  set: <K extends keyof FormValues>(key: K, value: FormValues[K]) => void;
  setFilter: (filter: string) => void;
  toggle: (resource: DiscoveredResource) => void;
  setMany: (resources: DiscoveredResource[], on: boolean) => void;
  loadInventory: (opts?: { force?: boolean }) => Promise<void>;
  next: () => void;
  back: () => void;
  goTo: (step: number) => void;
  submit: () => Promise<PolicyDetails | null>;
}

const EMPTY: FormValues = {
  name: '',
  accountId: '',
  sourceEnvironmentId: '',
  targetEnvironmentId: '',
  schedulePreset: 'manual',
  customCron: '',
  webhookUrl: '',
  webhookSecret: '',
  removeWebhookSecret: false,
  webhookOnTestFailover: false,
  webhookAllowPrivateTargets: false,
};

export function cronOf(values: Pick<FormValues, 'schedulePreset' | 'customCron'>): string | null {
  if (values.schedulePreset === 'custom') return values.customCron.trim().replace(/\s+/g, ' ');
  return SCHEDULE_PRESETS.find((p) => p.id === values.schedulePreset)?.cron ?? null;
}

/** The checks a person would expect before Next; the server repeats them all. */
export function checkStep(
  state: Omit<FormValues, 'webhookSecret' | 'removeWebhookSecret' | 'webhookOnTestFailover' | 'webhookAllowPrivateTargets'> & {
    webhookSecret?: string;
    selected: Record<string, unknown>;
  },
  step: number,
): Partial<Record<FormField, string>> {
  const errors: Partial<Record<FormField, string>> = {};
  if (step === 0) {
    const name = state.name.trim();
    if (!name) errors.name = 'Enter a name for the policy.';
    else if (name.length > 80) errors.name = `The name is ${name.length} characters; use at most 80.`;
    if (!state.accountId) errors.accountId = 'Choose the cloud account that holds the resources.';
  }
  if (step === 1) {
    if (!state.sourceEnvironmentId) errors.sourceEnvironmentId = 'Choose the environment to protect.';
    if (!state.targetEnvironmentId) errors.targetEnvironmentId = 'Choose where resources fail over to.';
    else if (state.targetEnvironmentId === state.sourceEnvironmentId)
      errors.targetEnvironmentId = 'The target must be a different environment from the source.';
  }
  if (step === 2 && Object.keys(state.selected).length === 0) errors.resources = 'Select at least one resource to protect.';
  if (step === 3) {
    if (state.schedulePreset === 'custom' && !/^\S+( \S+){4}$/.test(state.customCron.trim().replace(/\s+/g, ' ')))
      errors.schedule = 'Enter a cron expression with five fields, for example "30 */6 * * *".';
    const url = state.webhookUrl.trim();
    if (url) {
      if (!isPlainHttpUrl(url)) errors.webhookUrl = 'Enter an http:// or https:// URL without a user name or password.';
    }
    const secret = state.webhookSecret ?? '';
    if (secret) {
      if (secret.length < 16) errors.webhookSecret = 'Use at least 16 characters for the signing secret.';
      else if (secret.length > 256) errors.webhookSecret = 'Use at most 256 characters for the signing secret.';
      else if (!url) errors.webhookSecret = 'A signing secret needs a webhook URL; enter the URL or clear the secret.';
    }
  }
  return errors;
}

function isPlainHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password;
  } catch {
    return false;
  }
}

function fieldErrorsFrom(error: DrErrorData): Partial<Record<FormField, string>> {
  const out: Partial<Record<FormField, string>> = {};
  for (const d of error.details ?? []) {
    const segments = (d.path ?? '').split(/[.[\]]/);
    const field = FIELDS.find((f) => segments.includes(f));
    if (field && !out[field]) out[field] = d.message;
  }
  return out;
}

export const usePolicyForm = create<PolicyFormState>()((set, get) => ({
  ...EMPTY,
  open: false,
  mode: 'create',
  policyId: null,
  expectedUpdatedAt: null,
  hasStoredSecret: false,
  step: 0,
  inventory: null,
  inventoryFor: null,
  inventoryLoading: false,
  inventoryError: null,
  selected: {},
  filter: '',
  fieldErrors: {},
  error: null,
  submitting: false,

  openCreate() {
    set({
      ...EMPTY,
      open: true,
      mode: 'create',
      policyId: null,
      expectedUpdatedAt: null,
      hasStoredSecret: false,
      step: 0,
      inventory: null,
      inventoryFor: null,
      inventoryError: null,
      selected: {},
      filter: '',
      fieldErrors: {},
      error: null,
      submitting: false,
    });
  },

  openEdit(policy, accountId) {
    const selected: Record<string, ProtectedResourceInput> = {};
    for (const r of policy.resources) selected[resourceKey(r)] = { type: r.type, nativeId: r.nativeId, name: r.name };
    set({
      open: true,
      mode: 'edit',
      policyId: policy.id,
      expectedUpdatedAt: policy.updatedAt,
      step: 0,
      name: policy.name,
      accountId,
      sourceEnvironmentId: policy.sourceEnvironment.id,
      targetEnvironmentId: policy.targetEnvironment.id,
      schedulePreset: schedulePresetOf(policy.schedule),
      customCron: schedulePresetOf(policy.schedule) === 'custom' ? (policy.schedule ?? '') : '',
      webhookUrl: policy.webhookUrl ?? '',
      webhookSecret: '',
      removeWebhookSecret: false,
      webhookOnTestFailover: policy.webhookOnTestFailover,
      webhookAllowPrivateTargets: policy.webhookAllowPrivateTargets,
      hasStoredSecret: policy.webhookSigned,
      inventory: null,
      inventoryFor: null,
      inventoryError: null,
      selected,
      filter: '',
      fieldErrors: {},
      error: null,
      submitting: false,
    });
  },

  close() {
    if (get().submitting) return;
    // A typed secret does not outlive the dialog.
    set({ open: false, webhookSecret: '' });
  },

  set(key, value) {
    const patch: Partial<PolicyFormState> = { [key]: value, fieldErrors: { ...get().fieldErrors, [key]: undefined } };
    if (key === 'schedulePreset' || key === 'customCron') patch.fieldErrors = { ...get().fieldErrors, schedule: undefined };
    // Changing where resources come from invalidates the environment choices and the selection.
    if (key === 'accountId' && value !== get().accountId) {
      Object.assign(patch, { sourceEnvironmentId: '', targetEnvironmentId: '', selected: {}, inventory: null, inventoryFor: null });
    }
    if (key === 'sourceEnvironmentId' && value !== get().sourceEnvironmentId) {
      Object.assign(patch, { selected: {}, inventory: null, inventoryFor: null });
      if (get().targetEnvironmentId === value) patch.targetEnvironmentId = '';
    }
    set(patch);
  },

  setFilter(filter) {
    set({ filter });
  },

  toggle(resource) {
    const key = resourceKey(resource);
    const selected = { ...get().selected };
    if (selected[key]) delete selected[key];
    else selected[key] = { type: resource.type, nativeId: resource.nativeId, name: resource.name };
    set({ selected, fieldErrors: { ...get().fieldErrors, resources: undefined } });
  },

  setMany(resources, on) {
    const selected = { ...get().selected };
    for (const r of resources) {
      const key = resourceKey(r);
      if (on) selected[key] = { type: r.type, nativeId: r.nativeId, name: r.name };
      else delete selected[key];
    }
    set({ selected, fieldErrors: { ...get().fieldErrors, resources: undefined } });
  },

  async loadInventory(opts = {}) {
    const envId = get().sourceEnvironmentId;
    if (!envId) return;
    if (!opts.force && get().inventoryFor === envId && (get().inventory || get().inventoryLoading)) return;
    set({ inventoryLoading: true, inventoryError: null, inventoryFor: envId });
    try {
      const inventory = await call('dr:inventory.discover', { environmentId: envId });
      if (get().inventoryFor === envId) set({ inventory, inventoryLoading: false });
    } catch (err) {
      if (get().inventoryFor === envId) set({ inventoryError: toErrorData(err), inventoryLoading: false, inventory: null });
    }
  },

  next() {
    const s = get();
    const errors = checkStep(s, s.step);
    if (Object.keys(errors).length > 0) {
      set({ fieldErrors: { ...s.fieldErrors, ...errors } });
      return;
    }
    const step = Math.min(s.step + 1, STEPS.length - 1);
    set({ step, error: null });
    if (step === 2) void get().loadInventory();
  },

  back() {
    set({ step: Math.max(0, get().step - 1), error: null });
  },

  goTo(step) {
    // Only backwards jumps: forward moves go through Next so every step is checked.
    if (step < get().step) set({ step, error: null });
  },

  async submit() {
    const s = get();
    if (s.submitting) return null;
    for (let step = 0; step < STEPS.length - 1; step++) {
      const errors = checkStep(s, step);
      if (Object.keys(errors).length > 0) {
        set({ step, fieldErrors: errors });
        return null;
      }
    }
    const policy: PolicyInput = {
      name: s.name.trim(),
      sourceEnvironmentId: s.sourceEnvironmentId,
      targetEnvironmentId: s.targetEnvironmentId,
      resources: Object.values(s.selected),
      schedule: cronOf(s),
      webhookUrl: s.webhookUrl.trim() || null,
      webhookOnTestFailover: s.webhookOnTestFailover,
      webhookAllowPrivateTargets: s.webhookAllowPrivateTargets,
      // Write-only: a typed secret replaces the stored one, "remove" (or no URL) clears it, and
      // leaving it empty keeps whatever main holds.
      ...(s.webhookSecret
        ? { webhookSecret: s.webhookSecret }
        : s.mode === 'edit' && s.hasStoredSecret && (s.removeWebhookSecret || !s.webhookUrl.trim())
          ? { webhookSecret: null }
          : {}),
    };
    set({ submitting: true, error: null, fieldErrors: {} });
    try {
      const result =
        s.mode === 'edit' && s.policyId
          ? await call('dr:policies.update', { policyId: s.policyId, expectedUpdatedAt: s.expectedUpdatedAt ?? '', policy })
          : await call('dr:policies.create', policy);
      set({ submitting: false, open: false, webhookSecret: '' });
      return result;
    } catch (err) {
      const error = toErrorData(err);
      const fieldErrors = err instanceof ApiError ? fieldErrorsFrom(error) : {};
      const steps = Object.keys(fieldErrors).map((f) => FIELD_STEP[f as FormField]);
      set({
        submitting: false,
        error,
        fieldErrors,
        step: steps.length > 0 ? Math.min(...steps) : s.step,
      });
      return null;
    }
  },
}));
