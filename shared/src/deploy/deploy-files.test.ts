/**
 * Checks the deployment files (Dockerfile, docker-compose.yml, k8s/) against the code they deploy:
 * service names, entry files, environment variables, ports, probe paths and queue names. Nothing
 * here can run Docker or Kubernetes, so a renamed path, a moved port or a new variable would
 * otherwise only show up in a broken deployment.
 *
 * Each check collects every problem it finds, so one failure names every file and field to fix.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';
import { parse, parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES, parseConfig } from '../config/config.js';
import { QUEUES, QUEUE_NAMES } from '../jobs/catalogue.js';
import { SERVICE_HEALTH_PORTS, SERVICE_NAMES, type ServiceName, type WorkerServiceName } from '../runtime/service-ports.js';

// Parsed YAML is walked field by field; its shape is what the checks below establish.
type Node = any;
type Env = Record<string, string>;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
const exists = (file: string): boolean => existsSync(path.join(ROOT, file));

/** Services of the compose file that are not ours: the stack they run on. */
const INFRASTRUCTURE = ['postgres', 'redis', 'mariadb', 'azurite'];
const MIGRATE = 'migrate';
const WORKERS = Object.keys(SERVICE_HEALTH_PORTS) as WorkerServiceName[];
const DEFAULTS = parseConfig({});
const CONFIG_NAMES = new Set(CONFIG_VARIABLES);

/** The paths a source file serves, found in its text so that renaming one there fails here. */
function servedPaths(file: string, pattern: RegExp): Set<string> {
  return new Set([...read(file).matchAll(pattern)].map((m) => m[1]!));
}
const SERVED: Record<'web' | 'worker', Set<string>> = {
  web: servedPaths('services/web/src/app.ts', /app\.get\(\s*'(\/[^']*)'/g),
  worker: servedPaths('shared/src/runtime/health-server.ts', /url === '(\/[^']*)'/g),
};
const served = (service: ServiceName): Set<string> => (service === 'web' ? SERVED.web : SERVED.worker);

/**
 * The port a service answers health checks on, with the given environment: PORT or HEALTH_PORT,
 * else the code's default. Reads only those two, so a bad value elsewhere fails only its own test.
 */
function healthPort(service: ServiceName, env: Env): number {
  const config = parseConfig({ PORT: env.PORT, HEALTH_PORT: env.HEALTH_PORT });
  return service === 'web' ? config.web.port : (config.healthPort ?? SERVICE_HEALTH_PORTS[service]);
}

/** The longest a service takes to stop on SIGTERM, from shutdown.ts. */
const SHUTDOWN_DEADLINE_S = Number(/deadlineMs = ([\d_]+)/.exec(read('shared/src/runtime/shutdown.ts'))![1]!.replaceAll('_', '')) / 1000;

const WORKSPACES: string[] = JSON.parse(read('package.json')).workspaces;
const BUILT_WORKSPACES = new Set<string>(JSON.parse(read('tsconfig.json')).references.map((r: { path: string }) => r.path));

/**
 * Problems with a command's entry file (`node <ws>/<outDir>/x.js`): the workspace must be built by
 * `tsc -b` and the file must be the output of `<ws>/<rootDir>/x.ts`.
 */
function entryProblems(where: string, argv: string[] | undefined): string[] {
  if (!argv || argv[0] !== 'node' || !argv[1]) return [`${where}: the command should be node <entry file>, not ${JSON.stringify(argv)}`];
  const entry = argv[1];
  const workspace = WORKSPACES.find((ws) => entry.startsWith(`${ws}/`));
  if (!workspace) return [`${where}: ${entry} is in no workspace of package.json`];
  if (!BUILT_WORKSPACES.has(workspace)) return [`${where}: ${workspace} is not built by tsc -b (tsconfig.json references)`];
  const { rootDir, outDir } = JSON.parse(read(`${workspace}/tsconfig.json`)).compilerOptions;
  const inOutDir = path.posix.relative(outDir, entry.slice(workspace.length + 1));
  if (inOutDir.startsWith('..') || !inOutDir.endsWith('.js')) return [`${where}: ${entry} is not a .js file under ${workspace}/${outDir}`];
  const source = `${workspace}/${rootDir}/${inOutDir.replace(/\.js$/, '.ts')}`;
  return exists(source) ? [] : [`${where}: ${entry} would be compiled from ${source}, which does not exist`];
}

