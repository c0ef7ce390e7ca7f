import type { z } from 'zod';
import { SOURCE_KINDS, SOURCE_MODULES, type SourceKind, type SourceModule } from '@b2b-recs/shared';

/** Where a field's value goes: the stored settings, or the secret store. */
type Part = 'config' | 'credentials';
type Input = 'text' | 'number' | 'select' | 'checkbox' | 'password' | 'textarea' | 'url';

/**
 * How the wizard shows one setting. Whether it is required, its default and its choices come
 * from the kind's zod schema, so only the words and the kind of input are written here.
 */
interface FieldSpec {
  part: Part;
  key: string;
  label: string;
  input: Input;
  help?: string;
  placeholder?: string;
}

const setting = (key: string, label: string, input: Input = 'text', more: Partial<FieldSpec> = {}): FieldSpec => ({ part: 'config', key, label, input, ...more });
const secret = (key: string, label: string, input: Input = 'password', more: Partial<FieldSpec> = {}): FieldSpec => ({ part: 'credentials', key, label, input, ...more });

const SERVICE_ACCOUNT = secret('serviceAccountJson', 'Service-account key (JSON)', 'textarea', {
  help: 'Paste the whole JSON key file of a service account; it starts with {"type": "service_account".',
});
const PREFIX = setting('prefix', 'Folder (prefix)', 'text', { help: 'Only files under this folder, e.g. exports/daily/.' });
const ENDPOINT = (example: string) => setting('endpoint', 'Endpoint URL', 'url', { help: `For a compatible store or an emulator, e.g. ${example}.` });

/** The wizard's fields of each kind, in the order the form shows them. */
export const CONNECTION_FIELDS: Record<SourceKind, FieldSpec[]> = {
  postgresql: [
    setting('host', 'Host', 'text', { placeholder: 'db.example.com' }),
    setting('port', 'Port', 'number'),
    setting('database', 'Database'),
    setting('user', 'User'),
    setting('sslMode', 'TLS mode', 'select', { help: '"prefer" uses TLS when the server offers it; "verify-full" also checks its certificate.' }),
    secret('password', 'Password'),
  ],
  mysql: [
    setting('host', 'Host', 'text', { placeholder: 'db.example.com' }),
    setting('port', 'Port', 'number'),
    setting('database', 'Database'),
    setting('user', 'User'),
    setting('tlsMode', 'TLS mode', 'select', { help: '"require" encrypts without checking the certificate; "verify-full" checks it too.' }),
    secret('password', 'Password'),
  ],
  bigquery: [
    setting('projectId', 'Billing project id', 'text', { help: 'Queries run and are billed in this Google Cloud project.' }),
    setting('dataProjectId', 'Data project id', 'text', { help: 'The project that holds the datasets, when another, e.g. bigquery-public-data.' }),
    setting('location', 'Location', 'text', { help: 'EU, US or a region such as europe-west1.' }),
    SERVICE_ACCOUNT,
  ],
  firestore: [setting('projectId', 'Project id'), setting('databaseId', 'Database id', 'text', { help: '(default), or the name of another database.' }), SERVICE_ACCOUNT],
  gcs: [setting('bucket', 'Bucket', 'text', { help: 'The bucket name, without gs://.' }), PREFIX, SERVICE_ACCOUNT],
  s3: [
    setting('bucket', 'Bucket'),
    PREFIX,
    setting('region', 'Region'),
    ENDPOINT('https://minio.example.com:9000'),
    setting('forcePathStyle', 'Bucket in the path (path-style URLs; most S3-compatible stores need it)', 'checkbox'),
    secret('accessKeyId', 'Access key id', 'text'),
    secret('secretAccessKey', 'Secret access key'),
    secret('sessionToken', 'Session token', 'password', { help: 'Only for temporary credentials.' }),
  ],
  azure_blob: [
    setting('account', 'Storage account'),
    setting('container', 'Container'),
    PREFIX,
    ENDPOINT('http://127.0.0.1:10000/devstoreaccount1'),
    secret('accountKey', 'Account key', 'password', { help: 'Give exactly one of the account key, a SAS token or a connection string.' }),
    secret('sasToken', 'SAS token'),
    secret('connectionString', 'Connection string'),
  ],
  local_files: [setting('path', 'Folder', 'text', { help: "Relative to the server's local files folder; leave empty for the folder itself." })],
};

/** What a kind's zod schema says about one field. */
interface FieldRules {
  required: boolean;
  defaultValue?: unknown;
  options?: readonly string[];
  min?: number;
  max?: number;
}

function shapeOf(schema: z.ZodType): Record<string, z.ZodType> {
  const def = schema.def as { type: string; shape?: Record<string, z.ZodType> };
  return def.type === 'object' && def.shape ? def.shape : {};
}

/** Reads a field's schema through its `.optional()` and `.default()` wrappers. */
function rulesOf(schema: z.ZodType | undefined): FieldRules {
  const rules: FieldRules = { required: true };
  let current = schema;
  for (;;) {
    const def = current?.def as { type: string; innerType?: z.ZodType; defaultValue?: unknown } | undefined;
    if (def?.type === 'optional') rules.required = false;
    else if (def?.type === 'default') Object.assign(rules, { required: false, defaultValue: def.defaultValue });
    else break;
    current = def.innerType;
  }
  const inner = current as { options?: readonly string[]; minValue?: number | null; maxValue?: number | null } | undefined;
  if (Array.isArray(inner?.options)) rules.options = inner.options;
  if (typeof inner?.minValue === 'number' && Number.isFinite(inner.minValue)) rules.min = inner.minValue;
  if (typeof inner?.maxValue === 'number' && Number.isFinite(inner.maxValue)) rules.max = inner.maxValue;
  return rules;
}

