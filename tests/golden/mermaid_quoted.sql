CREATE TABLE public.point (
    series_id bigint,
    at timestamp with time zone NOT NULL,
    value double precision
);

CREATE TABLE public.series (
    id bigint NOT NULL,
    name text,
    _from_time timestamp with time zone NOT NULL,
    PRIMARY KEY (id)
);

ALTER TABLE public.point ADD FOREIGN KEY (series_id) REFERENCES public.series (id);

COMMENT ON COLUMN public.point.series_id IS 'references series {id}';

COMMENT ON COLUMN public.point.at IS '{NOT_NULL} when it was measured';

COMMENT ON COLUMN public.series.id IS '{NOT_NULL}';

COMMENT ON COLUMN public.series.name IS 'unique name, e.g. {region}/{metric}';

COMMENT ON COLUMN public.series._from_time IS '{NOT_NULL}';