/** Problems with the command a service runs: its own workspace's main. */
function serviceCommandProblems(where: string, service: string, argv: string[] | undefined): string[] {
  const problems = entryProblems(where, argv);
  if (!problems.length && argv![1] !== `services/${service}/dist/main.js`) {
    problems.push(`${where}: runs ${argv![1]}, not services/${service}/dist/main.js`);
  }
  return problems;
}

/** Problems with the migration's command: the operators' CLI with a command it knows. */
function migrateCommandProblems(where: string, argv: string[] | undefined): string[] {
  const problems = entryProblems(where, argv);
  if (problems.length) return problems;
  if (argv![1] !== 'shared/dist/cli/recs.js' || argv![2] !== 'migrate') return [`${where}: should run shared/dist/cli/recs.js migrate, not ${argv!.join(' ')}`];
  return read('shared/src/cli/recs.ts').includes("case 'migrate':") ? [] : [`${where}: shared/src/cli/recs.ts has no migrate command`];
}

/** Problems with an environment: every name must be a config variable, and the loader must accept it. */
function envProblems(where: string, env: Env): string[] {
  const problems = Object.keys(env)
    .filter((name) => !CONFIG_NAMES.has(name))
    .map((name) => `${where}: sets ${name}, which shared/src/config/config.ts does not read`);
  try {
    parseConfig(env);
  } catch (error) {
    problems.push(`${where}: ${(error as Error).message}`);
  }
  return problems;
}

// --- docker-compose.yml ---

const compose: Node = parse(read('docker-compose.yml'), { merge: true });
const composeServices = Object.entries<Node>(compose.services);
/** Ours are the ones built from the Dockerfile. */
const isOurs = (svc: Node): boolean => svc.build !== undefined;
const composeOurs = composeServices.filter(([, svc]) => isOurs(svc));
const composeLongRunning = composeOurs.filter(([name]) => name !== MIGRATE);

function composeEnv(svc: Node): Env {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((line: string) => [line.split('=')[0], line.split('=').slice(1).join('=')]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v ?? '')]));
}

/** The container side of a compose port: "3000", "3000:3000", "127.0.0.1:3000:3000" or { target }. */
const containerPort = (port: Node): number => (typeof port === 'object' ? Number(port.target) : Number(String(port).split(':').pop()!.split('/')[0]));