function moduleOf(kind: SourceKind): SourceModule<unknown, unknown> {
  return SOURCE_MODULES[kind];
}

/** The fields of a kind with their rules; `fieldsOf` is the one place that joins the two. */
function fieldsOf(kind: SourceKind) {
  const module = moduleOf(kind);
  return CONNECTION_FIELDS[kind].map((spec) => ({ ...spec, name: `${spec.part}.${spec.key}`, id: `f-${spec.part}-${spec.key}`, ...rulesOf(shapeOf(module[spec.part])[spec.key]) }));
}

/** The keys of a kind's schema, for the test that every setting has a field. */
export function schemaKeys(kind: SourceKind): { config: string[]; credentials: string[] } {
  const module = moduleOf(kind);
  return { config: Object.keys(shapeOf(module.config)), credentials: Object.keys(shapeOf(module.credentials)) };
}

/** One input of the wizard's form, as the `connection-field` partial draws it. */
export interface FieldView {
  id: string;
  name: string;
  label: string;
  type: Input;
  isSelect: boolean;
  isCheckbox: boolean;
  isTextarea: boolean;
  /** Takes the form's whole width: long inputs, and fields with a long explanation. */
  wide: boolean;
  required: boolean;
  /** Marked "(optional)" in its label: the schema needs no value and supplies none. */
  optional: boolean;
  value: string;
  checked: boolean;
  options: { value: string; selected: boolean }[];
  min?: number;
  max?: number;
  help?: string;
  placeholder?: string;
  secret: boolean;
}

/**
 * The inputs of a kind's form. A new connection starts from the schema's defaults (the kind's
 * default port among them); an edited one from its stored settings. Secrets are never filled in.
 */
export function fieldViews(kind: SourceKind, stored?: Record<string, unknown>): { settings: FieldView[]; secrets: FieldView[] } {
  const views = fieldsOf(kind).map((f): FieldView => {
    const secretField = f.part === 'credentials';
    const raw = secretField ? undefined : stored ? stored[f.key] : (f.key === 'port' ? moduleOf(kind).defaultPort : undefined) ?? f.defaultValue;
    const value = raw === undefined || raw === null || typeof raw === 'boolean' ? '' : String(raw);
    return {
      id: f.id,
      name: f.name,
      label: f.label,
      type: f.input,
      isSelect: f.input === 'select',
      isCheckbox: f.input === 'checkbox',
      isTextarea: f.input === 'textarea',
      wide: f.input === 'textarea' || f.input === 'checkbox' || (f.help?.length ?? 0) > 60,
      // On edit, an empty secret keeps the stored one, so no secret input is required there.
      required: f.required && !(secretField && stored) && f.input !== 'checkbox',
      optional: !f.required && (f.defaultValue === undefined || f.defaultValue === ''),
      value,
      checked: raw === true,
      options: (f.options ?? []).map((option) => ({ value: option, selected: option === value })),
      min: f.min,
      max: f.max,
      help: f.help,
      placeholder: f.placeholder,
      secret: secretField,
    };
  });
  return { settings: views.filter((v) => !v.secret), secrets: views.filter((v) => v.secret) };
}

/** A posted form field's text; a repeated field counts as its last value. */
function text(body: Record<string, unknown>, name: string): string {
  const raw = body[name];
  const value = Array.isArray(raw) ? raw.at(-1) : raw;
  return typeof value === 'string' ? value : '';
}

/**
 * Turns a posted wizard form into the service's `config` and `credentials`. An empty optional
 * field is `undefined`, so its default applies, and on edit it clears the stored value; an empty
 * required field stays '', so the schema answers with its own "is required" message.
 */
export function settingsFromForm(kind: SourceKind, body: Record<string, unknown>): { config: Record<string, unknown>; credentials: Record<string, unknown> } {
  const out: { config: Record<string, unknown>; credentials: Record<string, unknown> } = { config: {}, credentials: {} };
  for (const f of fieldsOf(kind)) {
    const value = text(body, f.name);
    if (f.input === 'checkbox') out[f.part][f.key] = value === 'on' || value === 'true';
    else if (f.part === 'credentials') out[f.part][f.key] = value === '' && !f.required ? undefined : value;
    else out[f.part][f.key] = value.trim() === '' && !f.required ? undefined : value.trim();
  }
  return out;
}

/** Whether a posted form gives any secret; on edit, none means "keep the stored ones". */
export function givesSecrets(credentials: Record<string, unknown>): boolean {
  return Object.values(credentials).some((v) => typeof v === 'string' && v !== '');
}

/** The input id and label of a field the service named (`config.host`), for errors next to fields. */
export function fieldOf(kind: SourceKind, name: string): { id: string; label: string } | undefined {
  if (name === 'name') return { id: 'f-name', label: 'Name' };
  const f = fieldsOf(kind).find((field) => field.name === name);
  return f && { id: f.id, label: f.label };
}

/** The kinds as the wizard's first step shows them: tiles grouped by what they are. */
export function kindGroups(): { group: string; kinds: { kind: SourceKind; label: string }[] }[] {
  const order = ['Databases', 'Files', 'NoSQL', 'Warehouses'] as const;
  return order.map((group) => ({
    group,
    kinds: SOURCE_KINDS.filter((kind) => moduleOf(kind).group === group).map((kind) => ({ kind, label: moduleOf(kind).label })),
  }));
}
