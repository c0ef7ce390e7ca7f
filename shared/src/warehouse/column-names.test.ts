import { describe, expect, test } from '@jest/globals';
import { sanitizeColumnName, sanitizeColumnNames } from './column-names.js';

describe('column names for the warehouse', () => {
  test('only letters, digits and underscores, no leading digit, at most 300 characters', () => {
    expect(sanitizeColumnName('Unit Price (£)')).toBe('Unit_Price');
    expect(sanitizeColumnName('2nd-address')).toBe('_2nd_address');
    expect(sanitizeColumnName('Straße café')).toBe('Strasse_cafe');
    expect(sanitizeColumnName('***')).toBe('column');
    expect(sanitizeColumnName('x'.repeat(400))).toHaveLength(300);
  });

  test('names that clash without regard to case get a suffix', () => {
    const mapped = sanitizeColumnNames(['Customer ID', 'customer_id', 'CUSTOMER-ID']).map((m) => m.destination);
    expect(mapped).toEqual(['Customer_ID', 'customer_id_2', 'CUSTOMER_ID_3']);
  });

  test('the mapping stays stable when a new clashing column appears before an old one', () => {
    const first = sanitizeColumnNames(['customer_id']);
    const second = sanitizeColumnNames(['Customer ID', 'customer_id'], first);
    expect(second).toEqual([
      { source: 'Customer ID', destination: 'Customer_ID_2' },
      { source: 'customer_id', destination: 'customer_id' },
    ]);
  });

  test('the metadata columns are reserved', () => {
    expect(sanitizeColumnNames(['_run_id', '_extracted_at']).map((m) => m.destination)).toEqual(['run_id', 'extracted_at']);
    expect(sanitizeColumnNames(['run id', '_run_id']).map((m) => m.destination)).toEqual(['run_id', 'run_id_2']);
  });
});