describe('docker-compose.yml', () => {
  test('runs every service of ours and the migration from the one Dockerfile, and otherwise only the infrastructure', () => {
    const problems: string[] = [];
    for (const [name, svc] of composeServices) {
      if (isOurs(svc)) {
        const context = typeof svc.build === 'string' ? svc.build : svc.build.context;
        if (!exists(path.join(context, svc.build.dockerfile ?? 'Dockerfile'))) problems.push(`${name}: builds from ${context}, which has no Dockerfile`);
        if (name !== MIGRATE && !exists(`services/${name}/src/main.ts`)) problems.push(`${name}: there is no services/${name}/src/main.ts`);
      } else if (!INFRASTRUCTURE.includes(name)) {
        problems.push(`${name}: neither one of our services nor known infrastructure (${INFRASTRUCTURE.join(', ')})`);
      }
    }
    for (const name of SERVICE_NAMES) if (!composeOurs.some(([n]) => n === name)) problems.push(`${name}: missing`);
    if (!composeOurs.some(([n]) => n === MIGRATE)) problems.push(`${MIGRATE}: missing`);
    expect(problems).toEqual([]);
  });

  test("starts each service with its own workspace's compiled main, and the migration with the CLI's migrate", () => {
    const problems = composeOurs.flatMap(([name, svc]) =>
      name === MIGRATE ? migrateCommandProblems(name, svc.command) : serviceCommandProblems(name, name, svc.command),
    );
    expect(problems).toEqual([]);
  });

  test('gives our services only variables the config loader reads, with values it accepts', () => {
    expect(composeOurs.flatMap(([name, svc]) => envProblems(name, composeEnv(svc)))).toEqual([]);
  });

  test("publishes web on PORT's default and exposes each worker on its own health port", () => {
    const problems: string[] = [];
    for (const [name, svc] of composeLongRunning) {
      const expected = healthPort(name as ServiceName, composeEnv(svc));
      const ports = [...(svc.ports ?? []), ...(svc.expose ?? [])].map(containerPort);
      if (!ports.length) problems.push(`${name}: declares no port; expected ${expected}`);
      for (const port of ports) if (port !== expected) problems.push(`${name}: container port ${port}, but the service listens on ${expected}`);
    }
    const web = compose.services.web;
    if (!(web.ports ?? []).map(containerPort).includes(DEFAULTS.web.port)) problems.push(`web: port ${DEFAULTS.web.port} is not published`);
    expect(problems).toEqual([]);
  });

  test("health checks ask each service's own port for /readyz, a path the code serves", () => {
    const problems: string[] = [];
    for (const [name, svc] of composeLongRunning) {
      const urls = [...[svc.healthcheck?.test ?? []].flat().join(' ').matchAll(/http:\/\/(?:127\.0\.0\.1|localhost):(\d+)(\/[\w/-]*)/g)];
      if (!urls.length) problems.push(`${name}: the health check asks no http://127.0.0.1:<port>/<path>`);
      for (const [, port, urlPath] of urls) {
        const expected = healthPort(name as ServiceName, composeEnv(svc));
        if (Number(port) !== expected) problems.push(`${name}: health check on port ${port}, but the service listens on ${expected}`);
        if (!served(name as ServiceName).has(urlPath!)) problems.push(`${name}: health check asks ${urlPath}, which the code does not serve`);
        if (urlPath !== '/readyz') problems.push(`${name}: health check asks ${urlPath}; healthy should mean ready (/readyz)`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('starts our services only after healthy databases and a finished migration', () => {
    const problems: string[] = [];
    const needs = (name: string, svc: Node, dep: string, condition: string) => {
      if (svc.depends_on?.[dep]?.condition !== condition) problems.push(`${name}: should depend on ${dep} with condition ${condition}`);
      if (condition === 'service_healthy' && !compose.services[dep]?.healthcheck) problems.push(`${dep}: has no health check, yet ${name} waits for it to be healthy`);
    };
    for (const [name, svc] of composeLongRunning) {
      needs(name, svc, 'postgres', 'service_healthy');
      needs(name, svc, 'redis', 'service_healthy');
      needs(name, svc, MIGRATE, 'service_completed_successfully');
    }
    needs(MIGRATE, compose.services[MIGRATE], 'postgres', 'service_healthy');
    expect(problems).toEqual([]);
  });

  test('mounts one named volume at DATA_DIR in every long-running service', () => {
    const problems: string[] = [];
    const volumes = new Set<string>();
    for (const [name, svc] of composeLongRunning) {
      const dataDir = composeEnv(svc).DATA_DIR ?? DEFAULTS.dataDir;
      const mount = (svc.volumes ?? []).map(String).find((v: string) => v.split(':')[1] === dataDir);
      const volume = mount?.split(':')[0];
      if (!volume || !(volume in (compose.volumes ?? {}))) problems.push(`${name}: no named volume of the compose file at DATA_DIR (${dataDir})`);
      else volumes.add(volume);
    }
    if (volumes.size > 1) problems.push(`the services keep DATA_DIR on different volumes: ${[...volumes].join(', ')}`);
    expect(problems).toEqual([]);
  });
});

// --- k8s/ ---

interface Manifest {
  file: string;
  doc: Node;
}
const K8S_FILES = readdirSync(path.join(ROOT, 'k8s')).filter((f) => /\.ya?ml$/.test(f));
const manifests: Manifest[] = K8S_FILES.flatMap((file) =>
  parseAllDocuments(read(`k8s/${file}`)).map((document) => {
    if (document.errors.length) throw new Error(`k8s/${file}: ${document.errors.map((e) => e.message).join('; ')}`);
    return { file, doc: document.toJS() };
  }),
).filter((m) => m.doc);
const ofKind = (kind: string): Manifest[] => manifests.filter((m) => m.doc.kind === kind);
const named = (kind: string, name: string): Node | undefined => ofKind(kind).find((m) => m.doc.metadata?.name === name)?.doc;
const where = (m: Manifest): string => `k8s/${m.file} ${m.doc.kind}/${m.doc.metadata?.name}`;

const COMPONENT = 'app.kubernetes.io/component';
const deployments = ofKind('Deployment');
const deploymentOf = (service: string): Manifest | undefined => deployments.find((m) => m.doc.spec.template.metadata.labels?.[COMPONENT] === service);
const podSpec = (m: Manifest): Node => m.doc.spec.template.spec;
const mainContainer = (m: Manifest): Node => podSpec(m).containers[0];
const argv = (container: Node): string[] => [...(container.command ?? []), ...(container.args ?? [])];

/** Keys of a ConfigMap or Secret, with their values (a Secret's data decoded). */
function keysOf(kind: 'ConfigMap' | 'Secret', name: string): Env | undefined {
  const doc = named(kind, name);
  if (!doc) return undefined;
  const decoded = Object.fromEntries(Object.entries<string>(doc.data ?? {}).map(([k, v]) => [k, kind === 'Secret' ? Buffer.from(v, 'base64').toString() : v]));
  return { ...decoded, ...(doc.stringData ?? {}) };
}

/** The environment a container gets, from envFrom and env, and problems resolving it. */
function containerEnv(label: string, container: Node): { env: Env; problems: string[] } {
  const env: Env = {};
  const problems: string[] = [];
  for (const from of container.envFrom ?? []) {
    const [kind, ref] = from.configMapRef ? (['ConfigMap', from.configMapRef] as const) : (['Secret', from.secretRef] as const);
    const keys = keysOf(kind, ref.name);
    if (keys) Object.assign(env, keys);
    else problems.push(`${label}: envFrom names ${kind} ${ref.name}, which k8s/ does not define`);
  }
  for (const e of container.env ?? []) env[e.name] = e.value ?? '';
  return { env, problems };
}

/** A container port by number or by name. */
function resolvePort(container: Node, port: number | string): number | undefined {
  return typeof port === 'number' ? port : container.ports?.find((p: Node) => p.name === port)?.containerPort;
}

const configMapEnv = (): Env => keysOf('ConfigMap', 'recs-config') ?? {};

describe('k8s manifests', () => {
  test('the kustomization lists every manifest file in k8s/, and each file it lists exists', () => {
    const kustomization = ofKind('Kustomization')[0]?.doc;
    expect(kustomization).toBeDefined();
    expect([...kustomization.resources].sort()).toEqual(K8S_FILES.filter((f) => f !== 'kustomization.yaml').sort());
  });

  test('set no namespace, so they install into any', () => {
    expect(manifests.filter((m) => m.doc.metadata?.namespace !== undefined || m.doc.namespace !== undefined).map(where)).toEqual([]);
  });

  test("runs each service in its own Deployment with its workspace's compiled main", () => {
    const problems: string[] = [];
    for (const m of deployments) {
      const service = m.doc.spec.template.metadata.labels?.[COMPONENT];
      if (!exists(`services/${service}/src/main.ts`)) problems.push(`${where(m)}: component ${service} has no services/${service}/src/main.ts`);
      const selector = m.doc.spec.selector?.matchLabels ?? {};
      for (const [k, v] of Object.entries(selector)) if (m.doc.spec.template.metadata.labels?.[k] !== v) problems.push(`${where(m)}: selector ${k}=${v} does not match its pods`);
      problems.push(...serviceCommandProblems(where(m), service, argv(mainContainer(m))));
    }
    for (const service of SERVICE_NAMES) if (deployments.filter((m) => m.doc.spec.template.metadata.labels?.[COMPONENT] === service).length !== 1) problems.push(`${service}: should have exactly one Deployment`);
    expect(problems).toEqual([]);
  });

  test('gives every pod only variables the config loader reads, from a ConfigMap and Secret that exist, with values it accepts', () => {
    const pods = [...deployments, ...ofKind('Job')];
    const problems = pods.flatMap((m) =>
      podSpec(m).containers.flatMap((container: Node) => {
        const { env, problems: refs } = containerEnv(`${where(m)} ${container.name}`, container);
        return [...refs, ...envProblems(`${where(m)} ${container.name}`, env)];
      }),
    );
    expect(problems).toEqual([]);
  });

  test("probes /readyz for readiness and /healthz for liveness on each service's own port, and scrapes /metrics there", () => {
    const problems: string[] = [];
    for (const service of SERVICE_NAMES) {
      const m = deploymentOf(service);
      if (!m) continue;
      const container = mainContainer(m);
      const expected = healthPort(service, containerEnv('', container).env);
      const paths = served(service);
      for (const port of container.ports ?? []) if (port.containerPort !== expected) problems.push(`${where(m)}: containerPort ${port.containerPort}, but the service listens on ${expected}`);
      const probes: [string, string | undefined][] = [
        ['readinessProbe', '/readyz'],
        ['livenessProbe', '/healthz'],
        ['startupProbe', undefined],
      ];
      for (const [kind, wanted] of probes) {
        const probe = container[kind]?.httpGet;
        if (!probe) {
          if (wanted) problems.push(`${where(m)}: no ${kind}`);
          continue;
        }
        if (wanted && probe.path !== wanted) problems.push(`${where(m)}: ${kind} asks ${probe.path}, not ${wanted}`);
        if (!paths.has(probe.path)) problems.push(`${where(m)}: ${kind} asks ${probe.path}, which the code does not serve`);
        const port = resolvePort(container, probe.port);
        if (port !== expected) problems.push(`${where(m)}: ${kind} on port ${probe.port} (${port}), but the service listens on ${expected}`);
      }
      const annotations = m.doc.spec.template.metadata.annotations ?? {};
      if (annotations['prometheus.io/port'] && Number(annotations['prometheus.io/port']) !== expected) problems.push(`${where(m)}: metrics scraped on ${annotations['prometheus.io/port']}, not ${expected}`);
      if (annotations['prometheus.io/path'] && !paths.has(annotations['prometheus.io/path'])) problems.push(`${where(m)}: metrics path ${annotations['prometheus.io/path']} is not served`);
    }
    expect(SERVED.web.has('/metrics') && SERVED.worker.has('/metrics')).toBe(true);
    expect(problems).toEqual([]);
  });

  test('gives each pod time to finish its graceful shutdown, and sets its resources', () => {
    const problems: string[] = [];
    for (const m of deployments) {
      const spec = podSpec(m);
      const container = mainContainer(m);
      const grace = spec.terminationGracePeriodSeconds ?? 30;
      const preStop = container.lifecycle?.preStop?.exec?.command;
      const preStopSeconds = preStop?.[0] === 'sleep' ? Number(preStop[1]) : 0;
      if (grace < 15) problems.push(`${where(m)}: terminationGracePeriodSeconds ${grace} < 15`);
      if (grace <= preStopSeconds + SHUTDOWN_DEADLINE_S) problems.push(`${where(m)}: ${grace} s grace leaves no room for ${preStopSeconds} s preStop and the ${SHUTDOWN_DEADLINE_S} s shutdown deadline`);
      const { requests = {}, limits = {} } = container.resources ?? {};
      if (!requests.cpu || !requests.memory || !limits.memory) problems.push(`${where(m)}: needs cpu and memory requests and a memory limit`);
    }
    expect(problems).toEqual([]);
  });

  test('routes the Ingress, on the host of PUBLIC_URL, through the web Service to the port web listens on', () => {
    const problems: string[] = [];
    const web = deploymentOf('web')!;
    const webPort = healthPort('web', containerEnv('', mainContainer(web)).env);
    const podLabels = web.doc.spec.template.metadata.labels;
    const services = ofKind('Service').filter((m) => Object.entries(m.doc.spec.selector ?? {}).every(([k, v]) => podLabels[k] === v));
    if (services.length !== 1) problems.push(`web: ${services.length} Services select its pods, expected 1`);
    for (const svc of services) {
      for (const port of svc.doc.spec.ports) {
        if (resolvePort(mainContainer(web), port.targetPort ?? port.port) !== webPort) problems.push(`${where(svc)}: targetPort ${port.targetPort} is not web's port ${webPort}`);
      }
    }
    const ingresses = ofKind('Ingress');
    if (!ingresses.length) problems.push('web: no Ingress');
    const publicHost = new URL(configMapEnv().PUBLIC_URL ?? DEFAULTS.web.publicUrl).host;
    for (const ing of ingresses) {
      for (const rule of ing.doc.spec.rules) {
        if (rule.host !== publicHost) problems.push(`${where(ing)}: host ${rule.host}, but PUBLIC_URL is on ${publicHost}`);
        for (const p of rule.http.paths) {
          const backend = p.backend.service;
          const svc = services.find((s) => s.doc.metadata.name === backend.name);
          if (!svc) problems.push(`${where(ing)}: backend ${backend.name} is not the web Service`);
          else if (!svc.doc.spec.ports.some((sp: Node) => sp.name === backend.port.name || sp.port === backend.port.number)) problems.push(`${where(ing)}: backend port ${JSON.stringify(backend.port)} is not a port of ${backend.name}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test("migrates in a Job running the CLI's migrate command", () => {
    const jobs = ofKind('Job');
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(migrateCommandProblems(where(job), argv(mainContainer(job)))).toEqual([]);
  });

  test("scales each worker with KEDA on its own queue's BullMQ wait list under the default prefix", () => {
    const problems: string[] = [];
    const prefix = parseConfig({ QUEUE_PREFIX: configMapEnv().QUEUE_PREFIX }).redis.prefix;
    if (prefix !== DEFAULTS.redis.prefix) problems.push(`recs-config sets QUEUE_PREFIX ${prefix}, not the default ${DEFAULTS.redis.prefix}`);
    const scaled = ofKind('ScaledObject');
    for (const worker of WORKERS) {
      const deployment = deploymentOf(worker);
      const objects = scaled.filter((m) => m.doc.spec.scaleTargetRef.name === deployment?.doc.metadata.name);
      if (objects.length !== 1) {
        problems.push(`${worker}: ${objects.length} ScaledObjects target its Deployment, expected 1`);
        continue;
      }
      const so = objects[0]!;
      const triggers = so.doc.spec.triggers;
      if (triggers.length !== 1 || triggers[0].type !== 'redis') problems.push(`${where(so)}: expected one redis trigger`);
      const trigger = triggers[0];
      const queue = QUEUES[worker];
      if (!QUEUE_NAMES.includes(queue)) problems.push(`${worker}: has no queue in shared/src/jobs/catalogue.ts`);
      const wanted = `${DEFAULTS.redis.prefix}:${queue}:wait`;
      if (trigger.metadata.listName !== wanted) problems.push(`${where(so)}: listName ${trigger.metadata.listName}, expected ${wanted}`);
      if (!(Number(trigger.metadata.listLength) > 0)) problems.push(`${where(so)}: listLength should be a positive number`);
      const auth = named('TriggerAuthentication', trigger.authenticationRef?.name ?? '');
      const address = auth?.spec.secretTargetRef?.find((r: Node) => r.parameter === 'address');
      if (!trigger.metadata.address && !address) problems.push(`${where(so)}: no Redis address, neither in the trigger nor in a TriggerAuthentication of k8s/`);
      if (address && !keysOf('Secret', address.name)?.[address.key]) problems.push(`${where(so)}: address from Secret ${address.name} key ${address.key}, which k8s/ does not define`);
    }
    for (const so of scaled) {
      const target = so.doc.spec.scaleTargetRef.name;
      if (!WORKERS.some((w) => deploymentOf(w)?.doc.metadata.name === target)) problems.push(`${where(so)}: targets ${target}, which is no worker's Deployment`);
    }
    expect(problems).toEqual([]);
  });
});

// --- Dockerfile ---

/** The Dockerfile's instructions, continuation lines joined, comments dropped, split into stages. */
function dockerfileStages(): { from: string; lines: string[] }[] {
  const lines = read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: { from: string; lines: string[] }[] = [];
  for (const line of lines) {
    if (/^FROM\s/i.test(line)) stages.push({ from: line, lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

describe('Dockerfile', () => {
  const stages = dockerfileStages();
  const runtime = stages.at(-1)!;
  const instructions = (stage: { lines: string[] }, name: string): string[] =>
    stage.lines.filter((l) => l.toUpperCase().startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());

  test('installs every workspace of package.json, so npm ci links them all', () => {
    const copies = stages.flatMap((s) => instructions(s, 'COPY'));
    const missing = WORKSPACES.filter((ws) => !copies.some((c) => c.startsWith(`${ws}/package.json `)));
    expect(missing).toEqual([]);
  });

  test("copies every service's compiled code into the image and starts web by default", () => {
    const copied = instructions(runtime, 'COPY').map((c) => c.split(/\s+/).at(-2)!.replace(/^\/app\//, ''));
    const problems = ['shared', ...SERVICE_NAMES.map((s) => `services/${s}`)]
      .filter((ws) => !copied.includes(`${ws}/dist`))
      .map((ws) => `the runtime stage does not copy ${ws}/dist`);
    for (const source of copied.filter((c) => c.startsWith('services/') || c.startsWith('shared/'))) {
      if (!source.endsWith('/dist') && !exists(source)) problems.push(`the runtime stage copies ${source}, which does not exist`);
    }
    const cmd = JSON.parse(instructions(runtime, 'CMD')[0] ?? 'null');
    problems.push(...serviceCommandProblems('Dockerfile CMD', 'web', cmd));
    expect(problems).toEqual([]);
  });

  test('sets only config variables in the image, and exposes the ports the services listen on', () => {
    const env = instructions(runtime, 'ENV').flatMap((e) => [...e.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)].map((m) => [m[1]!, m[2]!] as const));
    expect(envProblems('Dockerfile ENV', Object.fromEntries(env))).toEqual([]);
    const byNumber = (a: number, b: number) => a - b;
    const exposed = instructions(runtime, 'EXPOSE').flatMap((e) => e.split(/\s+/).map(Number)).sort(byNumber);
    expect(exposed).toEqual([DEFAULTS.web.port, ...Object.values(SERVICE_HEALTH_PORTS)].sort(byNumber));
  });
});

describe('both', () => {
  test('every service with a services/<name>/src/main.ts is a known service and appears in both compose and k8s', () => {
    const dirs = readdirSync(path.join(ROOT, 'services')).filter((d) => exists(`services/${d}/src/main.ts`));
    expect(dirs.sort()).toEqual([...SERVICE_NAMES].sort());
    const inCompose = SERVICE_NAMES.filter((s) => composeOurs.some(([n]) => n === s));
    const inK8s = SERVICE_NAMES.filter((s) => deploymentOf(s));
    expect({ inCompose, inK8s }).toEqual({ inCompose: [...SERVICE_NAMES], inK8s: [...SERVICE_NAMES] });
  });
});
