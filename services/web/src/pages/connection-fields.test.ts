import { describe, expect, test } from '@jest/globals';
import { SOURCE_KINDS, parseSettings } from '@b2b-recs/shared';
import { CONNECTION_FIELDS, fieldViews, kindGroups, schemaKeys, settingsFromForm } from './connection-fields.js';

describe("the wizard's fields", () => {
  test.each(SOURCE_KINDS)('%s has exactly one field for every setting and secret of its schema', (kind) => {
    const keys = schemaKeys(kind);
    const fields = CONNECTION_FIELDS[kind];
    expect(fields.filter((f) => f.part === 'config').map((f) => f.key).sort()).toEqual([...keys.config].sort());
    expect(fields.filter((f) => f.part === 'credentials').map((f) => f.key).sort()).toEqual([...keys.credentials].sort());
  });

  test("a new PostgreSQL form starts from the kind's default port and TLS mode, and a password input", () => {
    const { settings, secrets } = fieldViews('postgresql');
    expect(settings.find((f) => f.name === 'config.port')).toMatchObject({ value: '5432', type: 'number', required: false });
    const tls = settings.find((f) => f.name === 'config.sslMode')!;
    expect(tls.options.map((o) => o.value)).toEqual(['disable', 'prefer', 'require', 'verify-full']);
    expect(tls.options.find((o) => o.selected)?.value).toBe('prefer');
    expect(settings.find((f) => f.name === 'config.host')).toMatchObject({ required: true, value: '' });
    expect(secrets).toEqual([expect.objectContaining({ name: 'credentials.password', type: 'password', value: '' })]);
  });

  test('an edited form shows the stored settings and never a secret, and asks for none', () => {
    const { settings, secrets } = fieldViews('s3', { bucket: 'exports', prefix: 'daily', region: 'eu-west-1', forcePathStyle: true });
    expect(settings.find((f) => f.name === 'config.bucket')?.value).toBe('exports');
    expect(settings.find((f) => f.name === 'config.forcePathStyle')?.checked).toBe(true);
    expect(secrets.every((f) => f.value === '' && !f.required)).toBe(true);
  });

  test('a posted PostgreSQL form becomes settings the service accepts', () => {
    const form = { type: 'postgresql', name: 'Orders', 'config.host': ' db.example.com ', 'config.port': '6543', 'config.database': 'shop', 'config.user': 'reader', 'config.sslMode': 'disable', 'credentials.password': ' secret ' };
    const { config, credentials } = settingsFromForm('postgresql', form);
    expect(parseSettings('postgresql', config, credentials)).toEqual({
      config: { host: 'db.example.com', port: 6543, database: 'shop', user: 'reader', sslMode: 'disable' },
      credentials: { password: ' secret ' },
    });
  });

  test('empty optional fields take their defaults, an unticked box is false, and an empty required one is named', () => {
    const { config } = settingsFromForm('s3', { 'config.bucket': 'b1', 'config.prefix': '', 'config.region': '', 'config.endpoint': '' });
    expect(parseSettings('s3', config, { accessKeyId: 'a', secretAccessKey: 's' }).config).toEqual({ bucket: 'b1', prefix: '', region: 'us-east-1', forcePathStyle: false });
    const missing = settingsFromForm('postgresql', { 'config.database': 'x', 'config.user': 'y' });
    expect(() => parseSettings('postgresql', missing.config, missing.credentials)).toThrow('config.host is required');
  });

  test('the kinds are grouped as Databases, Files, NoSQL and Warehouses, each kind once', () => {
    const groups = kindGroups();
    expect(groups.map((g) => g.group)).toEqual(['Databases', 'Files', 'NoSQL', 'Warehouses']);
    expect(groups.flatMap((g) => g.kinds.map((k) => k.kind)).sort()).toEqual([...SOURCE_KINDS].sort());
    expect(groups[0]!.kinds.map((k) => k.label)).toEqual(['PostgreSQL', 'MySQL / MariaDB']);
  });
});
