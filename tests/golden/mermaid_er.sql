CREATE TABLE public.author (
    id integer NOT NULL,
    name text,
    email text,
    PRIMARY KEY (id),
    UNIQUE (email)
);

CREATE TABLE public.comment (
    id integer NOT NULL,
    post_id integer,
    body text,
    PRIMARY KEY (id)
);

CREATE TABLE public.post (
    id integer NOT NULL,
    author_id integer,
    title text,
    published_at timestamp without time zone,
    PRIMARY KEY (id)
);

ALTER TABLE public.comment ADD FOREIGN KEY (post_id) REFERENCES public.post (id);

ALTER TABLE public.post ADD FOREIGN KEY (author_id) REFERENCES public.author (id);
