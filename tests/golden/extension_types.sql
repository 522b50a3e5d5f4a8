CREATE EXTENSION IF NOT EXISTS citext;

CREATE EXTENSION IF NOT EXISTS hstore;

CREATE EXTENSION IF NOT EXISTS ltree;

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE public.categories (
    id bigint NOT NULL,
    path ltree NOT NULL,
    name citext NOT NULL,
    attributes hstore,
    PRIMARY KEY (id),
    UNIQUE (name)
);

CREATE INDEX categories_name_trgm ON public.categories USING gin (name gin_trgm_ops);

CREATE INDEX categories_path_idx ON public.categories USING gist (path);
