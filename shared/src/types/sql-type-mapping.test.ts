import { describe, expect, test } from '@jest/globals';
import { mapBigQueryType, mapMysqlType, mapPostgresType } from './sql-type-mapping.js';

describe('mapPostgresType', () => {
  test.each([
    ['smallint', 'int2'], ['integer', 'int4'], ['bigint', 'int8'], ['serial', undefined], ['bigserial', undefined], ['smallserial', undefined],
  ])('%s is INT64 without a note', (dataType, udt) => {
    expect(mapPostgresType(dataType, udt)).toEqual({ type: 'INT64', confidence: 1 });
  });

  test.each(['real', 'double precision', 'float8'])('%s is FLOAT64', (dataType) => {
    expect(mapPostgresType(dataType)).toEqual({ type: 'FLOAT64', confidence: 1 });
  });

  test('Pagila\'s film columns map as a user would expect', () => {
    // Taken from information_schema.columns of Pagila's film table: data_type, udt_name, precision, scale.
    expect(mapPostgresType('integer', 'int4')).toMatchObject({ type: 'INT64', confidence: 1 });
    expect(mapPostgresType('text', 'text')).toEqual({ type: 'STRING', confidence: 1 });
    expect(mapPostgresType('smallint', 'int2')).toMatchObject({ type: 'INT64' });
    expect(mapPostgresType('numeric', 'numeric', { numericPrecision: 4, numericScale: 2 })).toEqual({ type: 'NUMERIC', confidence: 1 });
    expect(mapPostgresType('numeric', 'numeric', { numericPrecision: 5, numericScale: 2 })).toEqual({ type: 'NUMERIC', confidence: 1 });
    expect(mapPostgresType('timestamp with time zone', 'timestamptz')).toEqual({ type: 'TIMESTAMP', confidence: 1 });
    expect(mapPostgresType('tsvector', 'tsvector')).toMatchObject({ type: 'STRING', note: expect.stringContaining('full-text') });
  });

  test('Pagila\'s mpaa_rating enum is STRING kept as its labels', () => {
    expect(mapPostgresType('USER-DEFINED', 'mpaa_rating', { isEnum: true })).toEqual({
      type: 'STRING', confidence: 1, note: 'the enum mpaa_rating is kept as its labels',
    });
  });

  test('Pagila\'s special_features text[] is a repeated JSON array of STRING', () => {
    const suggestion = mapPostgresType('ARRAY', '_text');
    expect(suggestion).toMatchObject({ type: 'JSON', repeated: true, confidence: 0.9 });
    expect(suggestion.note).toContain('array of text (STRING elements)');
  });

  test('Pagila\'s release_year keeps its base type and names the domain', () => {
    const suggestion = mapPostgresType('integer', 'int4', { domainName: 'year' });
    expect(suggestion.type).toBe('INT64');
    expect(suggestion.note).toContain('domain year');
  });

  test('a domain whose base type is unknown is text with low confidence', () => {
    const suggestion = mapPostgresType('USER-DEFINED', 'us_postal_code', { domainName: 'us_postal_code' });
    expect(suggestion).toMatchObject({ type: 'STRING', confidence: 0.3 });
    expect(suggestion.note).toContain('us_postal_code');
  });

  test('Pagila\'s staff picture (bytea) is BYTES', () => {
    expect(mapPostgresType('bytea', 'bytea')).toEqual({ type: 'BYTES', confidence: 1 });
  });

  test('a type written by format_type, numeric(5,2), is read with its modifiers', () => {
    expect(mapPostgresType('numeric(5,2)')).toEqual({ type: 'NUMERIC', confidence: 1 });
    expect(mapPostgresType('timestamp(3) with time zone')).toMatchObject({ type: 'TIMESTAMP' });
    expect(mapPostgresType('character varying(255)')).toMatchObject({ type: 'STRING' });
  });

  test('format_type arrays such as integer[] are repeated JSON of their element', () => {
    const suggestion = mapPostgresType('integer[]');
    expect(suggestion).toMatchObject({ type: 'JSON', repeated: true });
    expect(suggestion.note).toContain('INT64 elements');
  });

  test('an array of numeric notes that its elements are unconstrained', () => {
    expect(mapPostgresType('ARRAY', '_numeric').note).toContain('BIGNUMERIC elements');
  });

  test('numeric needs 29 whole digits at most to be NUMERIC, not only precision 38', () => {
    expect(mapPostgresType('numeric', undefined, { numericPrecision: 38, numericScale: 9 })).toMatchObject({ type: 'NUMERIC' });
    expect(mapPostgresType('numeric', undefined, { numericPrecision: 29, numericScale: 0 })).toMatchObject({ type: 'NUMERIC' });
    expect(mapPostgresType('numeric', undefined, { numericPrecision: 38, numericScale: 0 })).toMatchObject({ type: 'BIGNUMERIC', confidence: 1 });
    expect(mapPostgresType('numeric', undefined, { numericPrecision: 20, numericScale: 12 })).toMatchObject({ type: 'BIGNUMERIC', confidence: 1 });
  });

  test('numeric without precision is BIGNUMERIC with a warning about size', () => {
    const suggestion = mapPostgresType('numeric', 'numeric', { numericPrecision: null, numericScale: null });
    expect(suggestion).toMatchObject({ type: 'BIGNUMERIC', confidence: 0.8 });
    expect(suggestion.note).toContain('without precision');
  });

  test('numeric too wide even for BIGNUMERIC stays text, and too many decimals are rounded', () => {
    expect(mapPostgresType('numeric(60,2)')).toMatchObject({ type: 'STRING', confidence: 0.6 });
    expect(mapPostgresType('numeric(50,45)')).toMatchObject({ type: 'BIGNUMERIC', confidence: 0.7 });
  });

  test('money is NUMERIC with a note that formatting is dropped', () => {
    expect(mapPostgresType('money')).toMatchObject({ type: 'NUMERIC', confidence: 0.9, note: expect.stringContaining('currency') });
  });

  test.each(['boolean', 'bool'])('%s is BOOL', (dataType) => {
    expect(mapPostgresType(dataType)).toEqual({ type: 'BOOL', confidence: 1 });
  });

  test.each([
    ['character varying', 'varchar'], ['character', 'bpchar'], ['text', 'text'], ['name', 'name'],
    ['inet', 'inet'], ['cidr', 'cidr'], ['macaddr', 'macaddr'], ['"char"', 'char'],
  ])('%s is STRING', (dataType, udt) => {
    expect(mapPostgresType(dataType, udt)).toMatchObject({ type: 'STRING', confidence: 1 });
  });

  test('citext, an extension type reported as USER-DEFINED, is STRING', () => {
    expect(mapPostgresType('USER-DEFINED', 'citext')).toEqual({ type: 'STRING', confidence: 1 });
  });

  test('uuid is STRING with a note on its form', () => {
    expect(mapPostgresType('uuid', 'uuid')).toMatchObject({ type: 'STRING', note: expect.stringContaining('36-character') });
  });

  test.each(['xml', 'tsquery'])('%s is STRING with a note', (dataType) => {
    expect(mapPostgresType(dataType)).toMatchObject({ type: 'STRING', note: expect.any(String) });
  });

  test('dates and times keep their meaning; timestamp without zone is DATETIME', () => {
    expect(mapPostgresType('date', 'date')).toEqual({ type: 'DATE', confidence: 1 });
    expect(mapPostgresType('time without time zone', 'time')).toEqual({ type: 'TIME', confidence: 1 });
    expect(mapPostgresType('timestamp without time zone', 'timestamp')).toEqual({ type: 'DATETIME', confidence: 1 });
    expect(mapPostgresType('timestamptz')).toEqual({ type: 'TIMESTAMP', confidence: 1 });
  });

  test('time with time zone is TIME and warns that the offset is dropped', () => {
    expect(mapPostgresType('time with time zone', 'timetz')).toMatchObject({ type: 'TIME', confidence: 0.8, note: expect.stringContaining('offset') });
  });

  test('interval is text as an ISO 8601 duration', () => {
    expect(mapPostgresType('interval', 'interval')).toMatchObject({ type: 'STRING', note: expect.stringContaining('ISO 8601 duration') });
  });

  test.each([['bit', 'bit'], ['bit varying', 'varbit']])('%s is STRING of 0s and 1s', (dataType, udt) => {
    expect(mapPostgresType(dataType, udt)).toMatchObject({ type: 'STRING', note: expect.stringContaining('0s and 1s') });
  });

  test('json, jsonb and hstore are JSON', () => {
    expect(mapPostgresType('json')).toEqual({ type: 'JSON', confidence: 1 });
    expect(mapPostgresType('jsonb', 'jsonb')).toEqual({ type: 'JSON', confidence: 1 });
    expect(mapPostgresType('USER-DEFINED', 'hstore')).toMatchObject({ type: 'JSON', note: expect.stringContaining('hstore') });
  });

  test('PostGIS geography is GEOGRAPHY, geometry GEOGRAPHY with a warning about SRIDs', () => {
    expect(mapPostgresType('USER-DEFINED', 'geography')).toMatchObject({ type: 'GEOGRAPHY', confidence: 0.95 });
    expect(mapPostgresType('USER-DEFINED', 'geometry')).toMatchObject({ type: 'GEOGRAPHY', confidence: 0.7, note: expect.stringContaining('SRID 4326') });
  });

  test.each(['point', 'line', 'lseg', 'box', 'path', 'polygon', 'circle'])('built-in geometric %s is text, since it is not longitude/latitude', (dataType) => {
    expect(mapPostgresType(dataType)).toMatchObject({ type: 'STRING', confidence: 0.6, note: expect.stringContaining('flat plane') });
  });

  test.each(['int4range', 'tstzrange', 'daterange', 'datemultirange'])('range %s is text with a low confidence', (dataType) => {
    expect(mapPostgresType(dataType)).toMatchObject({ type: 'STRING', confidence: 0.5, note: expect.stringContaining('range') });
  });

  test('a user-defined range type is recognised by its name', () => {
    expect(mapPostgresType('USER-DEFINED', 'floatrange')).toMatchObject({ type: 'STRING', confidence: 0.5 });
  });

  test('an unknown composite type is text with a low confidence and says so', () => {
    const suggestion = mapPostgresType('USER-DEFINED', 'inventory_item');
    expect(suggestion).toMatchObject({ type: 'STRING', confidence: 0.3 });
    expect(suggestion.note).toContain('inventory_item');
  });

  test('an array of enums carries the enum through', () => {
    expect(mapPostgresType('ARRAY', '_mpaa_rating', { isEnum: true })).toMatchObject({ type: 'JSON', repeated: true, confidence: 0.9 });
  });

  test('an ARRAY without its udt_name is JSON but unsure', () => {
    expect(mapPostgresType('ARRAY')).toMatchObject({ type: 'JSON', confidence: 0.5 });
  });
});

