-- The town catalog's search falls back to trigram similarity when full-text search finds
-- nothing ("Burgnder" still finds "Spätburgunder"), and the projection's index on its
-- `fuzzy` column needs the operator class (decision 37). pg_trgm ships with PostgreSQL and
-- is a trusted extension since PostgreSQL 13: the database's owner may create it, without
-- a superuser, on a managed server too.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
