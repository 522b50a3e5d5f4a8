CREATE TYPE public.shelf_zone AS ENUM ('stacks', 'reference', 'archive');

CREATE SEQUENCE public.book_id_seq;

CREATE TABLE public.book (
    id bigint DEFAULT nextval('book_id_seq'::regclass) NOT NULL,
    shelf_id integer,
    title character varying(200) NOT NULL,
    pages integer DEFAULT 0 NOT NULL,
    slug text GENERATED ALWAYS AS (lower(title)) STORED,
    added_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT book_pkey PRIMARY KEY (id),
    CONSTRAINT book_pages_check CHECK (pages >= 0),
    CONSTRAINT book_title_not_blank CHECK (btrim(title::text) <> ''::text)
);

CREATE TABLE public.shelf (
    id integer GENERATED ALWAYS AS IDENTITY NOT NULL,
    zone shelf_zone DEFAULT 'stacks'::shelf_zone NOT NULL,
    label text COLLATE "C",
    CONSTRAINT shelf_pkey PRIMARY KEY (id),
    CONSTRAINT shelf_label_key UNIQUE (label)
);

ALTER SEQUENCE public.book_id_seq OWNED BY public.book.id;

ALTER TABLE public.book ADD CONSTRAINT book_shelf_id_fkey FOREIGN KEY (shelf_id) REFERENCES public.shelf (id) ON DELETE SET NULL;

CREATE UNIQUE INDEX book_open_shelf_idx ON public.book (shelf_id, title) WHERE pages > 0;

CREATE INDEX book_title_idx ON public.book (lower(title::text));
