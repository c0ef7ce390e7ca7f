import { describe, expect, test } from '@jest/globals';
import { exactDecimalType, INT64_MAX, INT64_MIN } from './numeric-limits.js';

describe('exactDecimalType', () => {
  test('29 whole digits and 9 decimals is the edge of NUMERIC', () => {
    expect(exactDecimalType(29, 9)).toBe('NUMERIC');
    expect(exactDecimalType(30, 0)).toBe('BIGNUMERIC');
    expect(exactDecimalType(0, 10)).toBe('BIGNUMERIC');
  });

  test('38 whole digits and 38 decimals is the edge of BIGNUMERIC', () => {
    expect(exactDecimalType(38, 38)).toBe('BIGNUMERIC');
    expect(exactDecimalType(39, 0)).toBeUndefined();
    expect(exactDecimalType(0, 39)).toBeUndefined();
  });

  test('INT64 bounds are those of a signed 64-bit integer', () => {
    expect(INT64_MAX.toString()).toBe('9223372036854775807');
    expect(INT64_MIN.toString()).toBe('-9223372036854775808');
  });
});