describe('mapMysqlType', () => {
  test('Sakila\'s column types map as a user would expect', () => {
    expect(mapMysqlType('smallint(5) unsigned')).toEqual({ type: 'INT64', confidence: 1 });
    expect(mapMysqlType('tinyint(3) unsigned')).toEqual({ type: 'INT64', confidence: 1 });
    expect(mapMysqlType('smallint unsigned')).toEqual({ type: 'INT64', confidence: 1 });
    expect(mapMysqlType("enum('G','PG','PG-13','R','NC-17')")).toMatchObject({ type: 'STRING', confidence: 1 });
    expect(mapMysqlType("set('Trailers','Commentaries','Deleted Scenes','Behind the Scenes')")).toMatchObject({ type: 'STRING', confidence: 0.9 });
    expect(mapMysqlType('year(4)')).toEqual({ type: 'INT64', confidence: 1 });
    expect(mapMysqlType('year')).toEqual({ type: 'INT64', confidence: 1 });
    expect(mapMysqlType('geometry')).toMatchObject({ type: 'GEOGRAPHY', confidence: 0.7 });
    expect(mapMysqlType('blob')).toEqual({ type: 'BYTES', confidence: 1 });
    expect(mapMysqlType('decimal(5,2)')).toEqual({ type: 'NUMERIC', confidence: 1 });
    expect(mapMysqlType('timestamp')).toEqual({ type: 'TIMESTAMP', confidence: 1 });
    expect(mapMysqlType('datetime')).toEqual({ type: 'DATETIME', confidence: 1 });
    expect(mapMysqlType('text')).toEqual({ type: 'STRING', confidence: 1 });
  });

  test('an enum whose labels hold commas and parentheses is still an enum', () => {
    expect(mapMysqlType("enum('a,b','(c)','d'' e')")).toMatchObject({ type: 'STRING', note: expect.stringContaining('enum') });
  });

  test('tinyint(1) is BOOL with a note that other values become true', () => {
    expect(mapMysqlType('tinyint(1)')).toMatchObject({ type: 'BOOL', confidence: 0.8, note: expect.stringContaining('BOOLEAN') });
  });

  test('tinyint without a width (MySQL 8 writes tinyint(1) only for booleans) is INT64', () => {
    expect(mapMysqlType('tinyint')).toEqual({ type: 'INT64', confidence: 1 });
    expect(mapMysqlType('tinyint(4)')).toEqual({ type: 'INT64', confidence: 1 });
  });

  test('bigint unsigned is NUMERIC because it can exceed INT64', () => {
    expect(mapMysqlType('bigint(20) unsigned')).toMatchObject({ type: 'NUMERIC', confidence: 0.9, note: expect.stringContaining('18446744073709551615') });
    expect(mapMysqlType('bigint unsigned')).toMatchObject({ type: 'NUMERIC' });
    expect(mapMysqlType('bigint(20)')).toEqual({ type: 'INT64', confidence: 1 });
  });

  test('zerofill integers stay INT64 and say how wide to pad them', () => {
    const suggestion = mapMysqlType('int(10) unsigned zerofill');
    expect(suggestion).toMatchObject({ type: 'INT64', confidence: 0.9 });
    expect(suggestion.note).toContain('to 10 digits');
  });

  test('a zerofill bigint is unsigned, so NUMERIC', () => {
    expect(mapMysqlType('bigint(20) unsigned zerofill')).toMatchObject({ type: 'NUMERIC' });
  });

  test.each(['int(11)', 'int', 'mediumint(8) unsigned', 'integer'])('%s is INT64', (columnType) => {
    expect(mapMysqlType(columnType)).toEqual({ type: 'INT64', confidence: 1 });
  });

  test('decimals follow the NUMERIC and BIGNUMERIC limits, and bare decimal is decimal(10,0)', () => {
    expect(mapMysqlType('decimal(12,2)')).toEqual({ type: 'NUMERIC', confidence: 1 });
    expect(mapMysqlType('decimal(12,2) unsigned')).toEqual({ type: 'NUMERIC', confidence: 1 });
    expect(mapMysqlType('decimal')).toEqual({ type: 'NUMERIC', confidence: 1 });
    expect(mapMysqlType('decimal(65,30)')).toMatchObject({ type: 'BIGNUMERIC', confidence: 1 });
    expect(mapMysqlType('decimal(65,0)')).toMatchObject({ type: 'STRING', confidence: 0.6 });
  });

  test.each(['float', 'double', 'float(7,4)', 'double unsigned'])('%s is FLOAT64', (columnType) => {
    expect(mapMysqlType(columnType)).toEqual({ type: 'FLOAT64', confidence: 1 });
  });

  test('bit(1) is BOOL, wider bits an integer, and bit(64) bytes', () => {
    expect(mapMysqlType('bit(1)')).toMatchObject({ type: 'BOOL' });
    expect(mapMysqlType('bit')).toMatchObject({ type: 'BOOL' });
    expect(mapMysqlType('bit(8)')).toMatchObject({ type: 'INT64', note: expect.stringContaining('bit(8)') });
    expect(mapMysqlType('bit(64)')).toMatchObject({ type: 'BYTES', note: expect.stringContaining('8 bytes') });
  });

  test('temporal types keep their meaning, with fractional seconds', () => {
    expect(mapMysqlType('datetime(6)')).toEqual({ type: 'DATETIME', confidence: 1 });
    expect(mapMysqlType('timestamp(3)')).toEqual({ type: 'TIMESTAMP', confidence: 1 });
    expect(mapMysqlType('date')).toEqual({ type: 'DATE', confidence: 1 });
  });

  test('time warns that durations beyond a day do not fit', () => {
    expect(mapMysqlType('time')).toMatchObject({ type: 'TIME', confidence: 0.8, note: expect.stringContaining('838:59:59') });
  });

  test('json is JSON, and MariaDB\'s json (a longtext) is JSON only with the hint', () => {
    expect(mapMysqlType('json')).toEqual({ type: 'JSON', confidence: 1 });
    expect(mapMysqlType('longtext')).toEqual({ type: 'STRING', confidence: 1 });
    expect(mapMysqlType('longtext', { isJson: true })).toMatchObject({ type: 'JSON', note: expect.stringContaining('MariaDB') });
  });

  test.each(['char(36)', 'varchar(255)', 'tinytext', 'mediumtext', 'longtext'])('%s is STRING', (columnType) => {
    expect(mapMysqlType(columnType)).toEqual({ type: 'STRING', confidence: 1 });
  });

  test('binaries are BYTES, and 16 bytes hint at a UUID', () => {
    expect(mapMysqlType('varbinary(16)')).toMatchObject({ type: 'BYTES', confidence: 1, note: expect.stringContaining('UUID') });
    expect(mapMysqlType('binary(4)')).toEqual({ type: 'BYTES', confidence: 1 });
    expect(mapMysqlType('longblob')).toEqual({ type: 'BYTES', confidence: 1 });
  });

  test.each(['point', 'linestring', 'polygon', 'multipolygon', 'geometrycollection', 'geomcollection'])('spatial %s is GEOGRAPHY', (columnType) => {
    expect(mapMysqlType(columnType)).toMatchObject({ type: 'GEOGRAPHY', note: expect.stringContaining('SRID 4326') });
  });

  test('MariaDB\'s uuid and inet6 are STRING', () => {
    expect(mapMysqlType('uuid')).toMatchObject({ type: 'STRING' });
    expect(mapMysqlType('inet6')).toEqual({ type: 'STRING', confidence: 1 });
  });

  test('upper case and extra spaces are read the same', () => {
    expect(mapMysqlType('  INT(10) UNSIGNED ')).toEqual({ type: 'INT64', confidence: 1 });
  });

  test('an unknown type is text with a low confidence', () => {
    expect(mapMysqlType('hologram(3)')).toMatchObject({ type: 'STRING', confidence: 0.3, note: expect.stringContaining('hologram(3)') });
  });
});

