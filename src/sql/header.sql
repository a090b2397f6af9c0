-- supplymkt install script, assembled by the Makefile from src/sql/*.sql. Do not edit the generated file.
\echo Use "CREATE EXTENSION supplymkt" to load this file. \quit
