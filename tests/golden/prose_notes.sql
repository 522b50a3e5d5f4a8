CREATE TABLE public.courses (
    id integer NOT NULL,
    teacher_id integer,
    code text NOT NULL,
    starts_on date,
    ends_on date,
    PRIMARY KEY (id),
    UNIQUE (code, starts_on),
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);

CREATE TABLE public.teachers (
    id integer NOT NULL,
    name text NOT NULL,
    PRIMARY KEY (id)
);

ALTER TABLE public.courses ADD FOREIGN KEY (teacher_id) REFERENCES public.teachers (id) ON DELETE SET NULL;

CREATE INDEX courses_open_idx ON public.courses (code) WHERE ends_on IS NULL;

CREATE INDEX courses_teacher_idx ON public.courses (teacher_id, starts_on DESC);