describe('mapBigQueryType', () => {
  test.each(['STRING', 'INT64', 'FLOAT64', 'NUMERIC', 'BIGNUMERIC', 'BOOL', 'DATE', 'TIME', 'DATETIME', 'TIMESTAMP', 'JSON', 'BYTES', 'GEOGRAPHY'])(
    'canonical %s maps to itself',
    (type) => {
      expect(mapBigQueryType(type)).toEqual({ type, confidence: 1 });
    },
  );

  test.each([['INTEGER', 'INT64'], ['FLOAT', 'FLOAT64'], ['BOOLEAN', 'BOOL'], ['DECIMAL', 'NUMERIC'], ['BIGDECIMAL', 'BIGNUMERIC'], ['int64', 'INT64']])(
    'legacy name %s is %s',
    (legacy, canonical) => {
      expect(mapBigQueryType(legacy)).toEqual({ type: canonical, confidence: 1 });
    },
  );

  test('parameterized types are their base type', () => {
    expect(mapBigQueryType('STRING(10)')).toEqual({ type: 'STRING', confidence: 1 });
    expect(mapBigQueryType('NUMERIC(10, 2)')).toEqual({ type: 'NUMERIC', confidence: 1 });
  });

  test('RECORD and STRUCT are JSON objects', () => {
    expect(mapBigQueryType('RECORD')).toMatchObject({ type: 'JSON', confidence: 0.9 });
    expect(mapBigQueryType('STRUCT<name STRING, qty INT64>')).toMatchObject({ type: 'JSON' });
  });

  test('RANGE and INTERVAL are text', () => {
    expect(mapBigQueryType('RANGE')).toMatchObject({ type: 'STRING', confidence: 0.5 });
    expect(mapBigQueryType('RANGE<DATE>')).toMatchObject({ type: 'STRING' });
    expect(mapBigQueryType('INTERVAL')).toMatchObject({ type: 'STRING', confidence: 0.7 });
  });

  test('a REPEATED column is a JSON array noting its element type', () => {
    expect(mapBigQueryType('INTEGER', 'REPEATED')).toEqual({
      type: 'JSON', confidence: 0.9, repeated: true, note: 'a REPEATED INT64 column is kept as a JSON array',
    });
    expect(mapBigQueryType('RECORD', 'REPEATED')).toMatchObject({ type: 'JSON', repeated: true });
  });

  test('ARRAY<…> is a JSON array, whatever the mode says', () => {
    expect(mapBigQueryType('ARRAY<STRING>')).toMatchObject({ type: 'JSON', repeated: true, note: expect.stringContaining('STRING') });
    expect(mapBigQueryType('ARRAY<INT64>', 'NULLABLE')).toMatchObject({ type: 'JSON', repeated: true });
  });

  test('NULLABLE and REQUIRED do not change the type', () => {
    expect(mapBigQueryType('TIMESTAMP', 'REQUIRED')).toEqual({ type: 'TIMESTAMP', confidence: 1 });
    expect(mapBigQueryType('DATE', 'NULLABLE')).toEqual({ type: 'DATE', confidence: 1 });
  });

  test('an unknown type is text with a low confidence', () => {
    expect(mapBigQueryType('VECTOR')).toMatchObject({ type: 'STRING', confidence: 0.3 });
  });
});
