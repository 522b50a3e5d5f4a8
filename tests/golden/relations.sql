CREATE TABLE public.items (
    id bigint NOT NULL,
    label character varying(80) NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE public.loans (
    id bigint NOT NULL,
    member_id bigint,
    item_id bigint,
    due date NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE public.members (
    id bigint NOT NULL,
    name text NOT NULL,
    joined date,
    PRIMARY KEY (id)
);

ALTER TABLE public.loans ADD FOREIGN KEY (item_id) REFERENCES public.items (id) ON DELETE CASCADE;

ALTER TABLE public.loans ADD FOREIGN KEY (member_id) REFERENCES public.members (id);
