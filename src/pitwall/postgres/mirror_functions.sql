-- The mirror's DDL and its state writes, as SECURITY DEFINER functions of pitwall_owner.
--
-- pitwall_loader owns nothing and is no member of pitwall_owner: it writes rows, and these
-- functions (EXECUTE granted to it alone) are the only way it gets a table created, swapped or
-- widened in schemas raw and clean, or a row of mirror.state written. Each one is narrow:
-- schemas raw and clean only, identifiers quoted with format('%I'), column types limited to
-- the mirror's canonical spellings (pitwall.postgres.typemap), and mirror.state rows checked
-- against the table they describe. search_path is pinned so no object of the caller's can
-- stand in for a catalog one.
--
-- Run by pitwall.postgres.roles.ensure_roles as pitwall_owner, in the bootstrap transaction.

CREATE OR REPLACE FUNCTION mirror.checked_schema(target_schema text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF target_schema IS NULL OR target_schema NOT IN ('raw', 'clean') THEN
    RAISE EXCEPTION 'the mirror writes schemas raw and clean only, not %', target_schema
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN target_schema;
END $fn$;

CREATE OR REPLACE FUNCTION mirror.checked_stage(stage text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF stage IS NULL OR right(stage, 13) <> '__pitwall_new' THEN
    RAISE EXCEPTION 'staging tables are named <table>__pitwall_new, not %', stage
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN stage;
END $fn$;

CREATE OR REPLACE FUNCTION mirror.column_definitions(names text[], types text[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  canonical CONSTANT text := '^(boolean|bytea|bigint|smallint|integer|text|real|double precision'
    '|date|time without time zone|timestamp without time zone|timestamp with time zone'
    '|interval|jsonb|numeric|numeric\([0-9]{1,4},[0-9]{1,4}\))(\[\])?$';
  bad text;
BEGIN
  IF cardinality(names) IS DISTINCT FROM cardinality(types) OR cardinality(names) = 0 THEN
    RAISE EXCEPTION 'one type per column, at least one column'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT t INTO bad FROM unnest(types) AS t WHERE t IS NULL OR t !~ canonical LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'column type % is not one the mirror uses', bad
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN (
    SELECT string_agg(format('%I %s', n, t), ', ' ORDER BY i)
    FROM unnest(names, types) WITH ORDINALITY AS c(n, t, i)
  );
END $fn$;

CREATE OR REPLACE FUNCTION mirror.create_stage(
  target_schema text, stage text, column_names text[], column_types text[]
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  PERFORM mirror.checked_schema(target_schema), mirror.checked_stage(stage);
  EXECUTE format('DROP TABLE IF EXISTS %I.%I', target_schema, stage);
  EXECUTE format(
    'CREATE TABLE %I.%I (%s)',
    target_schema, stage, mirror.column_definitions(column_names, column_types)
  );
END $fn$;

CREATE OR REPLACE FUNCTION mirror.swap_stage(
  target_schema text, stage text, target text, keys text[], stage_pkey text, target_pkey text
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  PERFORM mirror.checked_schema(target_schema), mirror.checked_stage(stage);
  IF cardinality(keys) > 0 THEN
    EXECUTE format(
      'ALTER TABLE %I.%I ADD CONSTRAINT %I PRIMARY KEY (%s)',
      target_schema, stage, stage_pkey,
      (SELECT string_agg(format('%I', k), ', ' ORDER BY i) FROM unnest(keys) WITH ORDINALITY AS u(k, i))
    );
  END IF;
  EXECUTE format('DROP TABLE IF EXISTS %I.%I', target_schema, target);
  EXECUTE format('ALTER TABLE %I.%I RENAME TO %I', target_schema, stage, target);
  IF cardinality(keys) > 0 THEN
    EXECUTE format(
      'ALTER TABLE %I.%I RENAME CONSTRAINT %I TO %I', target_schema, target, stage_pkey, target_pkey
    );
  END IF;
END $fn$;

CREATE OR REPLACE FUNCTION mirror.add_columns(
  target_schema text, target text, column_names text[], column_types text[]
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  PERFORM mirror.checked_schema(target_schema);
  EXECUTE format(
    'ALTER TABLE %I.%I ADD COLUMN %s',
    target_schema, target,
    replace(mirror.column_definitions(column_names, column_types), ', ', ', ADD COLUMN ')
  );
END $fn$;

-- The one way to write mirror.state: the row must describe the table as it is (its row count
-- and primary key), so a state row never claims rows or keys the table does not have.
CREATE OR REPLACE FUNCTION mirror.record_state(
  target_schema text, target text, delta_version bigint, expected_rows bigint, strategy text,
  keys text[]
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  found_rows bigint;
  primary_key text[];
BEGIN
  PERFORM mirror.checked_schema(target_schema);
  IF strategy IS NULL OR strategy NOT IN ('swap', 'upsert') OR delta_version IS NULL
     OR delta_version < 0 THEN
    RAISE EXCEPTION 'invalid mirror state: version %, strategy %', delta_version, strategy
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  EXECUTE format('SELECT count(*) FROM %I.%I', target_schema, target) INTO found_rows;
  IF found_rows IS DISTINCT FROM expected_rows THEN
    RAISE EXCEPTION '%.% holds % rows, not %', target_schema, target, found_rows, expected_rows
      USING ERRCODE = 'data_exception';
  END IF;
  SELECT coalesce(array_agg(a.attname::text ORDER BY k.i), '{}') INTO primary_key
  FROM pg_constraint c
  CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, i)
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
  WHERE c.conrelid = format('%I.%I', target_schema, target)::regclass AND c.contype = 'p';
  IF primary_key IS DISTINCT FROM coalesce(keys, '{}') THEN
    RAISE EXCEPTION '%.% has primary key %, not %', target_schema, target, primary_key, keys
      USING ERRCODE = 'data_exception';
  END IF;
  INSERT INTO mirror.state AS s
    (schema_name, table_name, delta_version, rows, mirrored_at, strategy, keys)
  VALUES (target_schema, target, delta_version, found_rows, now(), strategy, coalesce(keys, '{}'))
  ON CONFLICT (schema_name, table_name) DO UPDATE SET
    delta_version = EXCLUDED.delta_version, rows = EXCLUDED.rows,
    mirrored_at = EXCLUDED.mirrored_at, strategy = EXCLUDED.strategy, keys = EXCLUDED.keys;
END $fn$;

REVOKE ALL ON FUNCTION
  mirror.checked_schema(text),
  mirror.checked_stage(text),
  mirror.column_definitions(text[], text[]),
  mirror.create_stage(text, text, text[], text[]),
  mirror.swap_stage(text, text, text, text[], text, text),
  mirror.add_columns(text, text, text[], text[]),
  mirror.record_state(text, text, bigint, bigint, text, text[])
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  mirror.create_stage(text, text, text[], text[]),
  mirror.swap_stage(text, text, text, text[], text, text),
  mirror.add_columns(text, text, text[], text[]),
  mirror.record_state(text, text, bigint, bigint, text, text[])
TO pitwall_loader;
