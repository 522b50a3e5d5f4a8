CREATE TABLE public.events (
    id bigint NOT NULL,
    kind character varying(20) DEFAULT 'click'::character varying NOT NULL,
    payload jsonb,
    happened_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT events_pkey PRIMARY KEY (id),
    CONSTRAINT events_kind_check CHECK ((length((kind)::text) > 0))
);

CREATE INDEX events_kind_idx ON public.events (kind, happened_at);

COMMENT ON TABLE public.events IS 'Events recorded by the tracker.';

COMMENT ON COLUMN public.events.id IS 'event number';

COMMENT ON COLUMN public.events.kind IS 'what happened';
