import { describe, expect, test } from '@jest/globals';
import { planSchemaChange, SchemaChangeError } from './schema-evolution.js';
import type { ColumnSpec } from './warehouse.js';

const col = (name: string, type: ColumnSpec['type'], nullable = false): ColumnSpec => ({ name, type, nullable });

describe('planSchemaChange', () => {
  test('a new source column is added, nullable', () => {
    const plan = planSchemaChange([col('id', 'INT64')], [col('id', 'INT64'), col('country', 'STRING')]);
    expect(plan.columns).toEqual([col('id', 'INT64'), col('country', 'STRING', true)]);
    expect(plan.changes).toEqual([{ kind: 'added', column: 'country', type: 'STRING' }]);
  });

  test.each([
    ['INT64', 'NUMERIC'],
    ['INT64', 'FLOAT64'],
    ['DATE', 'TIMESTAMP'],
    ['NUMERIC', 'BIGNUMERIC'],
  ] as const)('a widened type %s → %s is promoted', (from, to) => {
    const plan = planSchemaChange([col('x', from)], [col('x', to)]);
    expect(plan.columns[0]!.type).toBe(to);
    expect(plan.changes).toEqual([{ kind: 'promoted', column: 'x', from, to }]);
  });

  test('a narrower type that fits keeps the wider column unchanged', () => {
    const plan = planSchemaChange([col('price', 'NUMERIC')], [col('price', 'INT64')]);
    expect(plan.columns[0]!.type).toBe('NUMERIC');
    expect(plan.changes).toEqual([]);
    expect(planSchemaChange([col('code', 'STRING')], [col('code', 'INT64')]).changes).toEqual([]);
  });

  test('a change that would lose data fails with the column and both types', () => {
    expect(() => planSchemaChange([col('quantity', 'FLOAT64')], [col('quantity', 'DATE')])).toThrow(SchemaChangeError);
    expect(() => planSchemaChange([col('ts', 'TIMESTAMP')], [col('ts', 'INT64')])).toThrow('Column "ts" is TIMESTAMP in the warehouse but the source now sends INT64');
  });

  test('names match without regard to case, as the warehouse compares them', () => {
    const plan = planSchemaChange([col('CustomerID', 'INT64')], [col('customerid', 'INT64')]);
    expect(plan.columns).toHaveLength(1);
  });
});
