/**
 * BigQuery's numeric limits, which decide between INT64, NUMERIC and BIGNUMERIC. They are the
 * canonical warehouse's limits, so every warehouse can hold what fits them.
 */

/** Smallest INT64. */
export const INT64_MIN = -(2n ** 63n);
/** Largest INT64. */
export const INT64_MAX = 2n ** 63n - 1n;

/** NUMERIC has 38 digits of precision, 9 of them after the point, so 29 before it. */
export const NUMERIC_LIMITS = { integerDigits: 29, scale: 9 } as const;

/**
 * BIGNUMERIC has 76.76 digits of precision, 38 of them after the point. The ".76" means only some
 * 39-digit whole parts fit, so 38 is the number of whole digits that always fits.
 */
export const BIGNUMERIC_LIMITS = { integerDigits: 38, scale: 38 } as const;

/**
 * The narrowest exact decimal type that holds every value with up to `integerDigits` digits before
 * the point and `scale` after it, or undefined when not even BIGNUMERIC does.
 */
export function exactDecimalType(integerDigits: number, scale: number): 'NUMERIC' | 'BIGNUMERIC' | undefined {
  if (integerDigits <= NUMERIC_LIMITS.integerDigits && scale <= NUMERIC_LIMITS.scale) return 'NUMERIC';
  if (integerDigits <= BIGNUMERIC_LIMITS.integerDigits && scale <= BIGNUMERIC_LIMITS.scale) return 'BIGNUMERIC';
  return undefined;
}
