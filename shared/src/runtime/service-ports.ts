/**
 * The port each service answers health and metrics on, unless HEALTH_PORT says otherwise.
 * The web service serves them on its own HTTP port (PORT).
 */
export const SERVICE_HEALTH_PORTS = {
  scheduler: 9101,
  extractor: 9102,
  loader: 9103,
  trainer: 9104,
} as const;

export type WorkerServiceName = keyof typeof SERVICE_HEALTH_PORTS;
export const SERVICE_NAMES = ['web', 'scheduler', 'extractor', 'loader', 'trainer'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
