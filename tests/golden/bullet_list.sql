CREATE TABLE public.notebooks (
    id uuid NOT NULL,
    title text NOT NULL,
    archived boolean DEFAULT false NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE public.pages (
    id bigint NOT NULL,
    notebook_id uuid NOT NULL,
    body text,
    "position" integer NOT NULL,
    PRIMARY KEY (id),
    CHECK (position >= 0)
);

ALTER TABLE public.pages ADD FOREIGN KEY (notebook_id) REFERENCES public.notebooks (id);

COMMENT ON COLUMN public.notebooks.id IS 'identifier';

COMMENT ON COLUMN public.notebooks.title IS 'what the notebook is called';

COMMENT ON COLUMN public.notebooks.archived IS 'hidden from the list';

COMMENT ON COLUMN public.pages.id IS 'identifier';

COMMENT ON COLUMN public.pages.notebook_id IS 'the notebook it belongs to';

COMMENT ON COLUMN public.pages.body IS 'the page''s text';

COMMENT ON COLUMN public.pages."position" IS 'order in the notebook';
