-- No role grants to PUBLIC, and only pitwall_owner (or a superuser) grants at all.
--
-- Privileges already keep the loader and the reader from granting anything that matters (they
-- own nothing and hold no grant option), but PostgreSQL answers such a GRANT with a warning,
-- and an object's owner may always grant on it. This event trigger turns both into errors:
-- after every GRANT or ALTER DEFAULT PRIVILEGES it refuses a non-owner grantor, and any PUBLIC
-- entry left on schemas raw, clean, mirror, on their tables, columns and functions, or in
-- default privileges. The statement is then rolled back.
--
-- Event triggers need a superuser: pitwall.postgres.roles.ensure_roles runs this when its
-- admin DSN is one (compose, the embedded server, the tests), and says so otherwise.

CREATE OR REPLACE FUNCTION mirror.refuse_public_grants() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  offending text;
BEGIN
  IF current_user <> 'pitwall_owner'
     AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RAISE EXCEPTION 'role % may not grant privileges in this database', current_user
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'only pitwall_owner grants, through the bootstrap';
  END IF;
  SELECT string_agg(DISTINCT granted_on, ', ') INTO offending FROM (
    SELECT format('schema %I', n.nspname) AS granted_on
    FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
    WHERE n.nspname IN ('raw', 'clean', 'mirror') AND a.grantee = 0
    UNION ALL
    SELECT c.oid::regclass::text
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL aclexplode(c.relacl) a
    WHERE n.nspname IN ('raw', 'clean', 'mirror') AND a.grantee = 0
    UNION ALL
    SELECT c.oid::regclass::text
    FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL aclexplode(t.attacl) a
    WHERE n.nspname IN ('raw', 'clean', 'mirror') AND a.grantee = 0
    UNION ALL
    SELECT p.oid::regprocedure::text
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
    WHERE n.nspname IN ('raw', 'clean', 'mirror') AND a.grantee = 0
      AND p.oid <> 'mirror.refuse_public_grants()'::regprocedure
    UNION ALL
    SELECT format('default privileges of %s', d.defaclrole::regrole)
    FROM pg_default_acl d CROSS JOIN LATERAL aclexplode(d.defaclacl) a
    WHERE a.grantee = 0
  ) AS public_grants;
  IF offending IS NOT NULL THEN
    RAISE EXCEPTION 'privileges may not be granted to PUBLIC (on %)', offending
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END $fn$;

-- executable by PUBLIC (its default): it runs as whoever issues the GRANT, and only as a trigger
DROP EVENT TRIGGER IF EXISTS pitwall_refuse_public_grants;
CREATE EVENT TRIGGER pitwall_refuse_public_grants ON ddl_command_end
  WHEN TAG IN ('GRANT', 'ALTER DEFAULT PRIVILEGES')
  EXECUTE FUNCTION mirror.refuse_public_grants();
