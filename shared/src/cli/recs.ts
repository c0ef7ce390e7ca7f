#!/usr/bin/env node
/**
 * The operators' command line: `npm run recs -- <command> [options]`.
 * Every command migrates the metadata database first, so it works on a fresh one.
 */
import { parseArgs } from 'node:util';
import { loadDotEnv, loadConfig } from '../config/config.js';
import { createOrm, ensureDatabase, migrate, redactUrl } from '../db/orm.js';
import { createApiToken, createTenant, createUser, findTenant } from '../accounts/accounts.js';
import { AppError } from '../errors.js';
import { ROLES, type Role } from '../db/entities/membership.js';
import { checkPostgres } from '../runtime/preflight.js';

const USAGE = `Usage: npm run recs -- <command> [options]

Commands:
  create-tenant --name N --email E --password P   create a tenant and its admin
  create-user --tenant T --email E --password P [--role admin|editor|viewer]
                                                  add a user to a tenant (default role: editor)
  create-token --email E [--tenant T] [--name N]  issue an API token; prints only the token on its last line
  migrate                                         create the database if needed and apply migrations`;

loadDotEnv();

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    email: { type: 'string' },
    password: { type: 'string' },
    tenant: { type: 'string' },
    role: { type: 'string', default: 'editor' },
    help: { type: 'boolean', short: 'h' },
  },
});

function need(option: 'name' | 'email' | 'password' | 'tenant'): string {
  const value = values[option];
  if (!value) throw new AppError('invalid_request', `--${option} is required\n\n${USAGE}`);
  return value;
}

async function main(): Promise<number> {
  const command = positionals[0];
  if (!command || values.help) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  await checkPostgres(config.databaseUrl);
  if (await ensureDatabase(config.databaseUrl)) console.error(`created database ${redactUrl(config.databaseUrl)}`);
  const orm = createOrm(config.databaseUrl);
  try {
    const applied = await migrate(orm);
    if (applied.length) console.error(`applied migrations: ${applied.join(', ')}`);
    const em = orm.em.fork();
    switch (command) {
      case 'migrate':
        console.log(applied.length ? `${applied.length} migration(s) applied` : 'the database is up to date');
        return 0;
      case 'create-tenant': {
        const { tenantId, userId, email } = await createTenant(em, { name: need('name'), email: need('email'), password: need('password') });
        console.log(`tenant ${tenantId} created with admin ${email} (user ${userId})`);
        return 0;
      }
      case 'create-user': {
        const role = values.role as Role;
        if (!ROLES.includes(role)) throw new AppError('invalid_request', `--role must be one of ${ROLES.join(', ')}`);
        const tenant = await findTenant(em, need('tenant'));
        const { userId } = await createUser(em, { tenantId: tenant.id, email: need('email'), password: need('password'), role });
        console.log(`user ${userId} (${values.email}) added to ${tenant.name} as ${role}`);
        return 0;
      }
      case 'create-token': {
        const tenantId = values.tenant ? (await findTenant(em, values.tenant)).id : undefined;
        const { token, tenantId: tid } = await createApiToken(em, { email: need('email'), tenantId, name: values.name });
        console.log(`token for ${values.email} in tenant ${tid}; it is shown only now:`);
        console.log(token);
        return 0;
      }
      default:
        console.error(`unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } finally {
    await orm.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error instanceof AppError ? `error: ${error.message}` : error.message);
    process.exit(1);
  },
);
