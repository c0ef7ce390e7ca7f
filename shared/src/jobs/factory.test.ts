import { describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { createWorker, redisOptions, type HandlerMap } from './factory.js';

const log = pino({ level: 'silent' });
const conn = { url: 'redis://127.0.0.1:6379', prefix: 'unit' };

describe('the worker factory', () => {
  test('refuses to start a worker whose handlers do not match its queue\'s jobs', () => {
    const handlers = { pong: async () => undefined } as unknown as HandlerMap<'extractor'>;
    expect(() => createWorker('extractor', handlers, { conn, log })).toThrow('Queue "extractor" has jobs [extract, ping] but handlers for [pong]');
  });

  test('parses a Redis URL into connection options BullMQ can own', () => {
    expect(redisOptions('rediss://user:p%40ss@cache.internal:6380/2')).toMatchObject({
      host: 'cache.internal',
      port: 6380,
      username: 'user',
      password: 'p@ss',
      db: 2,
      tls: {},
      maxRetriesPerRequest: null,
    });
  });
});
