-- setup: runs first. The extension is loaded by pg_regress (--load-extension=supplymkt).
SELECT extname, extversion, extrelocatable, nspname AS schema
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE extname = 'supplymkt';
SET extra_float_digits = 0;
